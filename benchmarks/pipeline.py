"""Our pipeline, measured on the running stack: end to end, publish-to-queryable latency, memory.

- **End to end**: every event is published with a bulk producer (confluent-kafka, librdkafka: the
  same bytes, keys and partitioner as ``connectors.kafka_publisher``, acks=all, idempotent) so the
  producer is not what is measured; the clock runs from the first send until the read side shows
  every event in DuckDB: ``sum(version)`` of ``projection_versions`` (events folded into each
  neighbourhood's views) equals the events published, and ``events`` (the evidence store) holds them
  all, as an analyst's ``POST /query`` sees them.
- **Latency**: ``KafkaPublisher`` (the connectors' own shell) publishes the feed at a steady rate;
  one event in ``rate / markers_per_second`` is a marker for a neighbourhood no other event goes to.
  Marker ``k`` is *queryable* once a ``POST /query`` answers with the marker neighbourhood's
  ``projection_versions.version >= k`` (its priority, tension, coverage and feedback rows now include
  it) and ``k`` or more of its events in ``events``. Latency is from just before the send to the
  answer that first showed it, so the poll interval bounds the error (upwards).
- **Memory**: VmHWM (peak resident set) of the worker (the faust process the supervisor runs, the
  highest of any it started), the supervisor, and the read-side service, from ``/proc``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from kafka.errors import KafkaError

from benchmarks.workload import MARKER_NEIGHBOURHOOD, Workload, marker
from connectors.kafka_publisher import KafkaPublisher
from engage import kafka_admin, processes
from engage.errors import BrokerUnavailable
from engage.settings import Settings
from events import Envelope, topics
from events.codec import encode
from projections.api.access import auth_headers

log = structlog.get_logger(__name__)


class StackQueryFailed(RuntimeError):
    """The read-side service did not answer a benchmark's query."""


