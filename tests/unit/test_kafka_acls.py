"""docker/kafka/engage-acls.txt grants the application exactly the topics and groups the code uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from engage.settings import REPO_ROOT, Settings
from events import topics
from projections.service import SINK_GROUP
from streams.app import create_app

ACLS = REPO_ROOT / "docker" / "kafka" / "engage-acls.txt"
WORKER = "{worker_id}"


@dataclass(frozen=True)
class Grant:
    resource: str
    pattern: str
    name: str
    operations: frozenset[str]


def grants() -> list[Grant]:
    found = []
    for line in ACLS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        resource, pattern, name, operations = line.split()
        found.append(Grant(resource, pattern, name, frozenset(operations.split(","))))
    return found


def names(resource: str, pattern: str) -> set[str]:
    return {g.name for g in grants() if g.resource == resource and g.pattern == pattern}


def test_every_topic_the_system_creates_and_no_other_is_granted_by_name() -> None:
    assert names("topic", "literal") == set(topics.CREATED_BY_OPERATOR)


def test_the_groups_are_the_worker_and_the_sink() -> None:
    assert names("group", "literal") == {WORKER, SINK_GROUP}
    assert not names("group", "prefixed")


@pytest.mark.parametrize("worker_id", ["engage-worker", "engage-east-worker"])
def test_every_topic_faust_creates_for_the_worker_falls_under_the_prefix(worker_id: str) -> None:
    (prefix,) = names("topic", "prefixed")
    app = create_app(Settings(worker_id=worker_id))
    # faust names its partition-assignment topic only in this private attribute.
    leader: Any = app._leader_assignor
    internal = set(app.tables.changelog_topics) | {leader._leader_topic_name}
    assert len(internal) == 4
    assert all(name.startswith(prefix.replace(WORKER, worker_id)) for name in internal)
    assert app.conf.id == worker_id  # the consumer group granted as {worker_id}


def test_the_application_may_never_delete_alter_or_administer() -> None:
    allowed = {"Create", "Describe", "Read", "Write"}
    assert {g.resource for g in grants()} == {"topic", "group"}  # nothing on the cluster
    for grant in grants():
        assert grant.operations <= allowed, grant
