"""Personal data never reaches the log: free text is redacted, handles pseudonymised, dead letters too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connectors import lexicon
from connectors.base import Context
from connectors.canonical import CanonicalConnector
from connectors.ingest import ListPublisher, run
from connectors.privacy import pseudonym, redact, scrub
from events import RecordWithdrawn, SocialSignalObserved
from events.codec import encode
from tests.conftest import envelope


class TestRedact:
    @pytest.mark.parametrize(
        ("text", "kind", "gone"),
        [
            ("write to jo.bloggs+pact@example.co.uk today", "email", "jo.bloggs"),
            ("call 07700 900123 after six", "phone", "900123"),
            ("ring +44 20 7946 0958", "phone", "7946"),
            ("lives at NW1 2DB near the park", "postcode", "2DB"),
            ("van AB12 CDE parked on the kerb", "vehicle_registration", "AB12 CDE"),
            ("thanks @camden_resident for this", "handle", "camden_resident"),
        ],
    )
    def test_each_kind_is_removed_and_counted(self, text: str, kind: str, gone: str) -> None:
        cleaned, found = redact(text)
        assert gone not in cleaned
        assert found.counts[kind] == 1

    def test_the_postcode_district_is_kept(self) -> None:
        cleaned, _ = redact("meeting at NW5 1TL")
        assert "NW5" in cleaned and "1TL" not in cleaned

    def test_plain_text_is_untouched(self) -> None:
        text = "Drug dealing by the station every evening, 15 people came to the PACT meeting"
        assert redact(text) == (text, redact("")[1])


class TestPseudonym:
    def test_the_same_handle_gives_the_same_pseudonym_and_a_different_salt_another(self) -> None:
        assert pseudonym("@Someone", b"s1") == pseudonym("@someone ", b"s1")
        assert pseudonym("@someone", b"s1") != pseudonym("@someone", b"s2")
        assert "someone" not in pseudonym("@someone", b"s1")


class TestScrub:
    def test_a_social_signal_loses_its_handle_and_its_personal_data(self) -> None:
        event = envelope(
            SocialSignalObserved(
                platform="x", author="@loudvoice", text="email me at a.person@example.com or 07700 900123"
            )
        )
        cleaned, found = scrub(event, b"salt")
        wire = encode(cleaned).decode()
        assert "loudvoice" not in wire and "a.person" not in wire and "900123" not in wire
        assert found.counts == {"handle": 1, "email": 1, "phone": 1}


class TestDeadLettersAreRedacted:
    def test_a_rejected_record_keeps_no_personal_data(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("bad.jsonl", '{"note": "from jo@example.com, 07700 900123, NW1 2DB", "oops": \n')
        publisher = ListPublisher()
        summary = run(CanonicalConnector(), path, context, publisher)
        assert summary.rejected == 1
        record = publisher.dead_letters[0].record
        assert "jo@example.com" not in record and "900123" not in record and "2DB" not in record
        assert summary.redacted == {"email": 1, "phone": 1, "postcode": 1}


class TestMoreFormats:
    @pytest.mark.parametrize(
        "phone",
        [
            "07700900123",
            "07700-900-123",
            "+447700900123",
            "+44 (0)7700 900123",
            "0044 7700 900123",
            "(020) 7946 0958",
            "0207 946 0958",
            "0113 496 0123",
        ],
    )
    def test_uk_phones_as_people_write_them(self, phone: str) -> None:
        cleaned, found = redact(f"ring {phone} tonight")
        assert cleaned == "ring [phone] tonight" and found.counts == {"phone": 1}

    @pytest.mark.parametrize("plate", ["AB12 CDE", "AB12CDE", "A123 BCD", "ABC 123D"])
    def test_current_prefix_and_suffix_number_plates(self, plate: str) -> None:
        cleaned, found = redact(f"van {plate} again")
        assert cleaned == "van [vehicle_registration] again" and found.counts == {"vehicle_registration": 1}

    def test_a_lower_case_postcode_keeps_its_district_in_capitals(self) -> None:
        assert redact("outside nw5 1tl")[0] == "outside NW5 [postcode]"


class TestNames:
    @pytest.mark.parametrize(
        ("text", "cleaned"),
        [
            ("My neighbour Dave keeps parking here", "My neighbour [name] keeps parking here"),
            ("Mr Okonkwo at number 12 shouts", "Mr [name] at number 12 shouts"),
            ("Spoke to Cllr Sarah Jones today", "Spoke to Cllr [name] today"),
            ("Saw Priya Patel at the meeting", "Saw [name] at the meeting"),
            ("thanks Grace for the leaflets", "thanks [name] for the leaflets"),
            ("Will Smith was there", "[name] was there"),
            ("Iain Duncan Smith said so", "[name] said so"),
            ("a man called Kofi keeps knocking", "a man called [name] keeps knocking"),
            ("Marcus from number 4 is dealing", "[name] from number 4 is dealing"),
        ],
    )
    def test_names_are_removed_by_the_evidence_around_them(self, text: str, cleaned: str) -> None:
        assert redact(text)[0] == cleaned
        assert redact(text)[1].counts["name"] == 1

    @pytest.mark.parametrize(
        "text",
        [
            "Fly-tipping on Charlotte Street and Victoria Road again",
            "Meeting at St John's Wood church, then Kentish Town",
            "May I ask why Camden Council ignored the petition?",
            "Will the lights on Albert Street be fixed by June?",
            "Boxing Day crowds at Camden Market",
            "Crystal Palace fans on the train through Gospel Oak",
            "Lady Margaret Road is flooded, St Pancras and Somers Town too",
        ],
    )
    def test_places_months_and_everyday_words_are_kept(self, text: str) -> None:
        assert redact(text)[0] == text

    def test_a_scrubbed_event_is_cut_back_to_what_it_can_hold(self) -> None:
        event = envelope(SocialSignalObserved(platform="x", text=("AB12 CDE " * 250)[:2000]))
        cleaned, found = scrub(event, b"salt")
        assert isinstance(cleaned.payload, SocialSignalObserved)
        assert len(cleaned.payload.text) <= 2000 and found.counts["vehicle_registration"] > 200


class TestLargeNameLists:
    """Names from the large lists, with the context that makes a capitalised word a person's name."""

    @pytest.mark.parametrize(
        ("text", "cleaned"),
        [
            # A given name of the large lists, not an English word, then a capitalised word.
            ("Saw Ifeoma Nwachukwu at the ward panel", "Saw [name] at the ward panel"),
            ("Chancellor Tomasz Wiśniewski came to the meeting", "Chancellor [name] came to the meeting"),
            # Accents and apostrophes do not hide a name.
            ("Thérèse O'Donoghue was handing out leaflets", "[name] was handing out leaflets"),
            # A given name that is also a word, with a surname that is not one.
            ("Has anyone seen Rose Abernathy?", "Has anyone seen [name]?"),
            # A name word alone, with a possessive or a verb of saying after it.
            ("Bob's van is across the dropped kerb again", "[name]'s van is across the dropped kerb again"),
            ("Gwilym's dog got out again.", "[name]'s dog got out again."),
            ("Kerry said the lift is broken", "[name] said the lift is broken"),
            # A place or a shop after a title or a given name is a surname.
            ("Mr McDonald's car was scratched", "Mr [name]'s car was scratched"),
            (
                "Ben Sutton was there, outside McDonald's in Sutton",
                "[name] was there, outside McDonald's in Sutton",
            ),
        ],
    )
    def test_names_found_by_the_large_lists(self, text: str, cleaned: str) -> None:
        assert redact(text)[0] == cleaned
        assert redact(text)[1].counts["name"] == 1

    @pytest.mark.parametrize(
        "text",
        [
            "Shoplifting at Sainsbury's on Camden Road, and at the John Lewis on Oxford Street",
            "Queue outside Robert Dyas, then Paddy Power was broken into",
            "Royal Free Hospital car park barrier broken, Transport for London closed the bridge",
            "Bell ringing practice at the church goes on until 9pm",
            "Rose bushes in the community garden were pulled up",
            "Amber warning for rain, Holly and ivy stall at Camden Market",
            "May's meeting moved, June's is at Kenwood House",
            "Cuba's doctors, Hong Kong's protests and the Tour de France",
            "Clare's Law requests have doubled",
            "Plastic Free Ringwood did a beach clean",
            "The Albion String Quartet played at the Scottish Parliament",
            "Lost my purse in Chester-Le-Street Rehab",
        ],
    )
    def test_shops_places_organisations_and_words_are_kept(self, text: str) -> None:
        assert redact(text)[0] == text

    def test_a_word_of_the_lists_that_is_also_english_needs_more_than_a_capital(self) -> None:
        """ "Bell" and "Sultana" are in the lists and are words: alone, or before a proper noun, they stay."""
        assert (
            redact("Sultana raisins and Bell peppers on offer")[0]
            == "Sultana raisins and Bell peppers on offer"
        )
        assert redact("Saw Bell Ribeiro-Addy today")[0] == "Saw [name] today"


class TestNameKey:
    @pytest.mark.parametrize(
        ("word", "key"),
        [("Thérèse", "therese"), ("O'Brien", "obrien"), ("O\u2019Neill", "oneill"), ("McDONALD", "mcdonald")],
    )
    def test_names_are_looked_up_without_accents_apostrophes_or_case(self, word: str, key: str) -> None:
        assert lexicon.name_key(word) == key


def test_a_withdrawal_names_who_asked_without_their_contact_details() -> None:
    withdrawal = envelope(
        RecordWithdrawn(
            withdrawn_event_id="x1", reason="erasure_request", requested_by="housing, jo.bloggs@camden.gov.uk"
        )
    )
    cleaned, found = scrub(withdrawal, b"salt")
    assert isinstance(cleaned.payload, RecordWithdrawn)
    assert "@" not in cleaned.payload.requested_by and cleaned.payload.requested_by.startswith("housing")
    assert found.counts["email"] == 1
