"""Starting and stopping the local stack: broker, Faust worker, read-side service."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import structlog
from pydantic import SecretStr

from engage import kafka_admin
from engage.errors import (
    BrokerUnavailable,
    ConfigurationError,
    NotCaughtUp,
    RequestRefused,
    ServiceUnavailable,
)
from engage.settings import REPO_ROOT, Settings
from events import topics
from projections.api.access import auth_headers, ensure_local_token
from projections.service import SINK_GROUP, SINK_TOPICS

log = structlog.get_logger(__name__)

KAFKA_SCRIPT = REPO_ROOT / "docker" / "kafka" / "kafka.sh"
COMPONENTS = ("worker", "service")
EXTRA_WORKER_PREFIX = "worker-"
"""Pid and log files of workers beyond the first are named ``worker-<n>`` (``worker-2.pid``)."""


def _env(settings: Settings) -> dict[str, str]:
    """The environment a child process needs to read the very same settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            env[f"ENGAGE_{name.upper()}"] = str(value)
    env["KAFKA_PORT"] = str(settings.kafka_port)
    env["KAFKA_DATA_DIR"] = str(settings.broker_data_dir)
    return env


def component_env(settings: Settings) -> dict[str, str]:
    """The worker's and the service's environment: the settings, without the broker's admin password
    (kafka.sh's alone; the components run as the application principal)."""
    env = _env(settings)
    env.pop("KAFKA_ADMIN_PASSWORD", None)
    return env


def broker_security(settings: Settings) -> str:
    """KAFKA_SECURITY for docker/kafka/kafka.sh: the local broker the clients' settings can talk to."""
    protocol, mechanism = settings.kafka_security_protocol, settings.kafka_sasl_mechanism
    if protocol == "PLAINTEXT":
        return "plaintext"
    if protocol == "SASL_PLAINTEXT" and mechanism == "SCRAM-SHA-512":
        return "sasl"
    raise ConfigurationError(
        f"the local broker (docker/kafka/kafka.sh) speaks PLAINTEXT, or SASL_PLAINTEXT with SCRAM-SHA-512, "
        f"not {protocol} with {mechanism}: set ENGAGE_MANAGE_BROKER=false and ENGAGE_KAFKA_HOST to the "
        "cluster that does, or ENGAGE_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT and "
        "ENGAGE_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
    )


def broker(settings: Settings, action: str) -> None:
    if not settings.manage_broker:
        return
    env = _env(settings)
    # With sasl, kafka.sh reads the application's user, password and worker id from the ENGAGE_* above
    # and the admin's password from KAFKA_ADMIN_PASSWORD, which only this environment holds.
    env["KAFKA_SECURITY"] = broker_security(settings)
    result = subprocess.run(["bash", str(KAFKA_SCRIPT), action], env=env, check=False)
    if result.returncode != 0 and action != "status":
        raise ConfigurationError(
            f"docker/kafka/kafka.sh {action} failed (exit {result.returncode}); see above"
        )


def broker_pid(settings: Settings) -> int | None:
    """The pid of the broker ``docker/kafka/kafka.sh`` started (its own ``kafka.pid``), if it runs."""
    return _running_pid(settings.broker_data_dir / "kafka.pid")


def _pid_file(settings: Settings, name: str) -> Path:
    return settings.run_dir / f"{name}.pid"


def _running_pid(path: Path) -> int | None:
    """The pid written in ``path``, if that process is alive."""
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def pid_of(settings: Settings, name: str) -> int | None:
    return _running_pid(_pid_file(settings, name))


def _command(name: str) -> list[str]:
    if name == "worker" or name.startswith(EXTRA_WORKER_PREFIX):
        # The supervisor runs the Faust worker and starts it again should it fail.
        return [sys.executable, "-m", "streams.supervisor"]
    return [sys.executable, "-m", "engage", "serve"]


def start(settings: Settings, name: str) -> int:
    """Start a component in the background (its own session, so a signal to us spares it)."""
    running = pid_of(settings, name)
    if running is not None:
        return running
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            _command(name),
            env=component_env(settings),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=REPO_ROOT,
        )
    _pid_file(settings, name).write_text(str(process.pid))
    log.info("component_started", component=name, pid=process.pid, log=str(log_path))
    return process.pid


def start_worker(settings: Settings, instance: int) -> str:
    """Start worker number ``instance`` (2 or more; the first is ``start(settings, "worker")``).

    It joins the same consumer group (``worker_id``), so Kafka splits the events topic's partitions
    among the workers and moves a worker's partitions, with their tables, to the others when it
    leaves. Returns the component name to give ``stop`` and ``pid_of``.
    """
    if instance < 2:
        raise ConfigurationError(f"worker instance {instance}: the first worker is started by `engage up`")
    name = f"{EXTRA_WORKER_PREFIX}{instance}"
    start(settings, name)
    return name


