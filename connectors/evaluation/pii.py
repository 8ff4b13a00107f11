"""A labelled PII test set, generated and seeded, and the recall of ``connectors.privacy.redact`` on it.

Each case is a sentence of the kind residents post, with the personal data in it labelled by kind:
names (public figures' names from the SentiMP-21 UK tweets, ``data/pii/``), e-mail addresses, UK phone
numbers (mobile, London and regional landlines, +44 and 0044, with and without spaces, dashes or
brackets), full postcodes (upper and lower case, with and without the space), vehicle registrations
(current, prefix and suffix formats) and handles. Numbers come from Ofcom's ranges kept for drama
(07700 900xxx, 020 7946 0xxx, 0113 496 0xxx) and e-mail domains are example domains, so no real
person is reachable through the set.

A labelled value *survives* when any part a reader could use is still in the text: any word of a name,
the inward code of a postcode (the district is kept on purpose), the last six digits of a phone
number, or the whole of anything else. Recall of a kind is the share of its labelled values that do
not survive. The clean set holds sentences with no personal data but with what the rules must not
take for it (ward and street names, months, house and bus numbers, road names, organisations); its
false-positive rate is the share of clean sentences in which anything was redacted.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from connectors import lexicon
from connectors.privacy import names_in, redact
from engage.settings import REPO_ROOT
from events import Frozen

NAMES_FILE = REPO_ROOT / "data" / "pii" / "sentimp21_uk_names.txt"
SENTIMP_TWEETS = Path("sentimp21_uk") / "uk_extended_full.csv"
"""The 500 real UK MPs' tweets, in the folder of human-labelled corpora (not in the repository)."""
KINDS = ("name", "email", "phone", "postcode", "vehicle_registration", "handle")
SEED = 2026


class Label(Frozen):
    kind: str
    value: str


class Case(Frozen):
    text: str
    labels: tuple[Label, ...]


class KindRecall(Frozen):
    kind: str
    labelled: int
    caught: int

    @property
    def recall(self) -> float:
        return self.caught / self.labelled if self.labelled else 1.0


class Report(Frozen):
    cases: int
    recall: tuple[KindRecall, ...]
    clean_sentences: int
    clean_redacted: int
    clean_redactions: dict[str, int]
    survivors: tuple[Label, ...]
    """The labelled values that survived redaction, to read (and fix) by hand; never logged."""

    @property
    def false_positive_rate(self) -> float:
        return self.clean_redacted / self.clean_sentences


class RealText(Frozen):
    """The name rules on real text: how much they take out, and how many of the hand-picked names."""

    texts: int
    with_names: int
    spans: int
    distinct_spans: int
    named: int
    """Occurrences, in the texts, of the names picked from them by hand (the names file's ``[mentioned]``)."""
    named_caught: int


WARDS = (
    "Belsize",
    "Bloomsbury",
    "Camden Town with Primrose Hill",
    "Cantelowes",
    "Fortune Green",
    "Frognal and Fitzjohns",
    "Gospel Oak",
    "Hampstead Town",
    "Haverstock",
    "Highgate",
    "Holborn and Covent Garden",
    "Kentish Town",
    "Kilburn",
    "King's Cross",
    "Regent's Park",
    "St Pancras and Somers Town",
    "Swiss Cottage",
    "West Hampstead",
)
STREETS = (
    "Kentish Town Road",
    "Camden High Street",
    "Malden Road",
    "Queen's Crescent",
    "Prince of Wales Road",
    "Fortess Road",
    "Leighton Road",
    "Eversholt Street",
    "Chalton Street",
    "Finchley Road",
    "West End Lane",
    "Kilburn High Road",
    "Fortune Green Road",
    "Haverstock Hill",
    "England's Lane",
    "Gray's Inn Road",
    "Judd Street",
    "Marchmont Street",
    "Theobalds Road",
    "Royal College Street",
    "Agar Grove",
    "Highgate Road",
    "Swain's Lane",
    "Heath Street",
    "Flask Walk",
    "Regent's Park Road",
    "Albert Street",
    "Delancey Street",
    "Parkway",
    "Arlington Road",
    "Charlotte Street",
    "Victoria Road",
    "Lady Margaret Road",
    "Grafton Road",
    "Churchill Road",
)
SPOTS = (
    "Kentish Town station",
    "the Camden Town tube",
    "Chalk Farm station",
    "the Queen's Crescent market",
    "Mornington Crescent",
    "Swiss Cottage library",
    "the Kilburn Grange park",
    "Talacre",
    "the Regent's Canal towpath",
    "Russell Square",
    "Euston bus station",
    "the Maiden Lane estate",
    "Hampstead Heath",
    "Primrose Hill",
    "St Pancras",
)
DISTRICTS = ("NW1", "NW3", "NW5", "NW6", "NW8", "N6", "N7", "N19", "WC1H", "WC1N", "WC1X", "WC2H", "W1T")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXY"
_PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"

