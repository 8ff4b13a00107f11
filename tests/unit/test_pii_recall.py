"""The labelled PII test set through the social connector: what is labelled must not be published.

The set is generated (seeded) by ``connectors.evaluation.pii``; its figures are in ``docs/privacy.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.base import Context
from connectors.evaluation import pii
from connectors.social import SocialConnector
from events.codec import encode
from tests.conftest import ingest_in_memory

FLOORS = {
    "name": 0.99,
    "email": 1.0,
    "phone": 0.99,
    "postcode": 0.99,
    "vehicle_registration": 0.99,
    "handle": 1.0,
}


@pytest.fixture(scope="module")
def cases() -> tuple[pii.Case, ...]:
    return pii.test_set()


class TestPublishedEvents:
    def test_nothing_labelled_survives_into_a_published_event(
        self, cases: tuple[pii.Case, ...], context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        """Every name, e-mail, phone, postcode, plate and handle is gone from what is published."""
        lines = [
            json.dumps(
                {
                    "id": f"pii-{index}",
                    "created_at": "2024-06-01T12:00:00+01:00",
                    "platform": "test",
                    "text": case.text,
                    "place": "Kentish Town",
                    **({"author": case.labels[0].value} if case.labels[0].kind == "handle" else {}),
                },
                ensure_ascii=False,
            )
            for index, case in enumerate(cases)
        ]
        path = tmp_csv("pii.jsonl", "\n".join(lines) + "\n")
        ran = ingest_in_memory(SocialConnector(), path, context)
        assert ran.summary.published == len(cases)
        survivors = set()
        for case, event in zip(cases, ran.events, strict=True):
            wire = encode(event).decode("utf-8")
            survivors |= {(label.kind, label.value) for label in case.labels if pii.survives(label, wire)}
        assert survivors == set()

    def test_the_search_would_find_a_value_that_was_left_in(self) -> None:
        """The check above can fail: a value left in the text is found, in each of its forms."""
        assert pii.survives(pii.Label(kind="phone", value="07700 900123"), "ring 07700900123")
        assert pii.survives(pii.Label(kind="postcode", value="NW1 2DB"), "NW1 [postcode] nw1 2db")
        assert pii.survives(pii.Label(kind="name", value="Dave Smith"), "[name] Smith said")
        assert not pii.survives(pii.Label(kind="name", value="Dave Smith"), "Smithfield and [name]")


class TestRecall:
    def test_recall_of_each_kind_is_above_its_floor(self, cases: tuple[pii.Case, ...]) -> None:
        report = pii.evaluate(cases, ())
        recall = {kind.kind: kind.recall for kind in report.recall}
        assert all(kind.labelled >= 150 for kind in report.recall)
        assert {kind: recall[kind] >= floor for kind, floor in FLOORS.items()} == dict.fromkeys(FLOORS, True)

    def test_clean_text_is_left_alone(self) -> None:
        """Streets, shops named after people, organisations and everyday capitalised words survive."""
        report = pii.evaluate((), pii.clean_set())
        assert report.clean_sentences == 1000
        assert report.false_positive_rate <= 0.005

    def test_the_clean_set_holds_what_looks_like_names(self) -> None:
        """The ceiling above means something: the clean set has shops and places that hold name words."""
        clean = " ".join(pii.clean_set())
        assert all(shop in clean for shop in ("Paddy Power", "John Lewis", "Sainsbury's", "Robert Dyas"))
        assert all(place in clean for place in ("Kenwood House", "Royal Free Hospital", "Kentish Town Road"))


class TestRealText:
    def test_the_tweets_are_counted_and_the_hand_picked_names_checked(self, tmp_path: Path) -> None:
        """The real-text figures of docs/privacy.md, on two made-up tweets in the corpus's layout."""
        folder = tmp_path / pii.SENTIMP_TWEETS.parent
        folder.mkdir()
        (tmp_path / pii.SENTIMP_TWEETS).write_text(
            "tweet_id,full_text\n"
            '1,"Great to see Keir Starmer and Keir Starmer again"\n'
            '2,"Potholes on Malden Road"\n',
            encoding="utf-8",
        )
        names_file = tmp_path / "names.txt"
        names_file.write_text(
            "[mentioned]\nKeir Starmer\nRishi Sunak\n[authors]\nSomeone Else\n", encoding="utf-8"
        )
        real = pii.real_text(tmp_path, names_file)
        assert (real.texts, real.with_names, real.spans, real.distinct_spans) == (2, 1, 2, 1)
        assert (real.named, real.named_caught) == (1, 1)

    def test_the_set_is_the_same_for_the_same_seed(self) -> None:
        assert pii.test_set(seed=5, per_kind=3) == pii.test_set(seed=5, per_kind=3)
        assert pii.test_set(seed=5, per_kind=3) != pii.test_set(seed=6, per_kind=3)