def workers_split(settings: Settings, members: int) -> bool:
    """True once ``members`` workers of the group each hold some of the events topic's partitions and
    together hold every one. False while the group has no coordinator yet (a new cluster elects it as
    the first workers start)."""
    try:
        held = kafka_admin.assignments(settings, settings.worker_id, topics.EVENTS)
    except BrokerUnavailable:
        return False
    every = set(range(settings.partitions))
    return len(held) == members and all(held) and set().union(*held) == every


def extra_workers(settings: Settings) -> list[str]:
    """The workers beyond the first that have a pid file, by instance number."""
    pid_files = settings.run_dir.glob(f"{EXTRA_WORKER_PREFIX}*.pid")
    numbers = [p.stem.removeprefix(EXTRA_WORKER_PREFIX) for p in pid_files]
    return [f"{EXTRA_WORKER_PREFIX}{n}" for n in sorted(int(n) for n in numbers if n.isdigit())]


def stop(settings: Settings, name: str, *, kill: bool = False, timeout: float = 30.0) -> None:
    """SIGTERM the component (SIGKILL its whole process group if it hangs, or with ``kill``)."""
    pid = pid_of(settings, name)
    if pid is not None:
        if kill:
            _kill_group(pid)
        else:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            log.warning("component_did_not_stop", component=name, pid=pid, action="SIGKILL")
        # Each component leads its own session (start_new_session): this also ends its children.
        _kill_group(pid)
        while _alive(pid):
            time.sleep(0.05)
        log.info("component_stopped", component=name, pid=pid, signal="KILL" if kill else "TERM")
    _pid_file(settings, name).unlink(missing_ok=True)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    # Reap our own children so a stopped one does not linger as a zombie that still "exists".
    with contextlib.suppress(ChildProcessError):
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def service_get(settings: Settings, path: str, timeout: float = 5.0) -> dict[str, object]:
    """GET a JSON answer from the read-side service, with the CLI's token."""
    request = urllib.request.Request(settings.service_url + path, headers=auth_headers(settings))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            value: dict[str, object] = json.loads(response.read())
            return value
    except urllib.error.HTTPError as exc:
        raise RequestRefused(refusal_message(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceUnavailable(
            f"the read-side service at {settings.service_url} did not answer ({exc}); "
            "start it with `engage up`"
        ) from exc


def refusal_message(exc: urllib.error.HTTPError) -> str:
    """The service's own reason for an error answer, with advice when the token is the problem."""
    try:
        message = str(json.loads(exc.read()).get("error", exc.reason))
    except (ValueError, AttributeError, OSError):
        message = f"HTTP {exc.code} {exc.reason}"
    if exc.code in (401, 403):
        message += (
            " (the CLI sends ENGAGE_API_TOKEN, or else the local analyst token that `engage up` "
            "writes to var/run/analyst.token)"
        )
    return message


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() >= deadline:
            raise NotCaughtUp(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(interval)


def _service_healthy(settings: Settings) -> bool:
    if pid_of(settings, "service") is None:
        raise ServiceUnavailable(
            f"the read-side service exited while starting; see {settings.log_dir / 'service.log'}"
        )
    try:
        service_get(settings, "/health", timeout=1.0)
    except ServiceUnavailable:
        return False
    return True


def wait_for_service(settings: Settings, timeout: float = 60) -> None:
    wait_until(lambda: _service_healthy(settings), timeout, "the read-side service answering")


def up(settings: Settings) -> None:
    token = ensure_local_token(settings)
    if token is not None:
        log.info("local_analyst_token", path=str(token))
    broker(settings, "start")
    created = kafka_admin.ensure_topics(settings)
    log.info("topics_ready", created=created)
    for name in COMPONENTS:
        start(settings, name)
    wait_for_service(settings)
    if pid_of(settings, "worker") is None:
        raise ServiceUnavailable(f"the worker exited while starting; see {settings.log_dir / 'worker.log'}")


def down(settings: Settings) -> None:
    for name in reversed(COMPONENTS):
        stop(settings, name)
    for name in extra_workers(settings):
        stop(settings, name)
    broker(settings, "stop")


def caught_up(settings: Settings) -> tuple[bool, dict[str, int]]:
    """True when the worker has processed every event and the sink has stored every row."""
    worker = kafka_admin.lag(settings, settings.worker_id, topics.EVENTS)
    sink = sum(kafka_admin.lag(settings, SINK_GROUP, topic).total for topic in SINK_TOPICS)
    behind = {"worker": worker.total, "sink": sink}
    return worker.total == 0 and sink == 0, behind


def wait(settings: Settings, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    behind: dict[str, int] = {}
    while time.monotonic() < deadline:
        for name in COMPONENTS:
            if pid_of(settings, name) is None:
                raise ServiceUnavailable(
                    f"the {name} is not running; start the stack with `engage up` "
                    f"(its log: {settings.log_dir / (name + '.log')})"
                )
        done, behind = caught_up(settings)
        if done and _service_healthy(settings):
            log.info("caught_up", **behind)
            return
        time.sleep(0.5)
    raise NotCaughtUp(
        f"consumers still behind after {timeout:.0f}s: worker {behind.get('worker')} events, "
        f"sink {behind.get('sink')} rows; see {settings.log_dir} or wait longer with --timeout"
    )