NAME_TEMPLATES: tuple[str, ...] = (
    "My neighbour {first} keeps leaving rubbish bags outside on {street}.",
    "my next door neighbour {full} has had her bike stolen again",
    "Mr {last} at number {n} has been shouting at the kids in the stairwell all week.",
    "Mrs {last} from {street} says the lift has been broken for a month.",
    "Spoke to Cllr {full} about the fly-tipping on {street}, nothing done yet.",
    "PC {last} was brilliant at the {ward} PACT meeting tonight.",
    "Thanks {first} for clearing the graffiti off the bus shelter!",
    "{full} was handing out leaflets outside {spot} this morning.",
    "Saw {full} at the {ward} ward panel, they promised more patrols.",
    "{full} from number {n} is dealing from the car park again.",
    "Has anyone seen {first} {last}? Not been home since Tuesday.",
    "A man called {first} keeps knocking on doors on {street} asking for money.",
    "Great turnout at the litter pick, well done {first} and everyone who came.",
    "Dr {last} at the surgery on {street} says the needles in the park are a real risk.",
    "our landlord {full} won't fix the door entry, anyone else in {ward} had this?",
    "Shout out to {full} who runs the youth club on {street}.",
    "{first}'s van has been parked across the dropped kerb on {street} for days.",
    "Reported it to {full} at the council, still waiting.",
)
OTHER_TEMPLATES: dict[str, tuple[str, ...]] = {
    "email": (
        "Email {email} if you want to join the Neighbourhood Watch on {street}.",
        "Anyone with CCTV from {street} last night please send it to {email}",
        "The residents' association is at {email}, come to the meeting on Thursday.",
    ),
    "phone": (
        "If you see the van again call me on {phone}.",
        "Lost dog near {spot}, brown staffie, please ring {phone}.",
        "Text {phone} if you can help with the litter pick on Saturday.",
        "The housing officer's number is {phone} if anyone needs it",
    ),
    "postcode": (
        "Car broken into outside {postcode} last night, glass everywhere.",
        "Fly-tipping again at {postcode}, mattresses and a fridge.",
        "Loud party at {postcode} every weekend until 4am.",
    ),
    "vehicle_registration": (
        "Silver Ford Focus {reg} doing doughnuts in the car park again.",
        "White van {reg} dumping rubbish on {street}, got it on camera.",
        "Black BMW {reg} speeding down {street} every night, someone will get hurt.",
        "Old Land Rover reg {reg} abandoned on {street} for three weeks.",
    ),
    "handle": (
        "Thanks {handle} for the photos of the fly-tipping.",
        "{handle} posted a video of the fight outside {spot}",
        "Is {handle} the one organising the street party on {street}?",
    ),
}
CLEAN_TEMPLATES: tuple[str, ...] = (
    "Drug dealing by {spot} every evening, 15 people came to the PACT meeting about it.",
    "The {ward} ward panel meets on the first Monday in May at 7pm.",
    "Will the council do something about the potholes on {street}?",
    "May I ask why nobody from Camden Council came to the meeting?",
    "Mark your diaries: litter pick on {street} on 12 June from 10am.",
    "Bins on {street} not collected since 3 August.",
    "The number 24 bus was diverted from {street} again tonight.",
    "Traffic backed up on the A400 all the way to {spot} at 6pm.",
    "Grace period for the parking permits ends in April.",
    "Victoria line delays again, {spot} packed.",
    "Met Police appeal for witnesses to a robbery on {street} at 11pm.",
    "Camden Council says the CCTV on {street} will be fixed by March.",
    "Black Lives Matter mural on {street} has been damaged.",
    "Burger King on Camden High Street had its window smashed.",
    "Boxing Day sales brought crowds to {spot}.",
    "Safer Neighbourhoods Team patrols in {ward} doubled this month.",
    "Noise from the flats at number 40 {street} until 3am, 2nd night in a row.",
    "Hope someone sorts out the street lights on {street} before winter.",
    "Rose Garden in Regent's Park looked lovely today.",
    "Jack up the number of patrols near {spot} please, it is getting worse.",
    "Crystal Palace fans were singing on the train through {ward} all evening.",
    "The Post Office on {street} closes at 5:30 on Saturdays.",
    "St Pancras and Somers Town has the most reports this week, 32 of them.",
    "Universal Credit advice at {spot} library on Wednesday, 10 to 12.",
    "Victoria Road and Albert Street both had cars broken into, 4th time this year.",
    "Mental Health Awareness Week stall outside {spot} on Friday.",
    "Queen's Crescent market is back on Thursday and Saturday.",
    "Said it before, the crossing on {street} needs a lollipop person.",
    "Speeding on the M25 is not our problem, {street} is.",
    "Over 200 residents signed the petition about {spot}.",
    # Shops, organisations and London places, several named after people or holding given names and
    # surnames ("William Hill", "Royal Free", "Kenwood House"): none of them is personal data.
    "Shoplifting at {shop} on {street} again, staff say it is every day now.",
    "Youths hanging around outside {shop} after school, the manager has called {org} twice.",
    "{shop} on {street} is closing down, another empty unit.",
    "Someone was mugged by the cash machine outside {shop} at 10pm.",
    "{org} says the works on {street} will last until the autumn.",
    "Spoke to {org} about the broken lift, they said it is on the list.",
    "Met with {org} and {org2} about the knife crime figures in {ward}.",
    "Bus stop moved to {london} while {org} resurface the road.",
    "Cycled from {london} to {spot} and saw three cars jump the red light.",
    "Drugs being sold openly by {london} in the afternoons.",
    "{london} was heaving on Saturday night, no police anywhere.",
    "Ambulance took 40 minutes to reach {street}, we were told to go to {hospital}.",
    "{hospital} A&E waiting times are shocking, 9 hours last night.",
    "Queue outside {shop} went round the corner onto {street}.",
    "Camden Market stalls were broken into overnight, {org} are looking at the CCTV.",
    "Fights outside the pubs on Kentish Town Road every Friday.",
    "Royal Free Hospital car park barrier broken again.",
    "Sainsbury's on Camden Road has new security guards.",
    "Transport for London have closed the footbridge at {london}.",
    "Rough sleepers in the doorways of {shop} and {shop2} on {street}.",
    "Bell ringing practice at the church on {street} goes on until 9pm.",
    "Rose bushes in the {ward} community garden were pulled up overnight.",
    "Amber warning for rain, the drains on {street} are already blocked.",
    "Heather and gorse on the heath were set alight near {spot}.",
    "Holly, ivy and mistletoe stall at {london} this weekend.",
    "Sterling silver necklaces stolen from the stall at {london}.",
    "Grant funding from {org} pays for the youth club on {street}.",
    "Carol singers outside {shop} raised money for the food bank.",
    "Summer holiday activities at {spot}, free for under 16s.",
    "Penny drops: the same bike thieves hit {street} and {london}.",
    "Chase through {ward} ended when the car hit a bollard on {street}.",
    "Frost on the pavements, {street} is like an ice rink.",
    "Ivy has grown over the street light on {street}, it is pitch dark.",
    "Marks on the pavement show where the bollards on {street} used to be.",
    "Hunt for the arsonist goes on, {org} asks for dashcam footage from {street}.",
    "Lord Mayor's Show closes roads around {london} on Saturday.",
    "Gray's Inn Road and Euston Road both gridlocked after the crash at {london}.",
)
SHOPS: tuple[str, ...] = (
    "Sainsbury's",
    "Tesco Express",
    "the Co-op",
    "Marks and Spencer",
    "Marks & Spencer",
    "Waitrose",
    "Morrisons",
    "Lidl",
    "Aldi",
    "Boots",
    "Greggs",
    "McDonald's",
    "Nando's",
    "Pret",
    "Costa",
    "Iceland",
    "Argos",
    "Primark",
    "Poundland",
    "Wetherspoons",
    "Ladbrokes",
    "William Hill",
    "Paddy Power",
    "Currys",
    "Timpson",
    "Robert Dyas",
    "John Lewis",
    "Foxtons",
    "Specsavers",
    "Holland & Barrett",
    "Sports Direct",
    "TK Maxx",
    "Superdrug",
    "Ryman",
    "Lloyds Bank",
    "Barclays",
    "Halifax",
    "Santander",
    "Metro Bank",
    "Five Guys",
    "Wagamama",
    "KFC",
    "Burger King",
    "Starbucks",
    "Caffè Nero",
    "Gail's",
    "Whole Foods",
    "Planet Organic",
)
ORGANISATIONS: tuple[str, ...] = (
    "Transport for London",
    "Camden Council",
    "the Metropolitan Police",
    "the Met",
    "Network Rail",
    "Thames Water",
    "the London Fire Brigade",
    "the London Ambulance Service",
    "Victim Support",
    "Citizens Advice",
    "the Salvation Army",
    "Crimestoppers",
    "Age UK",
    "Shelter",
    "the Samaritans",
    "St Mungo's",
    "Camden Giving",
    "the Roundhouse",
    "Historic England",
    "the Canal and River Trust",
    "the Greater London Authority",
    "City Hall",
    "Camden Safer Streets",
    "the Mayor of London",
    "Network Homes",
    "Origin Housing",
    "Clarion Housing",
    "Peabody",
    "Notting Hill Genesis",
    "the Francis Crick Institute",
    "University College London",
    "Central Saint Martins",
    "Veolia",
    "Royal Mail",
    "Openreach",
    "UK Power Networks",
    "Cadent Gas",
)
HOSPITALS: tuple[str, ...] = (
    "the Royal Free",
    "Royal Free Hospital",
    "University College Hospital",
    "UCLH",
    "the Whittington",
    "Great Ormond Street",
    "St Pancras Hospital",
    "the Royal London",
)
LONDON_PLACES: tuple[str, ...] = (
    "Camden Market",
    "Camden Lock",
    "St Pancras",
    "St Pancras International",
    "King's Cross St Pancras",
    "Euston Road",
    "Tottenham Court Road",
    "Camden Road",
    "Chalk Farm Road",
    "York Way",
    "Pancras Road",
    "Caledonian Road",
    "Brecknock Road",
    "Kentish Town West",
    "Parliament Hill",
    "Kenwood House",
    "Hampstead Ponds",
    "Coal Drops Yard",
    "Granary Square",
    "Lisson Grove",
    "Regent's Place",
    "Euston Square",
    "Inverness Street",
    "Hawley Road",
    "Jamestown Road",
    "Castlehaven Road",
    "Weedington Road",
    "the Bacton estate",
    "the Peckwater estate",
    "the Whittington estate",
    "Highgate Cemetery",
    "Waterlow Park",
    "Lissenden Gardens",
    "Keats House",
    "London Zoo",
    "the Regent's Canal",
    "West Hampstead Thameslink",
    "Finsbury Park",
    "Holloway Road",
    "Archway",
    "Tufnell Park",
    "Brixton",
    "Hackney",
    "Islington",
    "Tottenham",
    "Stoke Newington",
    "Golders Green",
    "Cricklewood",
    "Willesden",
    "Kensal Rise",
    "Maida Vale",
    "Soho",
    "Shoreditch",
    "Dalston",
    "Walthamstow",
    "Stratford",
    "Croydon",
    "Lewisham",
    "Peckham",
    "Notting Hill",
    "Oxford Circus",
    "Leicester Square",
    "Highbury Corner",
    "the Angel",
    "Old Street",
    "Farringdon",
    "Clerkenwell",
    "Westfield Stratford",
    "Brent Cross",
    "Crouch End",
    "Muswell Hill",
    "Swiss Cottage",
    "Belsize Park",
)


