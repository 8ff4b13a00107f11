"""``engage``: the operator's and the analyst's command line."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer
from tqdm import tqdm

from engage import logs, processes
from engage.errors import EngageError, QueryRejected, ServiceUnavailable
from engage.settings import Settings

if TYPE_CHECKING:
    from connectors.base import Context

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)


def _settings() -> Settings:
    return Settings()


def _context(settings: Settings) -> Context:
    """What every mapping needs: the boundaries, the area look-up, the time of the run, the salt."""
    from connectors.base import Context
    from connectors.placing import AreaLookup, Neighbourhoods

    neighbourhoods = Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )
    areas = (
        AreaLookup.load(settings.area_lookup_path, neighbourhoods)
        if settings.area_lookup_path is not None
        else AreaLookup.empty()
    )
    salt = settings.pseudonym_salt.get_secret_value().encode("utf-8")
    return Context(neighbourhoods=neighbourhoods, recorded_time=datetime.now(UTC), salt=salt, areas=areas)


@app.callback()
def _configure(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    logs.configure(log_level)


@app.command()
def up() -> None:
    """Start the broker, create the topics, start the worker and the read-side service."""
    settings = _settings()
    processes.up(settings)
    typer.echo(f"engage is up: read side {settings.service_url}, database {settings.database}", err=True)


@app.command()
def down() -> None:
    """Stop the read-side service, the worker and the broker that `up` started."""
    processes.down(_settings())


@app.command()
def wait(timeout: Annotated[float, typer.Option(help="seconds before giving up")] = 120.0) -> None:
    """Return once every consumer has caught up with its topic; fail after --timeout."""
    processes.wait(_settings(), timeout)


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the file to read")],
    source: Annotated[str, typer.Option("--source", help="connector name, e.g. police-uk-crime")],
) -> None:
    """Validate, redact and place each record, publish the events; print one JSON summary line."""
    from connectors import ingest as ingest_run
    from connectors.kafka_publisher import KafkaPublisher
    from connectors.registry import connector_for

    settings = _settings()
    connector = connector_for(source)
    context = _context(settings)
    publisher = KafkaPublisher(settings.bootstrap_servers)
    try:
        with tqdm(desc=f"ingest {path.name}", unit=" records", disable=not sys.stderr.isatty()) as bar:
            summary = ingest_run.run(connector, path, context, publisher, tick=bar.update)
    finally:
        publisher.close()
    typer.echo(json.dumps(summary.as_dict()))


@app.command()
def schemas(
    out: Annotated[Path, typer.Option(help="folder to write the schemas into")] = Path("docs/schemas"),
) -> None:
    """Write the JSON Schema of the event envelope and of each payload, one file each."""
    from events.schemas import write

    for path in write(out):
        typer.echo(str(path))


@app.command()
def query(sql: Annotated[str, typer.Argument(help="one SELECT over the projections")]) -> None:
    """Answer read-only SQL as CSV: through the read-side service if it runs, else from the file."""
    settings = _settings()
    if processes.pid_of(settings, "service") is not None:
        request = urllib.request.Request(
            settings.service_url + "/query", data=sql.encode("utf-8"), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                sys.stdout.write(response.read().decode("utf-8"))
                return
        except urllib.error.HTTPError as exc:
            raise QueryRejected(json.loads(exc.read()).get("error", str(exc))) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ServiceUnavailable(f"the read-side service did not answer: {exc}") from exc
    from projections import store

    if not settings.database.exists():
        raise ServiceUnavailable(f"no database at {settings.database}; run `engage up` and ingest first")
    try:
        con = store.connect(settings.database, read_only=True)
    except duckdb.IOException as exc:
        raise ServiceUnavailable(
            f"{settings.database} is held by another process ({exc}); query through the read-side service"
        ) from exc
    try:
        sys.stdout.write(store.query_csv(con, sql))
    finally:
        con.close()


@app.command()
def serve() -> None:
    """Run the read-side service in the foreground (what `up` starts in the background)."""
    from projections.service import serve as run_service

    run_service(_settings())


@app.command()
def status() -> None:
    """Which components run, and how far behind their consumers are."""
    settings = _settings()
    report: dict[str, object] = {name: processes.pid_of(settings, name) for name in processes.COMPONENTS}
    try:
        report["caught_up"], report["behind"] = processes.caught_up(settings)
    except EngageError as exc:
        report["broker"] = str(exc)
    typer.echo(json.dumps(report))


def main() -> None:
    try:
        app()
    except EngageError as exc:
        typer.echo(f"engage: {exc}", err=True)
        raise SystemExit(2 if not exc.retryable else 3) from exc
