"""Every setting in one frozen object, read once from the environment at the edge.

Each field reads ``ENGAGE_<FIELD>`` (for example ``ENGAGE_KAFKA_PORT=19092``).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """What the CLI, the worker, the read-side service and the connectors are configured with."""

    model_config = SettingsConfigDict(env_prefix="ENGAGE_", frozen=True, extra="ignore")

    var_dir: Path = Field(default=REPO_ROOT / "var")
    """Where run-time state lives: pid files, logs, Faust's data, the broker's data."""

    duckdb_path: Path | None = None
    """The read-side database file; defaults to ``<var_dir>/engage.duckdb``."""

    kafka_host: str = "127.0.0.1"
    """Host of the Kafka bootstrap server. The local broker listens on 127.0.0.1 only."""

    kafka_port: int = 9092
    """Port of the Kafka bootstrap server; the local broker's controller takes the next port."""

    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """How every client (connectors, gateway, worker, read-side service, admin) reaches the broker:
    PLAINTEXT (no authentication: the local broker's default), SASL_PLAINTEXT (a user name and password;
    the local broker with KAFKA_SECURITY=sasl, or a broker on the same host or compose network), or
    SASL_SSL (the same inside TLS: any broker reached over a real network). See docs/security.md."""

    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    """SASL mechanism. SCRAM never sends the password; PLAIN does, so use it only with SASL_SSL."""

    kafka_username: str = "engage"
    """The application's Kafka principal (User:<name>), granted the ACLs of docker/kafka/engage-acls.txt."""

    kafka_password: SecretStr = SecretStr("")
    """Its password; leave empty and set ``kafka_password_file`` to read it from a file (a secret)."""

    kafka_password_file: Path | None = None
    """A file holding the password (its first line), e.g. a compose secret under /run/secrets."""

    kafka_ssl_cafile: Path | None = None
    """PEM file of the certificate authorities that sign the broker's certificate (SASL_SSL); the
    system's trust store when unset."""

    kafka_data_dir: Path | None = None
    """The local broker's storage; defaults to ``<var_dir>/kafka``."""

    manage_broker: bool = True
    """Whether ``engage up``/``down`` start and stop the local broker (false when a cluster is given)."""

    partitions: int = Field(default=4, ge=1)
    """Partitions of every topic this system creates; the unit of scale-out for workers."""

    worker_id: str = "engage-worker"
    """Faust application id: names the worker's consumer group and its changelog topics."""

    worker_stall_check_interval_s: float = Field(default=3.0, gt=0)
    """How often the worker checks for a partition whose commits have stopped while events wait."""

    worker_stall_checks: int = Field(default=4, ge=1)
    """Checks in a row without progress before the worker stops itself, for its supervisor to restart."""

    worker_delivery_limit_s: float = Field(default=120.0, gt=0)
    """Longest the worker waits for the broker to take a neighbourhood's sends (a send waits while its
    partition's previous batch is unanswered), and then to answer all of a batch's sends, before it
    stops itself, for its supervisor to restart; the batch is not acknowledged, so the next worker
    folds it again. A broker away or frozen for longer restarts the worker, as a stalled partition
    does (``worker_stall_checks``; ``tests/faults/test_broker_frozen.py``)."""

    service_port: int = 8765
    """Port of the read-side service (sink and query API)."""

    service_host: str = "127.0.0.1"
    """Interface the read-side service binds; 0.0.0.0 only inside a container behind its network."""

    api_tokens_path: Path | None = None
    """YAML file of the read-side API's tokens: under ``tokens``, one entry per token with ``name``,
    ``role`` (``analyst``, ``partner`` or ``public``) and ``sha256``, the hex SHA-256 of the token
    (the token itself is never stored). Unset: ``<var_dir>/api_tokens.yaml``, to which ``engage up``
    adds the local analyst token the CLI uses (``<var_dir>/run/analyst.token``, mode 0600). The
    service reads the file again when it changes, so a token is added or revoked without a restart."""

    api_token: SecretStr | None = None
    """The token the CLI sends to the read-side service; unset: ``<var_dir>/run/analyst.token``."""

    query_timeout_s: float = Field(default=120.0, gt=0)
    """Longest an analyst's SQL (POST /query) may run before the service stops it."""

    worker_session_timeout_s: float = Field(default=10.0, ge=6.0)
    """How soon the broker gives a dead worker's partitions to a live one (Kafka session timeout)."""

    boundaries_path: Path = Field(default=REPO_ROOT / "data" / "boundaries" / "camden_wards_2011.geojson")
    """GeoJSON FeatureCollection of neighbourhood polygons (WGS84)."""

    boundary_id_property: str = "cmwd11cd"
    """Feature property holding the neighbourhood id."""

    boundary_name_property: str = "cmwd11nm"
    """Feature property holding the neighbourhood's name (used for name look-ups)."""

    area_lookup_path: Path | None = Field(
        default=REPO_ROOT / "data" / "boundaries" / "camden_lsoa11_wards_2011.csv"
    )
    """CSV table of areas that are not neighbourhoods (LSOA codes, old ward codes, place names) to the
    neighbourhood id each lies in: columns ``area`` and ``neighbourhood_id`` (see
    ``connectors.placing.AreaLookup``). It must match the boundaries; an empty value means none."""

    worker_batch_size: int = Field(default=20_000, ge=1)
    """Most events the worker folds before it writes its tables and emits views. A batch is cut at
    ``worker_batch_wait_s`` too, so at a steady feed it stays small (views appear soon); in a backlog
    it fills, and each neighbourhood's state and view is written once for all its events in it. At
    200,000 events over 4,000 neighbourhoods, 5,000 folds half as many states and views an event as
    500 did, and the run was 17% faster; 20,000 (with events kept as bytes until folded) was 8%
    faster again, at 59 MB less peak memory (docs/performance.md). A state carries the views of record
    its batch closed until a commit confirms them, so a larger batch makes larger states."""
    worker_max_message_bytes: int = Field(default=16 * 1024 * 1024, ge=1024 * 1024)
    """Largest record the worker writes, before compression (zstd): a neighbourhood's state grows with
    its distinct voices and the events in its windows, and one fed 20,000 events over 11 days held
    3.8 MB of JSON (docs/performance.md). Its state changelog and the views topic accept records this
    size; Kafka's default of 1 MB would stop the worker at such a neighbourhood."""
    worker_parsed_bytes: int = Field(default=0, ge=0)
    """How many stored bytes of table values (neighbourhood states, packed; activity rows) the worker
    keeps parsed beside their bytes, per table, the most recently used (``streams.parsed.ParsedTable``).
    0, the default, keeps none: every value is parsed when its neighbourhood next has an event. Over
    4,000 neighbourhoods nearly every state a batch touches had to be parsed anyway, and 1 MiB (the
    default until the twelfth session) held about 25 MB of parsed states and activity rows: at 400,000
    benchmark events the worker peaked at 254 MB with none against 285 MB, and that run used no more
    CPU (one run each; the worker's CPU spreads widely between runs, docs/performance.md). A parsed
    state takes about twenty times its packed bytes. With few neighbourhoods and a steady feed, a
    budget saves the parse of the busiest
    (``benchmarks.state_growth EVENTS EVERY BATCH BUDGET``)."""
    worker_unanswered_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    """Bytes of messages (views, changelog records, alerts) a batch may have handed to the producer
    without the broker's answer before it waits for the oldest (``streams.unanswered``). Without a
    bound a backlog's batch held all its messages, tens of MB, until its end; a batch is still
    acknowledged only once every message is answered (docs/performance.md)."""
    gc_young_threshold: int = Field(default=50_000, ge=1)
    """Allocations between two passes of Python's cycle collector over its youngest objects, in every
    process the project starts (worker, read-side service, CLI). The standard 700 made a fold holding
    many neighbourhood states spend nearly half its time in the collector (67.7 of 145 s over 100,000
    events; 7.3 of 83 s at 50,000: ``benchmarks.collector``). Almost everything here is freed by
    reference counting, so the larger figure costs little memory (docs/performance.md)."""
    worker_batch_wait_s: float = Field(default=0.25, gt=0)
    """How long the worker waits to fill a batch before folding what it has, in a steady feed."""
    worker_backlog_wait_s: float = Field(default=3.0, ge=0)
    """How much longer a batch keeps filling while the partitions hold at least as many unread events
    as it does (a backlog: a restart, a spike, a rebuild of the worker's tables). faust hands a backlog
    over in bursts, and cut at ``worker_batch_wait_s`` its batches averaged 862 events, median 36; at
    3 s they averaged 12,500 and the worker folded 200,000 events over 4,000 neighbourhoods in half the
    CPU (``streams/batches.py``, docs/performance.md). 0 cuts every batch at ``worker_batch_wait_s``."""
    rebuild_processes: int = Field(default=0, ge=0)
    """Processes that fold the events log in a rebuild, each a share of its partitions (all of a
    neighbourhood's events are on one partition, so each folds whole neighbourhoods); the read-side
    service (or ``engage rebuild`` when no service runs) writes what they send. 0: one per core, at most
    one per partition with events. 1: the log is folded in the process that writes."""
    rebuild_parallel_from: int = Field(default=50_000, ge=0)
    """Fewest events in the log (summed end offsets) for which a rebuild starts folding processes: each
    takes about a second to start, longer than a small log takes to fold."""
    sink_batch_size: int = Field(default=20000, ge=1)
    """Most projection updates the sink writes to DuckDB in one transaction."""

    sink_batch_wait_ms: int = Field(default=200, ge=1)
    """How long the sink gathers updates before it writes them: each DuckDB commit has a fixed cost,
    so a backlog is written in few large transactions; a quiet feed waits at most this long."""

    pseudonym_salt: SecretStr = SecretStr("engage-demo-salt-change-me")
    """Key of the salted hash that pseudonymises handles and respondents. Set a secret per force:
    whoever holds it can test a guessed handle against the log."""

    deadletter_retention_days: int = Field(default=30, ge=1)
    """How long rejected records are kept in the dead-letter topic (shorter when
    ``social_retention_days`` is: rejected social posts are dead letters too)."""

    social_retention_days: int | None = Field(default=None, ge=1)
    """How long social-media posts (``SocialSignalObserved``: their redacted text and payload) stay in
    the read side's evidence store, counted from when each was posted; the read-side service deletes
    them after that, hourly. Unset (the default) keeps them: the period is each force's decision under
    its records management policy, and the demo's posts are from 2024. It also caps the dead-letter
    topic's retention. It does not shorten the events topic, which every channel shares and every
    rebuild reads: see docs/reliability.md, "Retention"."""

    briefing_cron: str = "0 6 1,15 * *"
    """When the TT&CG pack is built: a cron expression (minute hour day-of-month month day-of-week)
    on the ``briefing_timezone`` clock. The default, 06:00 on the 1st and the 15th, is fortnightly or
    so, before the meeting; set a force's own cadence (``0 6 * * 1`` weekly, ``0 6 1 * *`` monthly)."""

    briefing_schedule: bool = True
    """Whether the read-side service builds packs on ``briefing_cron`` (off: only on demand)."""

    briefing_dir: Path | None = None
    """Where packs are written, one folder per area and as-of; defaults to ``<var_dir>/briefings``."""

    briefing_cadence_days: int = Field(default=14, ge=1)
    """The cadence a pack built on demand compares against: movement since this many days before."""

    briefing_timezone: str = "Europe/London"
    """The clock of the schedule, and the time zone of times in the pack (GMT or BST)."""

    @field_validator("briefing_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression; give five fields, e.g. '0 6 1,15 * *'")
        return value

    @field_validator("area_lookup_path", "social_retention_days", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    gateway_host: str = "127.0.0.1"
    """Interface the partner gateway (``engage gateway``) binds. Serve it to partners only through a
    TLS-terminating proxy: signatures prove who sent a request, they do not hide the records."""

    gateway_port: int = 8766
    """Port of the partner gateway."""

    gateway_grants_path: Path | None = None
    """The gateway's YAML file of partner keys and what each may send (docs/gateway.md); defaults to
    ``<var_dir>/gateway/grants.yaml``."""

    gateway_max_body_bytes: int = Field(default=512 * 1024, ge=1024)
    """Longest request body the gateway reads (413 past it). Keep it under half the broker's message
    size limit (1 MiB by default), so that any one record's event or dead letter fits in a message."""

    gateway_max_records: int = Field(default=500, ge=1)
    """Most records one request may hold (413 past it)."""

    gateway_clock_skew_s: int = Field(default=300, ge=1)
    """How far a request's signed timestamp may be from the gateway's clock, either way (401 past it);
    a signature is remembered as long, to refuse it a second time."""

    gateway_accepted_ids: int = Field(default=1_000_000, ge=1)
    """How many of the most recently accepted event ids the gateway remembers, in
    ``<var_dir>/gateway/accepted.sqlite``, to answer a re-sent record "duplicate" (about 100 bytes
    each). An older record sent again is accepted and published again; the projections still count
    it once."""

    @property
    def gateway_grants(self) -> Path:
        return self.gateway_grants_path or self.var_dir / "gateway" / "grants.yaml"

    @property
    def gateway_accepted_path(self) -> Path:
        return self.var_dir / "gateway" / "accepted.sqlite"

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @property
    def database(self) -> Path:
        return self.duckdb_path or self.var_dir / "engage.duckdb"

    @property
    def briefing_root(self) -> Path:
        return self.briefing_dir or self.var_dir / "briefings"

    @property
    def broker_data_dir(self) -> Path:
        return self.kafka_data_dir or self.var_dir / "kafka"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def api_tokens(self) -> Path:
        return self.api_tokens_path or self.var_dir / "api_tokens.yaml"

    @property
    def local_token_path(self) -> Path:
        return self.run_dir / "analyst.token"

    @property
    def service_url(self) -> str:
        host = "127.0.0.1" if self.service_host in ("0.0.0.0", "") else self.service_host
        return f"http://{host}:{self.service_port}"


def relax_cycle_collector(settings: Settings) -> None:
    """Run the cycle collector's youngest pass every ``settings.gc_young_threshold`` allocations;
    its older passes keep their standard ratios."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(settings.gc_young_threshold, middle, old)