def _read_names(path: Path) -> tuple[str, ...]:
    sections = lexicon.sections_of(path.read_text(encoding="utf-8"), path.name)
    names = []
    for full in (*sections["mentioned"], *sections["authors"]):
        # Titles, honours and initials are not the name a resident would write.
        words = [w for w in full.split() if w not in ("Dr", "QC") and not re.fullmatch(r"[A-Z]\.", w)]
        names.append(" ".join(words))
    return tuple(names)


def _email(rng: random.Random, name: str) -> str:
    first, *rest = name.lower().split()
    local = rng.choice(
        (f"{first}.{rest[-1]}", f"{first[0]}{rest[-1]}{rng.randint(1, 99)}", f"{first}_{rng.randint(70, 99)}")
    )
    local = re.sub(r"[^a-z0-9._]", "", local)
    return f"{local}@{rng.choice(('example.com', 'example.co.uk', 'example.org', 'mail.example.net'))}"


def _phone(rng: random.Random) -> str:
    tail4 = f"{rng.randint(0, 999):03d}"
    mobile = f"900{tail4}"
    forms: tuple[Callable[[], str], ...] = (
        lambda: f"07700 {mobile}",
        lambda: f"07700{mobile}",
        lambda: f"07700-{mobile[:3]}-{mobile[3:]}",
        lambda: f"+44 7700 {mobile}",
        lambda: f"+447700{mobile}",
        lambda: f"+44 (0)7700 {mobile}",
        lambda: f"0044 7700 {mobile}",
        lambda: f"020 7946 0{tail4}",
        lambda: f"(020) 7946 0{tail4}",
        lambda: f"0207 946 0{tail4}",
        lambda: f"+44 20 7946 0{tail4}",
        lambda: f"0113 496 0{tail4}",
        lambda: f"0113-496-0{tail4}",
    )
    return rng.choice(forms)()