def query(settings: Settings, sql: str, timeout: float = 30.0) -> list[dict[str, str]]:
    """An analyst's query through the read-side service: rows as dicts of strings."""
    request = urllib.request.Request(
        settings.service_url + "/query", data=sql.encode(), method="POST", headers=auth_headers(settings)
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
    except (urllib.error.URLError, OSError) as exc:
        raise StackQueryFailed(f"POST /query failed ({exc}); see {settings.log_dir}") from exc


def query_raw(settings: Settings, sql: str, timeout: float = 30.0) -> bytes:
    request = urllib.request.Request(
        settings.service_url + "/query", data=sql.encode(), method="POST", headers=auth_headers(settings)
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read()
        return body


@dataclass(frozen=True)
class Encoded:
    key: bytes
    value: bytes


def encoded(events: Iterator[Envelope]) -> list[Encoded]:
    return [Encoded(e.neighbourhood_id.encode(), encode(e)) for e in events]


@dataclass
class EndToEnd:
    events: int
    publish_seconds: float = 0.0
    queryable_seconds: float | None = None
    """First send to every event visible through POST /query; None if the timeout came first."""
    committed_seconds: float | None = None
    """First send to ``engage.processes.caught_up`` (consumer groups' committed offsets at the end)."""
    folded_at_timeout: int = 0
    """Events folded into views when the timeout came (the rate so far is then a lower bound)."""
    timed_out: bool = False
    waited_seconds: float = 0.0


def bulk_publish(settings: Settings, batch: Sequence[Encoded]) -> float:
    """Publish with librdkafka as fast as the broker takes it; returns seconds to the last ack."""
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "client.id": "engage-bench-bulk",
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 20,
            "batch.size": 1024 * 1024,
            # kafka-python's (and the JVM's) partitioner: a neighbourhood's events land on the same
            # partition whichever publisher sent them, so the markers stay in order with the feed.
            "partitioner": "murmur2_random",
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    failures: list[str] = []

    def delivered(error: object, _message: object) -> None:
        if error is not None:
            failures.append(str(error))

    started = time.perf_counter()
    for item in batch:
        while True:
            try:
                producer.produce(topics.EVENTS, key=item.key, value=item.value, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    remaining = producer.flush(120)
    seconds = time.perf_counter() - started
    if remaining or failures:
        raise StackQueryFailed(
            f"the bulk producer left {remaining} events unsent and {len(failures)} failed "
            f"(first: {failures[:1]}); is the broker at {settings.bootstrap_servers} healthy?"
        )
    return seconds


def folded(settings: Settings) -> tuple[int, int]:
    """(events folded into the views, events in the evidence store), as POST /query answers."""
    rows = query(
        settings,
        "select (select coalesce(sum(version), 0) from projection_versions) as folded, "
        "(select count(*) from events) as stored",
    )
    return int(rows[0]["folded"]), int(rows[0]["stored"])


WARM_UP_EVENTS = 1


def worker_batches(settings: Settings) -> dict[str, float | int]:
    """The sizes of the first worker's batches, summed from the reports in its log (``batches_folded``,
    at most one a minute, so the run's last minute may be missing): batches, events, mean, largest."""
    batches = events = largest = 0
    path = settings.log_dir / "worker.log"
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    for line in lines:
        if '"batches_folded"' not in line:
            continue
        try:
            # Supervisor lines may follow faust's cursor escape on the same line: read from the brace.
            report = json.loads(line[line.index("{") :])
        except ValueError:
            continue
        batches += int(report["batches"])
        events += int(report["events"])
        largest = max(largest, int(report["largest"]))
    mean = round(events / batches, 1) if batches else 0.0
    return {"batches": batches, "events": events, "mean_events": mean, "largest": largest}


@dataclass
class WarmUp:
    seconds: float = 0.0
    worker_restarts: int = 0
    """Workers the harness had to restart because one never folded the warm-up event."""


STALLS_DIR = "bench-stalls"
"""Beside the stack's folder: what each worker stuck at warm-up left, one folder per stall."""


def keep_stall_evidence(settings: Settings) -> Path:
    """Keep what a worker stuck at warm-up shows before it is killed: the stack's logs; every
    thread's stack, the supervisor's child's included (``py-spy dump``, where the bench extra
    installed it and this process may trace others); and what the broker says of the worker's group
    and of the topics' ends. Returns the folder.

    Why: the stall returns about once in ten runs and its cause is not known (docs/reliability.md);
    the next run empties the stack's folder, so the logs of every earlier stall were lost.
    """
    folder = settings.var_dir.parent / STALLS_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder.mkdir(parents=True)
    if settings.log_dir.is_dir():
        shutil.copytree(settings.log_dir, folder / "log")
    pid = processes.pid_of(settings, "worker")
    spy = Path(sys.executable).with_name("py-spy")
    if pid is not None and spy.exists():
        try:
            dumped = subprocess.run(
                [str(spy), "dump", "--pid", str(pid), "--subprocesses", "--locals"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            (folder / "worker-stacks.txt").write_text(dumped.stdout + dumped.stderr, encoding="utf-8")
        except subprocess.TimeoutExpired:
            (folder / "worker-stacks.txt").write_text(
                "py-spy dump did not answer in 60 s\n", encoding="utf-8"
            )
    broker: dict[str, object] = {}
    try:
        broker["assignments"] = [
            sorted(held) for held in kafka_admin.assignments(settings, settings.worker_id, topics.EVENTS)
        ]
        for topic in topics.CREATED_BY_OPERATOR:
            broker[f"end_offsets {topic}"] = kafka_admin.end_offsets(settings, topic)
    except (BrokerUnavailable, KafkaError) as exc:
        broker["error"] = repr(exc)
    (folder / "broker.json").write_text(json.dumps(broker, indent=1, default=str) + "\n", encoding="utf-8")
    return folder


def start_workers(settings: Settings, count: int, patience_s: float) -> float:
    """Start workers 2 to ``count`` beside the first (``engage up --workers``) and wait until the group
    has split the events topic's partitions among them, so that no rebalance falls inside a timed run.

    Returns the seconds it took. ``count`` is at most the partitions: a worker beyond them holds none.
    """
    started = time.perf_counter()
    for instance in range(2, count + 1):
        processes.start_worker(settings, instance)
    processes.wait_until(
        lambda: processes.workers_split(settings, count),
        patience_s,
        f"{count} workers sharing the events topic's partitions",
    )
    return time.perf_counter() - started


def warm_up(settings: Settings, when: datetime, patience_s: float, attempts: int = 3) -> WarmUp:
    """One marker through the whole pipeline before anything is timed.

    On a new cluster the worker's first start creates its changelog topics, joins its group and may
    restart (the supervisor's job) before it folds anything: that is start-up, not throughput. A
    worker that has not folded the event after ``patience_s`` is killed and started again (see
    docs/performance.md: one was seen spinning on metadata requests, never assigned).
    """
    result = WarmUp()
    started = time.perf_counter()
    publisher = KafkaPublisher(settings.bootstrap_servers)
    try:
        publisher.publish_event(marker("warm-up", 0, when))
        publisher.flush()
    finally:
        publisher.close()
    for attempt in range(attempts):
        if attempt:
            kept = keep_stall_evidence(settings)
            log.warning("worker_never_folded_restarting", attempt=attempt, evidence=str(kept))
            processes.stop(settings, "worker", kill=True)
            processes.start(settings, "worker")
            result.worker_restarts += 1
        deadline = time.perf_counter() + patience_s
        while time.perf_counter() < deadline:
            done, stored = folded(settings)
            if done >= WARM_UP_EVENTS and stored >= WARM_UP_EVENTS:
                result.seconds = time.perf_counter() - started
                return result
            time.sleep(0.25)
    raise StackQueryFailed(
        f"the warm-up event was not queryable after {attempts} workers of {patience_s:.0f}s each; "
        f"see {settings.log_dir}"
    )


def end_to_end(
    settings: Settings, batch: Sequence[Encoded], expected_total: int, timeout_s: float, poll_s: float = 0.25
) -> EndToEnd:
    """Publish ``batch`` and time it until the read side holds ``expected_total`` events."""
    result = EndToEnd(events=len(batch))
    started = time.perf_counter()
    result.publish_seconds = bulk_publish(settings, batch)
    deadline = started + timeout_s
    done_folded = 0
    while time.perf_counter() < deadline:
        done_folded, stored = folded(settings)
        if done_folded >= expected_total and stored >= expected_total:
            result.queryable_seconds = time.perf_counter() - started
            break
        time.sleep(poll_s)
    else:
        result.timed_out = True
        result.folded_at_timeout = done_folded
        result.waited_seconds = time.perf_counter() - started
        log.warning("end_to_end_timed_out", folded=done_folded, expected=expected_total)
        return result
    while time.perf_counter() < deadline:
        done, _ = processes.caught_up(settings)
        if done:
            result.committed_seconds = time.perf_counter() - started
            break
        time.sleep(poll_s)
    result.waited_seconds = time.perf_counter() - started
    return result


@dataclass
class Latency:
    rate: float
    seconds: float
    published: int = 0
    markers: int = 0
    achieved_rate: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    """One per marker, in order; ``inf`` for a marker not queryable by the end of the wait."""
    poll_interval_s: float = 0.0


def latency(
    settings: Settings,
    workload: Workload,
    feed: Iterator[Envelope],
    first_index: int,
    *,
    rate: float,
    seconds: float,
    markers_per_second: float,
    wait_s: float,
    run: str,
    poll_s: float = 0.02,
) -> Latency:
    """Publish the feed at ``rate`` events/s for ``seconds``, markers among it, and time each marker."""
    total = int(rate * seconds)
    every = max(1, round(rate / markers_per_second))
    plan: list[Envelope] = []
    for n, event in zip(range(total), feed, strict=False):
        index = first_index + n
        plan.append(marker(run, len(plan) // every, workload.time_at(index)) if n % every == 0 else event)
    payloads = [(e, encode(e), e.neighbourhood_id == MARKER_NEIGHBOURHOOD) for e in plan]
    marker_count = sum(1 for _, _, is_marker in payloads if is_marker)
    sent_at: list[float] = [0.0] * marker_count
    seen_at: list[float] = [float("inf")] * marker_count
    published = threading.Event()
    stop = threading.Event()

    marker_sql = (
        "select (select coalesce(max(version), 0) from projection_versions "
        f"where neighbourhood_id = '{MARKER_NEIGHBOURHOOD}') as version, "
        f"(select count(*) from events where neighbourhood_id = '{MARKER_NEIGHBOURHOOD}') as stored"
    )
    # The warm-up marker (and any earlier run's) is already in: count from what is there now.
    before = query(settings, marker_sql)[0]
    base_version, base_stored = int(before["version"]), int(before["stored"])

    def watch() -> None:
        visible = 0
        while not stop.is_set():
            try:
                rows = query(settings, marker_sql, timeout=10)
            except StackQueryFailed as exc:
                log.warning("latency_poll_failed", error=str(exc))
                time.sleep(poll_s)
                continue
            answered = time.perf_counter()
            now_visible = min(
                int(rows[0]["version"]) - base_version, int(rows[0]["stored"]) - base_stored, marker_count
            )
            for k in range(visible, now_visible):
                seen_at[k] = answered
            visible = max(visible, now_visible)
            if published.is_set() and visible >= marker_count:
                return
            time.sleep(poll_s)

    watcher = threading.Thread(target=watch, name="latency-watch", daemon=True)
    watcher.start()
    publisher = KafkaPublisher(settings.bootstrap_servers)
    sent = 0
    marker_number = 0
    started = time.perf_counter()
    try:
        while sent < len(payloads):
            due = min(len(payloads), int((time.perf_counter() - started) * rate) + 1)
            while sent < due:
                event, _, is_marker = payloads[sent]
                if is_marker:
                    sent_at[marker_number] = time.perf_counter()
                    marker_number += 1
                publisher.publish_event(event)
                sent += 1
            time.sleep(0.002)
        elapsed = time.perf_counter() - started
        publisher.flush()
    finally:
        publisher.close()
    published.set()
    watcher.join(timeout=wait_s)
    stop.set()
    watcher.join(timeout=15)
    result = Latency(rate=rate, seconds=seconds, published=sent, markers=marker_count, poll_interval_s=poll_s)
    result.achieved_rate = sent / elapsed if elapsed > 0 else 0.0
    result.latencies_s = [seen - sent for seen, sent in zip(seen_at, sent_at, strict=True)]
    return result


def _status_kb(pid: int, field_name: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat(5); here counted from the state field (3).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command may hold spaces or parentheses: the fields after the last ')' are fixed.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


INSTANCE_PREFIX = "instance:"
"""Keys of ``MemoryWatch`` peaks that name one worker instance (``worker``, ``worker-2`` ...)."""


def instance_peaks_kb(peaks: Mapping[str, int]) -> dict[str, int]:
    """Each worker instance's peak, by instance name, from a ``MemoryWatch`` sample."""
    return {k.removeprefix(INSTANCE_PREFIX): v for k, v in peaks.items() if k.startswith(INSTANCE_PREFIX)}


class MemoryWatch:
    """Polls the peak resident set (VmHWM) of the stack's processes until stopped."""

    def __init__(self, settings: Settings, interval_s: float = 0.5) -> None:
        self._settings = settings
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)
        self.peak_kb: dict[str, int] = {}
        self.cpu_s: dict[int, tuple[str, float]] = {}
        """Per pid seen: its role and the CPU seconds (user + system) it had used when last sampled."""
        self.worker_pids: set[int] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def worker_pid(self) -> int | None:
        """The faust worker the supervisor runs now (the py-spy target)."""
        supervisor = processes.pid_of(self._settings, "worker")
        children = _children(supervisor) if supervisor is not None else []
        return max(children) if children else None

    def sample(self) -> dict[str, int]:
        """The peaks so far: ``worker`` and ``supervisor`` are the highest of any worker instance's,
        ``instance:<name>`` each instance's worker (``BENCH_WORKERS``)."""
        instances = ["worker", *processes.extra_workers(self._settings)]
        service = processes.pid_of(self._settings, "service")
        roles: list[tuple[str, int, str | None]] = []
        for name in instances:
            supervisor = processes.pid_of(self._settings, name)
            if supervisor is None:
                continue
            roles.append(("supervisor", supervisor, None))
            for child in _children(supervisor):
                roles.append(("worker", child, f"{INSTANCE_PREFIX}{name}"))
                self.worker_pids.add(child)
        if service is not None:
            roles.append(("service", service, None))
        broker = processes.broker_pid(self._settings)
        if broker is not None:
            roles.append(("broker", broker, None))
        # The harness publishes the steady feed and polls the read side: its CPU is the stack's too.
        roles.append(("harness", os.getpid(), None))
        with self._lock:
            for role, pid, instance in roles:
                peak = _status_kb(pid, "VmHWM")
                if peak is not None:
                    self.peak_kb[role] = max(self.peak_kb.get(role, 0), peak)
                    if instance is not None:
                        self.peak_kb[instance] = max(self.peak_kb.get(instance, 0), peak)
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    self.cpu_s[pid] = (role, cpu)
            return dict(self.peak_kb)

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds each role has used so far, over every process it had."""
        self.sample()
        totals: dict[str, float] = {}
        with self._lock:
            for role, seconds in self.cpu_s.values():
                totals[role] = round(totals.get(role, 0.0) + seconds, 2)
        return totals

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)
