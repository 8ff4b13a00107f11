"""``engage``: the operator's and the analyst's command line."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer
from tqdm import tqdm

from engage import logs, processes, table
from engage.errors import ConfigurationError, EngageError, QueryRejected, RequestRefused, ServiceUnavailable
from engage.settings import Settings, relax_cycle_collector
from engage.table import Column
from engage.table import render as render_table

if TYPE_CHECKING:
    from connectors.base import Context
    from connectors.rejections import DeadLetter

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)


def _settings() -> Settings:
    settings = Settings()
    relax_cycle_collector(settings)
    return settings


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
def up(
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="supervised workers in the one consumer group; more than ENGAGE_PARTITIONS sit idle",
        ),
    ] = 1,
) -> None:
    """Start the broker, create the topics, start the worker(s) and the read-side service."""
    settings = _settings()
    processes.up(settings)
    for instance in range(2, workers + 1):
        processes.start_worker(settings, instance)
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
    from projections.api.access import auth_headers

    settings = _settings()
    if processes.pid_of(settings, "service") is not None:
        request = urllib.request.Request(
            settings.service_url + "/query",
            data=sql.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8", **auth_headers(settings)},
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.query_timeout_s + 30) as response:
                sys.stdout.write(response.read().decode("utf-8"))
                return
        except urllib.error.HTTPError as exc:
            raise QueryRejected(processes.refusal_message(exc)) from exc
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


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


_AS_OF = typer.Option(
    "--as-of", help="ISO 8601 date or date-time (UTC unless a zone is given): the answer as of then"
)
_FORMAT = typer.Option(
    "--format", help="table (the default on a terminal), csv (the default when piped) or json"
)


def _view(
    path: str, params: dict[str, str | None], fmt: OutputFormat | None, columns: Sequence[Column]
) -> None:
    """Ask the read-side service's API for a view and print it in the format asked for."""
    from projections.api.access import auth_headers

    settings = _settings()
    chosen = fmt or (OutputFormat.TABLE if sys.stdout.isatty() else OutputFormat.CSV)
    wanted = {k: v for k, v in params.items() if v is not None}
    wanted["format"] = "json" if chosen is OutputFormat.JSON else "csv"
    url = f"{settings.service_url}{path}?{urllib.parse.urlencode(wanted)}"
    request = urllib.request.Request(url, headers=auth_headers(settings))
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        raise RequestRefused(processes.refusal_message(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceUnavailable(
            f"the read-side service at {settings.service_url} did not answer ({exc}); start it with "
            "`engage up`"
        ) from exc
    if chosen is OutputFormat.JSON:
        typer.echo(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
    elif chosen is OutputFormat.CSV:
        sys.stdout.write(body)
    else:
        sys.stdout.write(render_table(body, columns))


@app.command()
def priorities(
    neighbourhood: Annotated[str, typer.Argument(help="the neighbourhood's id or name (several: commas)")],
    as_of: Annotated[str | None, _AS_OF] = None,
    fmt: Annotated[OutputFormat | None, _FORMAT] = None,
) -> None:
    """A neighbourhood's priorities, top first, from the read-side service (every column in csv/json)."""
    _view("/api/v1/priorities", {"neighbourhood": neighbourhood, "as_of": as_of}, fmt, table.PRIORITIES)


@app.command()
def tension(
    area: Annotated[
        str | None,
        typer.Option("--area", help="neighbourhood ids or names separated by commas; all if left out"),
    ] = None,
    as_of: Annotated[str | None, _AS_OF] = None,
    fmt: Annotated[OutputFormat | None, _FORMAT] = None,
) -> None:
    """Community tension per neighbourhood, highest first, from the read-side service."""
    _view("/api/v1/tension", {"area": area, "as_of": as_of}, fmt, table.TENSION)


@app.command()
def rebuild(
    timeout: Annotated[float, typer.Option(help="seconds to wait for the read-side service")] = 3600.0,
) -> None:
    """Recompute every projection from the retained event log and swap the new tables in atomically.

    Runs inside the read-side service when it is up (analysts keep querying meanwhile), else here.
    """
    settings = _settings()
    if processes.pid_of(settings, "service") is not None:
        from projections.api.access import auth_headers

        request = urllib.request.Request(
            settings.service_url + "/rebuild", data=b"", method="POST", headers=auth_headers(settings)
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                typer.echo(response.read().decode("utf-8").strip())
                return
        except urllib.error.HTTPError as exc:
            raise ServiceUnavailable(f"the rebuild failed: {processes.refusal_message(exc)}") from exc
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
def brief(
    as_of: Annotated[str, typer.Option("--as-of", help="ISO 8601 date or time; no zone: the force's clock")],
    area: Annotated[str, typer.Option("--area", help="the area's name, used for the folder")] = "all",
    neighbourhoods: Annotated[
        str | None, typer.Option("--neighbourhoods", help="comma-separated ids or names; default all")
    ] = None,
    previous_as_of: Annotated[
        str | None,
        typer.Option("--previous-as-of", help="the last pack's time; default as-of minus the cadence"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="folder for the pack; default var/briefings/...")
    ] = None,
) -> None:
    """Write the TT&CG pack (HTML, PDF, CSV, JSON, Parquet, open data) for an area as of a time.

    Built by the read-side service when it is up (it owns the database), else from the file.
    """
    import shutil

    from projections.briefing.command import cli as brief_from_file
    from projections.briefing.command import parse_neighbourhoods, parse_time
    from projections.briefing.schedule import zone_of

    settings = _settings()
    if processes.pid_of(settings, "service") is None:
        typer.echo(
            json.dumps(
                brief_from_file(
                    settings,
                    area=area,
                    as_of=as_of,
                    neighbourhoods=neighbourhoods,
                    previous_as_of=previous_as_of,
                    out_dir=out,
                )
            )
        )
        return
    from projections.api.access import auth_headers

    zone = zone_of(settings.briefing_timezone)
    body: dict[str, object] = {"area": area, "as_of": parse_time(as_of, zone).isoformat()}
    if neighbourhoods:
        body["neighbourhoods"] = parse_neighbourhoods(neighbourhoods)
    if previous_as_of:
        body["previous_as_of"] = parse_time(previous_as_of, zone).isoformat()
    request = urllib.request.Request(
        settings.service_url + "/api/v1/briefings",
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json", **auth_headers(settings)},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RequestRefused(processes.refusal_message(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceUnavailable(f"the read-side service did not answer: {exc}") from exc
    if out is not None:
        # The service wrote it on this machine; put a copy where it was asked for.
        shutil.copytree(answer["folder"], out, dirs_exist_ok=True)
        answer["folder"] = str(out)
    typer.echo(
        json.dumps(
            {
                "area": answer.get("area"),
                "as_of": answer.get("as_of"),
                "marking": answer.get("marking"),
                "files": len(answer.get("files", [])),
                "folder": answer["folder"],
            }
        )
    )


@app.command()
def dashboard() -> None:
    """Say where the analysts' dashboard is and how to sign in to it."""
    settings = _settings()
    typer.echo(
        f"Dashboard: {settings.service_url}/dashboard/login (while `engage up` runs); sign in with the "
        f"analyst token in {settings.local_token_path} (or one from `engage token`)."
    )


@app.command()
def serve(
    print_openapi: Annotated[
        bool, typer.Option("--print-openapi", help="print the API's OpenAPI document and exit")
    ] = False,
) -> None:
    """Run the read-side service in the foreground (what `up` starts in the background)."""
    if print_openapi:
        from projections.api.app import openapi_document

        typer.echo(json.dumps(openapi_document(), indent=2, ensure_ascii=False))
        return
    from projections.service import serve as run_service

    run_service(_settings())


@app.command()
def token(
    name: Annotated[
        str,
        typer.Argument(help="who will hold it (letters, digits, . _ @ -); it names them in the audit log"),
    ],
    role: Annotated[str, typer.Option(help="analyst, partner or public")] = "partner",
) -> None:
    """Make a read-side API token: its hash goes into the tokens file, the token is printed once.

    A token of the same name is replaced (revoked). The service reads the file again by itself.
    """
    from projections.api.access import Role, add_token

    settings = _settings()
    try:
        chosen = Role(role)
    except ValueError as exc:
        raise ConfigurationError(f"--role {role!r} is not one of analyst, partner, public") from exc
    typer.echo(add_token(settings.api_tokens, name, chosen))
    typer.echo(f"stored as {name!r} ({chosen.value}) in {settings.api_tokens}", err=True)


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