def _postcode(rng: random.Random) -> str:
    inward = f"{rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    district = rng.choice(DISTRICTS)
    form = rng.random()
    if form < 0.6:
        return f"{district} {inward}"
    if form < 0.8:
        return f"{district} {inward}".lower()
    return f"{district}{inward}"


def _registration(rng: random.Random) -> str:
    def letters(n: int) -> str:
        return "".join(rng.choice(_PLATE_LETTERS) for _ in range(n))

    form = rng.random()
    if form < 0.5:
        space = " " if rng.random() < 0.8 else ""
        age = rng.choice((18, 19, 20, 21, 22, 23, 24, 68, 69, 70, 71, 72, 73, 74))
        return f"{letters(2)}{age}{space}{letters(3)}"
    if form < 0.8:
        return f"{letters(1)}{rng.randint(1, 999)} {letters(3)}"
    return f"{letters(3)} {rng.randint(1, 999)}{letters(1)}"


def _handle(rng: random.Random, name: str) -> str:
    first, *rest = re.sub(r"[^A-Za-z ]", "", name).split()
    return "@" + rng.choice((f"{first}{rest[-1]}", f"{first.lower()}_{rng.randint(1, 999)}", f"{rest[-1]}MP"))


def _fill(template: str, rng: random.Random, **values: str) -> str:
    common = {
        "street": rng.choice(STREETS),
        "spot": rng.choice(SPOTS),
        "ward": rng.choice(WARDS),
        "n": str(rng.randint(2, 120)),
    }
    # Drawn only for the templates that use them, so that the labelled set stays as it was.
    extra: dict[str, Callable[[], str]] = {
        "shop": lambda: rng.choice(SHOPS),
        "shop2": lambda: rng.choice(SHOPS),
        "org": lambda: rng.choice(ORGANISATIONS),
        "org2": lambda: rng.choice(ORGANISATIONS),
        "hospital": lambda: rng.choice(HOSPITALS),
        "london": lambda: rng.choice(LONDON_PLACES),
    }
    for slot, draw in extra.items():
        if "{" + slot + "}" in template:
            common[slot] = draw()
    return template.format(**{**common, **values})


