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
    from connectors.rejections import DeadLetter

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)


def _settings() -> Settings:
    return Settings()


def _context(settings: Settings, neighbourhood: str | None = None) -> Context:
    """What every mapping needs: the boundaries, the area look-up, the time of the run, the salt, and
    the neighbourhood of every record for files that name none (``ingest --neighbourhood``)."""
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
    return Context(
        neighbourhoods=neighbourhoods,
        recorded_time=datetime.now(UTC),
        salt=salt,
        areas=areas,
        neighbourhood=neighbourhood,
    )


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
    neighbourhood: Annotated[
        str | None,
        typer.Option(
            "--neighbourhood",
            help="id or name of the neighbourhood every record belongs to, for files that name none "
            "(police-uk-priorities, police-uk-events)",
        ),
    ] = None,
) -> None:
    """Validate, redact and place each record, publish the events; print one JSON summary line."""
    from connectors import ingest as ingest_run
    from connectors.kafka_publisher import KafkaPublisher
    from connectors.registry import connector_for
    from engage.kafka_auth import client_options

    settings = _settings()
    connector = connector_for(source)
    context = _context(settings, neighbourhood)
    publisher = KafkaPublisher(settings.bootstrap_servers, client_options(settings))
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


dlq = typer.Typer(
    no_args_is_help=True,
    help="Dead letters: the records connectors rejected, why, and a replay once the cause is fixed.",
)
app.add_typer(dlq, name="dlq")

_REASON = typer.Option(help="only letters rejected for this reason, e.g. unplaced")
_SOURCE = typer.Option(help="only letters of this source (connector name), e.g. fixmystreet")
_MAX_ATTEMPTS = typer.Option(min=1, help="records tried this many times are left alone (exhausted)")
_RECORD_SHOWN = 160


def _dead_letters(settings: Settings) -> tuple[list[DeadLetter], int]:
    from connectors import deadletters
    from engage import kafka_admin
    from events import topics

    return deadletters.decode(kafka_admin.read_all(settings, topics.DEADLETTER))


@dlq.command("list")
def dlq_list(
    reason: Annotated[str | None, _REASON] = None,
    source: Annotated[str | None, _SOURCE] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document instead of text")] = False,
    max_attempts: Annotated[int, _MAX_ATTEMPTS] = 3,
) -> None:
    """Show the open dead letters (records still rejected): counts by reason and source, then each one."""
    from connectors import deadletters

    letters, undecodable = _dead_letters(_settings())
    shown = deadletters.listing(letters, reason, source, max_attempts, undecodable)
    if as_json:
        typer.echo(json.dumps(shown.as_dict()))
        return
    typer.echo(
        f"{len(shown.open)} open ({shown.exhausted} of them exhausted), {shown.resolved} resolved by replay"
        + (f", {undecodable} messages that are not dead letters" if undecodable else "")
    )
    for title, counts in (("reason", shown.by_reason()), ("source", shown.by_source())):
        if counts:
            typer.echo(f"\n{title:<24}count")
            for name, count in counts.items():
                typer.echo(f"{name:<24}{count:>5}")
    if shown.open:
        typer.echo("")
    for letter in shown.open:
        typer.echo(
            f"{letter.source} {letter.file}:{letter.line} {letter.reason.value} "
            f"(attempt {letter.attempt}): {letter.detail}"
        )
        record = (
            letter.record if len(letter.record) <= _RECORD_SHOWN else letter.record[:_RECORD_SHOWN] + "..."
        )
        typer.echo(f"    {record}")


_REPLAY_HELP = (
    "Map each open dead letter again; publish what now passes (every event of a record, such as a "
    "meeting and its actions), dead-letter again what still fails; print one JSON summary line "
    "(replayed, published, events_published, still_rejected, exhausted, reasons).\n\n"
    "Each record is mapped by its connector as things are now: the theme tables, the area look-up, "
    "the boundaries and the mapping file the record was read with (fix those first), and with the "
    "--neighbourhood it was ingested with. "
    "A record keeps the event id it would have had, so replaying it or ingesting it again never "
    "makes a second event; each try is counted, and a record tried --max-attempts times is left alone.\n\n"
    "Records are replayed from the fields their dead letters kept, which were redacted of personal "
    "data: a record whose redaction touched a field its mapping needs may fail again, and a line "
    "that could not be parsed at all (malformed) always does: fix the file and ingest it again."
)


@dlq.command("replay", help=_REPLAY_HELP)
def dlq_replay(
    reason: Annotated[str | None, _REASON] = None,
    source: Annotated[str | None, _SOURCE] = None,
    max_attempts: Annotated[int, _MAX_ATTEMPTS] = 3,
) -> None:
    from connectors import deadletters
    from connectors.kafka_publisher import KafkaPublisher
    from connectors.registry import connector_for
    from engage.kafka_auth import client_options

    settings = _settings()
    context = _context(settings)
    letters, _ = _dead_letters(settings)
    publisher = KafkaPublisher(settings.bootstrap_servers, client_options(settings))
    try:
        summary = deadletters.replay(letters, connector_for, context, publisher, reason, source, max_attempts)
    finally:
        publisher.close()
    typer.echo(json.dumps(summary.as_dict()))


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
def rebuild(
    timeout: Annotated[float, typer.Option(help="seconds to wait for the read-side service")] = 3600.0,
) -> None:
    """Recompute every projection from the retained event log and swap the new tables in atomically.

    Runs inside the read-side service when it is up (analysts keep querying meanwhile), else here.
    """
    settings = _settings()
    if processes.pid_of(settings, "service") is not None:
        request = urllib.request.Request(settings.service_url + "/rebuild", data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                typer.echo(response.read().decode("utf-8").strip())
                return
        except urllib.error.HTTPError as exc:
            raise ServiceUnavailable(f"the rebuild failed: {exc.read().decode('utf-8', 'replace')}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ServiceUnavailable(f"the read-side service did not answer: {exc}") from exc
    import threading

    from projections import store
    from projections.rebuild import rebuild as run_rebuild

    con = store.connect(settings.database)
    try:
        typer.echo(json.dumps(run_rebuild(settings, con, threading.Lock()).as_dict()))
    finally:
        con.close()


@app.command()
def serve() -> None:
    """Run the read-side service in the foreground (what `up` starts in the background)."""
    from projections.service import serve as run_service

    run_service(_settings())


@app.command()
def gateway(
    print_openapi: Annotated[
        bool, typer.Option("--print-openapi", help="print the OpenAPI document and exit")
    ] = False,
) -> None:
    """Run the partner gateway in the foreground: signed HTTP requests of records (docs/gateway.md)."""
    from connectors.gateway import app as gateway_app

    if print_openapi:
        typer.echo(json.dumps(gateway_app.openapi_document(), indent=2, ensure_ascii=False))
        return
    import uvicorn

    from connectors.kafka_publisher import KafkaPublisher
    from engage.kafka_auth import client_options

    settings = _settings()
    wiring = gateway_app.Wiring.load(settings)  # grants and boundaries first: a broker may be fine
    publisher = KafkaPublisher(settings.bootstrap_servers, client_options(settings))
    try:
        service = wiring.app(publisher)
        typer.echo(f"gateway on http://{settings.gateway_host}:{settings.gateway_port}", err=True)
        uvicorn.run(
            service,
            host=settings.gateway_host,
            port=settings.gateway_port,
            log_config=None,
            access_log=False,
            # A body is refused past gateway_max_body_bytes; a stalled sender is cut off sooner.
            timeout_keep_alive=5,
        )
    finally:
        publisher.close()


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
