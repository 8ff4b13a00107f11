"""The social connector on the synthetic Camden posts that ship with the repo, and on broken posts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.base import Context
from connectors.placing import Neighbourhoods
from connectors.registry import connector_for
from connectors.social import SocialConnector
from engage.settings import REPO_ROOT
from events import SocialSignalObserved, Theme
from events.codec import encode
from tests.conftest import ingest_in_memory

EXAMPLE = REPO_ROOT / "data" / "social" / "camden_posts_synthetic.jsonl"


def post(post_id: str | None = "1", **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": post_id,
        "created_at": "2024-06-01T21:15:00+01:00",
        "platform": "x",
        "text": "Drug dealing outside the station again",
        "place": "Kentish Town",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def jsonl(tmp_csv: Callable[[str, str], Path], *lines: dict[str, Any] | str) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    return tmp_csv("posts.jsonl", text)


def signal(event: Any) -> SocialSignalObserved:
    assert isinstance(event.payload, SocialSignalObserved)
    return event.payload


class TestExample:
    def test_every_synthetic_post_is_published_placed_and_redacted(self, context: Context) -> None:
        """The example file is all good posts; its personal data is gone and counted."""
        ran = ingest_in_memory(connector_for("social"), EXAMPLE, context)
        assert (ran.summary.read, ran.summary.published) == (120, 120)
        assert {"email", "phone", "postcode", "vehicle_registration", "name", "handle"} <= set(
            ran.summary.redacted
        )
        wire = "\n".join(encode(e).decode() for e in ran.events)
        assert "@example.com" not in wire and "07700 900" not in wire and "gospeloak_gary" not in wire
        assert len({e.neighbourhood_id for e in ran.events}) > 12
        assert len({signal(e).theme for e in ran.events}) >= 10

    def test_hostile_and_rumour_posts_stand_out(self, context: Context) -> None:
        ran = ingest_in_memory(SocialConnector(), EXAMPLE, context)
        hostile = [signal(e).text for e in ran.events if signal(e).hostility >= 0.5]
        rumours = [signal(e).text for e in ran.events if signal(e).rumour >= 0.5]
        assert any("get down there" in text for text in hostile)
        assert any(text.startswith("Apparently") for text in rumours)
        assert not any("Great PACT meeting" in text for text in hostile + rumours)


class TestMapping:
    def test_a_post_becomes_a_scored_themed_signal(
        self, context: Context, tmp_csv: Callable[[str, str], Path], neighbourhoods: Neighbourhoods
    ) -> None:
        path = jsonl(
            tmp_csv, post(author="@Someone", text="Brilliant work by the police clearing the dealers")
        )
        ran = ingest_in_memory(SocialConnector(), path, context)
        event = ran.events[0]
        payload = signal(event)
        assert neighbourhoods.by_id(event.neighbourhood_id).name == "Kentish Town"
        assert event.event_time.isoformat() == "2024-06-01T21:15:00+01:00"
        assert payload.theme is Theme.DRUGS and payload.sentiment > 0.05
        assert payload.hostility == 0 and payload.rumour == 0
        assert (
            payload.author is not None and payload.author.startswith("p_") and "omeone" not in payload.author
        )
        assert payload.platform == "x" and event.source == "social"

    def test_the_same_handle_is_the_same_voice(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = jsonl(tmp_csv, post("1", author="@a"), post("2", author="@A"), post("3", author="@b"))
        authors = [signal(e).author for e in ingest_in_memory(SocialConnector(), path, context).events]
        assert authors[0] == authors[1] != authors[2]

    def test_each_way_of_placing_a_post(self, context: Context, tmp_csv: Callable[[str, str], Path]) -> None:
        path = jsonl(
            tmp_csv,
            post("by-name", place="king's cross"),
            post("by-id", place=None, neighbourhood_id="E36007170"),
            post("by-point", place=None, lat=51.5269, lon=-0.1220),
            post("by-point-text", place=None, lat="51.5269", lon="-0.1220"),
        )
        ran = ingest_in_memory(SocialConnector(), path, context)
        assert [e.neighbourhood_id for e in ran.events] == ["E36007170"] * 4

    def test_twitter_times_are_read(self, context: Context, tmp_csv: Callable[[str, str], Path]) -> None:
        path = jsonl(tmp_csv, post(created_at="Sat Jun 01 20:15:00 +0000 2024"))
        event = ingest_in_memory(SocialConnector(), path, context).events[0]
        assert event.event_time.isoformat() == "2024-06-01T20:15:00+00:00"

    def test_ids_are_stable_and_differ_by_platform(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = jsonl(tmp_csv, post("7"), post("7", platform="facebook"))
        first = [e.event_id for e in ingest_in_memory(SocialConnector(), path, context).events]
        second = [e.event_id for e in ingest_in_memory(SocialConnector(), path, context).events]
        assert first == second and first[0] != first[1]

    def test_text_that_grows_when_redacted_still_fits(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        """Placeholders can be longer than what they replace; the event must still hold the text."""
        text = ("AB12 CDE " * 222)[:1998]
        ran = ingest_in_memory(SocialConnector(), jsonl(tmp_csv, post(text=text)), context)
        published = signal(ran.events[0]).text
        assert len(published) <= 2000 and "AB12" not in published
        SocialSignalObserved.model_validate(signal(ran.events[0]).model_dump())


class TestBadPosts:
    def test_each_bad_post_is_rejected_with_its_reason_and_the_run_goes_on(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = jsonl(
            tmp_csv,
            post("good-1"),
            '{"id": "broken", "text": ',
            post("no-text", text=None),
            post("blank-text", text="   "),
            post("bad-time", created_at="yesterday"),
            post("no-offset", created_at="2024-06-01T21:15:00"),
            post("nowhere", place=None),
            post("unknown-ward", place="Narnia"),
            post("liverpool", place=None, lat=53.40, lon=-2.98),
            post("half-point", place=None, lat=51.53),
            post("too-long", text="x" * 2001),
            post(None),
            post("no-platform", platform=None),
            "[1, 2]",
            post("good-2", text="x" * 2000),
        )
        ran = ingest_in_memory(SocialConnector(), path, context)
        assert (ran.summary.read, ran.summary.published, ran.summary.rejected) == (15, 2, 13)
        reasons = {line: letter.reason.value for line, letter in ran.letters.items()}
        assert reasons == {
            2: "malformed",
            3: "missing_field",
            4: "missing_field",
            5: "invalid_value",
            6: "invalid_value",
            7: "unplaced",
            8: "unknown_neighbourhood",
            9: "unplaced",
            10: "unplaced",
            11: "invalid_value",
            12: "missing_field",
            13: "missing_field",
            14: "malformed",
        }
        assert "2001 characters" in ran.letters[11].detail
        assert "offset" in ran.letters[6].detail

    def test_a_rejected_post_keeps_no_personal_data(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = jsonl(
            tmp_csv, post(place=None, text="My neighbour Dave Smith, call 07700 900123", author="@dave")
        )
        letter = ingest_in_memory(SocialConnector(), path, context).letters[1]
        assert letter.reason.value == "unplaced"
        assert "Dave" not in letter.record and "900123" not in letter.record and "@dave" not in letter.record