def _name_case(rng: random.Random, full: str) -> Case:
    first, *rest = full.split()
    last = " ".join(rest)
    template = rng.choice(NAME_TEMPLATES)
    text = _fill(template, rng, first=first, last=last, full=full)
    used = full if "{full}" in template or ("{first}" in template and "{last}" in template) else None
    value = used or (first if "{first}" in template else last)
    return Case(text=text, labels=(Label(kind="name", value=value),))


def _other_case(rng: random.Random, kind: str, name: str) -> Case:
    value = {
        "email": lambda: _email(rng, name),
        "phone": lambda: _phone(rng),
        "postcode": lambda: _postcode(rng),
        "vehicle_registration": lambda: _registration(rng),
        "handle": lambda: _handle(rng, name),
    }[kind]()
    slot = {"vehicle_registration": "reg"}.get(kind, kind)
    text = _fill(rng.choice(OTHER_TEMPLATES[kind]), rng, **{slot: value})
    return Case(text=text, labels=(Label(kind=kind, value=value),))


def test_set(seed: int = SEED, per_kind: int = 150, names_file: Path = NAMES_FILE) -> tuple[Case, ...]:
    """Every name of the names file once, ``per_kind`` of each other kind, and mixed posts of two or three."""
    rng = random.Random(seed)
    names = _read_names(names_file)
    cases = [_name_case(rng, full) for full in names]
    for kind in KINDS[1:]:
        cases.extend(_other_case(rng, kind, rng.choice(names)) for _ in range(per_kind))
    for _ in range(per_kind):
        parts = [_name_case(rng, rng.choice(names))] + [
            _other_case(rng, kind, rng.choice(names)) for kind in rng.sample(KINDS[1:], 2)
        ]
        cases.append(
            Case(
                text=" ".join(p.text for p in parts), labels=tuple(label for p in parts for label in p.labels)
            )
        )
    return tuple(cases)


def clean_set(seed: int = SEED, count: int = 1000) -> tuple[str, ...]:
    rng = random.Random(seed + 1)
    return tuple(_fill(rng.choice(CLEAN_TEMPLATES), rng) for _ in range(count))


def survives(label: Label, text: str) -> bool:
    """Whether a reader of ``text`` could still recover the labelled value, or the part that matters."""
    if label.kind == "name":
        return any(re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) for word in label.value.split())
    if label.kind == "postcode":
        inward = label.value.replace(" ", "")[-3:]
        return re.search(rf"(?<![A-Za-z0-9]){inward}(?![A-Za-z0-9])", text, re.IGNORECASE) is not None
    if label.kind == "phone":
        return re.sub(r"\D", "", label.value)[-6:] in re.sub(r"\D", "", text)
    return label.value.lower() in text.lower()


def evaluate(cases: Sequence[Case], clean: Sequence[str]) -> Report:
    labelled: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    survivors = []
    for case in cases:
        redacted, _ = redact(case.text)
        for label in case.labels:
            labelled[label.kind] += 1
            if survives(label, redacted):
                survivors.append(label)
            else:
                caught[label.kind] += 1
    clean_counts: Counter[str] = Counter()
    clean_redacted = 0
    for sentence in clean:
        _, found = redact(sentence)
        clean_counts.update(found.counts)
        clean_redacted += bool(found.counts)
    return Report(
        cases=len(cases),
        recall=tuple(KindRecall(kind=k, labelled=labelled[k], caught=caught[k]) for k in KINDS),
        clean_sentences=len(clean),
        clean_redacted=clean_redacted,
        clean_redactions=dict(sorted(clean_counts.items())),
        survivors=tuple(survivors),
    )


def real_text(data: Path, names_file: Path = NAMES_FILE) -> RealText:
    """The name rules on the SentiMP-21 UK tweets: what they redact, read by hand in ``docs/privacy.md``.

    The names of the file's ``[mentioned]`` section were picked by hand from these tweets' text; each
    of their occurrences is counted caught when no word of it survives redaction.
    """
    with (data / SENTIMP_TWEETS).open(encoding="utf-8", newline="") as handle:
        texts = [row["full_text"] for row in csv.DictReader(handle)]
    sections = lexicon.sections_of(names_file.read_text(encoding="utf-8"), names_file.name)
    mentioned = [Label(kind="name", value=name) for name in sections["mentioned"]]
    found = [names_in(text) for text in texts]
    named = caught = 0
    for text in texts:
        redacted = redact(text)[0]
        for label in mentioned:
            if label.value in text:
                named += 1
                caught += not survives(label, redacted)
    return RealText(
        texts=len(texts),
        with_names=sum(bool(spans) for spans in found),
        spans=sum(len(spans) for spans in found),
        distinct_spans=len({span for spans in found for span in spans}),
        named=named,
        named_caught=caught,
    )
