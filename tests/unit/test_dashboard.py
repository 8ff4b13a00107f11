"""The dashboard: its pure parts (projection, colour scale, movement, step chart, escaping) and the page
rendered from a real DuckDB file built as the sink builds it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
from shapely.geometry import Point, Polygon, box

from connectors.placing import Neighbourhoods
from engage.errors import QueryRejected
from engage.settings import REPO_ROOT
from projections import store
from projections.dashboard import InvalidDashboardRequest, geometry, parse_as_of, render, render_query, scale
from projections.dashboard.model import Area, Dashboard, Evidence, Priority, TensionPeriod
from projections.dashboard.movement import movement, ordinal
from projections.dashboard.page import esc, page, step_points
from tests.dashboard_scenario import (
    ANALYST,
    END,
    EVIDENCE_TEXT,
    HOT,
    QUIET,
    SCRIPT_TEXT,
    SPIKE,
    build,
    load_neighbourhoods,
)
from tests.unit.test_architecture import SHELL_LIBRARIES, imported_roots

T = datetime(2026, 3, 1, tzinfo=UTC)


class Parsed(HTMLParser):
    """Start tags with their attributes, and the text a reader sees (entities decoded)."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]


def section(document: str, neighbourhood_id: str) -> str:
    start = document.index(f'<section class="area" id="n-{neighbourhood_id}"')
    return document[start : document.index("</section>", start)]


class TestProjection:
    def test_the_corners_of_the_bounds_fall_on_the_margins(self) -> None:
        p = geometry.fit((-0.2, 51.5, -0.1, 51.6), width=500, height=500, margin=10)
        assert p.point(-0.2, 51.6) == pytest.approx((10, 10))
        assert p.point(-0.1, 51.5) == pytest.approx((p.width - 10, p.height - 10))
        # The taller side fills the box; the other is smaller, not stretched.
        assert p.height == pytest.approx(500) and p.width < 500

    def test_longitude_is_shrunk_by_the_cosine_of_the_middle_latitude(self) -> None:
        p = geometry.fit((10.0, 59.5, 11.0, 60.5), width=1000, height=1000, margin=0)
        assert p.width / p.height == pytest.approx(math.cos(math.radians(60)))
        assert p.x_scale / p.y_scale == pytest.approx(0.5)

    def test_a_kilometre_east_is_drawn_as_long_as_a_kilometre_north_in_camden(self) -> None:
        lat = 51.54
        p = geometry.fit((-0.22, 51.51, -0.10, 51.58))
        km_lat = 1 / 111.2  # degrees of latitude in a kilometre (spherical Earth)
        km_lon = km_lat / math.cos(math.radians(lat))
        x0, y0 = p.point(-0.15, lat)
        x1, _ = p.point(-0.15 + km_lon, lat)
        _, y1 = p.point(-0.15, lat + km_lat)
        assert abs(x1 - x0) == pytest.approx(abs(y1 - y0), rel=0.002)

    def test_north_is_up(self) -> None:
        p = geometry.fit((0, 0, 1, 1))
        assert p.point(0.5, 0.9)[1] < p.point(0.5, 0.1)[1]

    @pytest.mark.parametrize("bounds", [(1, 0, 0, 1), (0, 1, 1, 0), (0, 0, math.nan, 1)])
    def test_bounds_that_are_not_west_south_east_north_are_refused(self, bounds: tuple[float, ...]) -> None:
        with pytest.raises(ValueError, match="west, south, east, north"):
            geometry.fit(bounds)

    def test_a_single_point_still_gets_a_box(self) -> None:
        p = geometry.fit((1, 1, 1, 1))
        assert math.isfinite(p.width) and math.isfinite(p.height)


class TestPaths:
    def test_a_polygon_with_a_hole_draws_two_closed_rings(self) -> None:
        square = Polygon(box(0, 0, 1, 1).exterior.coords, [box(0.4, 0.4, 0.6, 0.6).exterior.coords])
        d = geometry.path_data(square, geometry.fit((0, 0, 1, 1), width=100, height=100, margin=0))
        assert d.count("M") == 2 and d.count("Z") == 2
        assert d.startswith("M")
        assert set(re.findall(r"-?\d+(?:\.\d+)?", d)) <= {"0", "100", "40", "60"}

    def test_a_multipolygon_draws_each_part(self) -> None:
        two = box(0, 0, 1, 1).union(box(2, 0, 3, 1))
        assert geometry.path_data(two, geometry.fit((0, 0, 3, 1))).count("Z") == 2

    def test_a_large_boundary_is_simplified_to_within_a_pixel(self) -> None:
        circle = Point(0, 51.5).buffer(0.05, quad_segs=5_000)
        projection = geometry.fit(circle.bounds, width=600, height=600)
        d = geometry.path_data(circle, projection)
        corners = re.findall(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)", d)
        drawn = Polygon([(float(x), float(y)) for x, y in corners])
        exact = geometry.project(circle, projection)
        assert len(corners) < 2_000 < len(circle.exterior.coords)
        assert drawn.hausdorff_distance(exact) <= geometry.TOLERANCE + 0.1

    def test_a_small_boundary_keeps_every_point(self) -> None:
        shape = Polygon([(0, 0), (1, 0), (1, 1), (0.5, 1.0001), (0, 1)])
        d = geometry.path_data(shape, geometry.fit(shape.bounds, width=1000, height=1000))
        assert d.count(",") == 5

    def test_what_is_not_a_polygon_is_refused_with_the_setting_to_fix(self) -> None:
        with pytest.raises(ValueError, match="ENGAGE_BOUNDARIES_PATH"):
            geometry.path_data(Point(0, 0), geometry.fit((0, 0, 1, 1)))

    def test_rings_lose_repeated_points_and_slivers(self) -> None:
        assert geometry.ring_path([(0, 0), (0.01, 0), (5, 0), (5, 5), (0, 0)]) == "M0,0L5,0 5,5Z"
        assert geometry.ring_path([(0, 0), (0, 0.01), (0, 0)]) == ""


class TestColourScale:
    def test_five_levels_run_from_light_to_dark(self) -> None:
        colours = [scale.fill_for(level) for level in range(1, 6)]
        assert len(set(colours)) == 5
        light = [scale.luminance(c) for c in colours]
        assert light == sorted(light, reverse=True)
        assert all(a - b > 0.05 for a, b in pairwise(light))

    def test_no_data_is_grey_and_apart_from_the_levels(self) -> None:
        assert scale.fill_for(None) == scale.NO_DATA not in scale.PALETTE
        r, g, b = scale.rgb(scale.NO_DATA)
        assert r == g == b
        assert scale.label_for(None) == "no events heard"

    def test_levels_beyond_the_scale_take_its_ends(self) -> None:
        assert scale.fill_for(0) == scale.fill_for(1)
        assert scale.fill_for(9) == scale.fill_for(5)
        assert scale.label_for(9) == "critical"

    @pytest.mark.parametrize("colour", [*scale.PALETTE, scale.NO_DATA])
    def test_text_written_on_every_colour_is_readable(self, colour: str) -> None:
        ink = scale.luminance(scale.ink_for(colour))
        back = scale.luminance(colour)
        contrast = (max(ink, back) + 0.05) / (min(ink, back) + 0.05)
        assert contrast >= 4.5

    def test_a_colour_that_is_not_rgb_hex_is_refused(self) -> None:
        with pytest.raises(ValueError, match="#rrggbb"):
            scale.luminance("red")


class TestMovement:
    @pytest.mark.parametrize(
        ("now", "before", "kind", "symbol", "label"),
        [
            (1, 3, "up", "\u21912", "up 2 places, 3rd 14 days before"),
            (4, 3, "down", "\u21931", "down 1 place, 3rd 14 days before"),
            (2, 2, "same", "=", "no change, also 2nd 14 days before"),
            (5, None, "new", "new", "new: not ranked 14 days before"),
        ],
    )
    def test_rank_now_against_rank_before(
        self, now: int, before: int | None, kind: str, symbol: str, label: str
    ) -> None:
        m = movement(now, before)
        assert (m.kind, m.symbol, m.label) == (kind, symbol, label)

    def test_ranks_start_at_one(self) -> None:
        with pytest.raises(ValueError):
            movement(0, 1)
        with pytest.raises(ValueError):
            movement(1, 0)

    @pytest.mark.parametrize(
        ("n", "said"),
        [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (22, "22nd")],
    )
    def test_ordinals(self, n: int, said: str) -> None:
        assert ordinal(n) == said


class TestStepChart:
    def test_the_line_steps_at_each_change_and_runs_to_the_end(self) -> None:
        day = timedelta(days=1)
        points = step_points(
            [(T, T + 2 * day, 1), (T + 2 * day, T + 3 * day, 4), (T + 3 * day, None, 2)],
            T,
            T + 4 * day,
            width=400,
            height=40,
        )
        assert points == [(0, 40), (200, 40), (200, 10), (300, 10), (300, 30), (400, 30)]

    def test_periods_are_clipped_to_the_window(self) -> None:
        day = timedelta(days=1)
        points = step_points(
            [(T - 9 * day, T - 5 * day, 5), (T - 5 * day, T + day, 3), (T + day, None, 1)],
            T,
            T + 2 * day,
            width=100,
            height=40,
        )
        assert points == [(0, 20), (50, 20), (50, 40), (100, 40)]


def hostile_board() -> Dashboard:
    nasty = '<img src=x onerror="alert(1)">'
    evidence = Evidence(
        event_id='e"1',
        event_time=T,
        event_type="SocialSignalObserved",
        channel="social",
        theme="hate",
        source="<b>src</b>",
        marking="OFFICIAL",
        text="<script>alert('x')</script> & more",
    )
    return Dashboard(
        as_of=T,
        requested=T,
        latest=T,
        marking="OFFICIAL",
        selected=None,
        areas=(
            Area(
                neighbourhood_id='N"><script>',
                name=nasty,
                level=3,
                label="<i>significant</i>",
                since=T,
                cause="model",
                analyst='" onmouseover="x',
                priorities=(
                    Priority(
                        theme="<u>drugs</u>",
                        rank=1,
                        score=0.5,
                        voices=3,
                        channels=("<s>social</s>",),
                        agreed=False,
                        in_top_elsewhere=False,
                        concern_crime_gap=None,
                        rank_before=None,
                    ),
                ),
                timeline=(
                    TensionPeriod(
                        valid_from=T - timedelta(days=1),
                        valid_to=None,
                        level=3,
                        label="<i>significant</i>",
                        modelled_level=3,
                        cause="model",
                        score=7.0,
                        analyst="",
                        evidence_ids=('e"1',),
                        evidence=(evidence,),
                    ),
                ),
                coverage=None,
                feedback=(),
            ),
        ),
    )


class TestEscaping:
    def test_markup_characters_are_made_inert(self) -> None:
        assert esc("<script>\"'&") == "&lt;script&gt;&quot;&#x27;&amp;"

    def test_nothing_from_the_data_becomes_markup(self) -> None:
        document = page(hostile_board(), [('N"><script>', box(0, 51, 0.1, 51.1))])
        parsed = Parsed(document)
        assert not parsed.all("script") and not parsed.all("img") and not parsed.all("u")
        assert not any("onerror" in a or "onmouseover" in a for _, a in parsed.tags)
        text = "".join(parsed.text)
        for shown in ("<script>alert('x')</script> & more", '<img src=x onerror="alert(1)">', "<u>drugs</u>"):
            assert shown in text
        # The neighbourhood id survives as an attribute value and a link, never as markup.
        (path,) = parsed.all("path", "area")
        assert path["data-neighbourhood"] == 'N"><script>'


@pytest.fixture(scope="module")
def neighbourhoods() -> Neighbourhoods:
    return load_neighbourhoods()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, neighbourhoods: Neighbourhoods) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "engage.duckdb"
    build(path, neighbourhoods).close()
    return path


@pytest.fixture(scope="module")
def con(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # Read-only: the dashboard can render from it only if it never writes.
    connection = store.connect(database, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def latest_page(con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods) -> str:
    return render(con, neighbourhoods)


class TestRender:
    def test_the_map_has_one_path_per_neighbourhood_shaded_by_its_level(
        self, latest_page: str, neighbourhoods: Neighbourhoods, con: duckdb.DuckDBPyConnection
    ) -> None:
        paths = Parsed(latest_page).all("path", "area")
        assert [p["data-neighbourhood"] for p in paths] == [n.id for n in neighbourhoods.all]
        fills = {p["data-neighbourhood"]: p["fill"] for p in paths}
        assert fills[HOT] == scale.fill_for(4) == "#f03b20"
        levels = dict(con.execute("select neighbourhood_id, level from tension_current").fetchall())
        assert fills == {n.id: scale.fill_for(levels.get(n.id)) for n in neighbourhoods.all}
        assert all(p["d"].startswith("M") and p["d"].endswith("Z") for p in paths)

    def test_each_neighbourhood_links_to_its_detail_and_names_itself_on_hover(self, latest_page: str) -> None:
        parsed = Parsed(latest_page)
        links = [a["href"] for a in parsed.all("a") if a["href"].endswith(f"#n-{HOT}")]
        assert f"?area={HOT}#n-{HOT}" in links
        assert "Kentish Town: tension 4 (high)" in "".join(parsed.text)
        assert f'id="n-{HOT}"' in latest_page

    def test_the_timeline_shows_the_override_and_the_spike_with_its_evidence(self, latest_page: str) -> None:
        detail = section(latest_page, HOT)
        text = "".join(Parsed(detail).text)
        assert "analyst override by " + ANALYST in text
        assert "model: a spike against its own baseline" in text
        assert EVIDENCE_TEXT in text
        assert f"Level in force since {SPIKE.replace(hour=9) + timedelta(days=1):%Y-%m-%d %H:%M} UTC" in text
        assert Parsed(detail).all("svg", "chart")

    def test_a_script_in_an_event_text_is_rendered_inert(self, latest_page: str) -> None:
        parsed = Parsed(latest_page)
        assert not parsed.all("script")
        assert SCRIPT_TEXT in "".join(parsed.text)
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in latest_page
        assert "<script" not in latest_page.lower()

    def test_priorities_show_their_rank_and_movement_with_words_for_screen_readers(
        self, latest_page: str, con: duckdb.DuckDBPyConnection
    ) -> None:
        before = END - timedelta(days=14)
        ranked_before = con.execute(
            "select theme from priority_history where neighbourhood_id = ? and valid_from <= ? "
            "and (valid_to > ? or valid_to is null)",
            [HOT, before, before],
        ).fetchall()
        assert ("youth_nuisance",) not in ranked_before and ranked_before
        parsed = Parsed(section(latest_page, HOT))
        themes = [row["data-theme"] for row in parsed.all("tr", "priority")]
        top = [
            t
            for (t,) in con.execute(
                "select theme from priority_current where neighbourhood_id = ? order by rank limit 5", [HOT]
            ).fetchall()
        ]
        assert themes == top
        moves = parsed.all("span", "move")
        assert len(moves) == 5 and all(m["role"] == "img" and m["aria-label"] for m in moves)
        row = themes.index("youth_nuisance")
        assert "new" in moves[row]["class"] and moves[row]["aria-label"] == "new: not ranked 14 days before"

    def test_coverage_gaps_and_you_said_we_did_are_shown(
        self, latest_page: str, con: duckdb.DuckDBPyConnection
    ) -> None:
        (missing, gaps) = con.execute(
            "select channels_missing, seldom_heard_gaps from coverage_current where neighbourhood_id = ?",
            [QUIET],
        ).fetchone() or ([], [])
        detail = section(latest_page, QUIET)
        text = "".join(Parsed(detail).text)
        assert gaps and all(g.replace("_", " ") in text for g in gaps)
        assert all(c.replace("_", " ") in text for c in missing)
        statuses = [r["data-status"] for r in Parsed(detail).all("tr", "feedback")]
        expected = con.execute(
            "select status from feedback_current where neighbourhood_id = ?", [QUIET]
        ).fetchall()
        assert sorted(statuses) == sorted(s for (s,) in expected) and statuses

    def test_before_the_spike_the_neighbourhood_was_calm_and_the_page_official(
        self, con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods
    ) -> None:
        earlier = render(con, neighbourhoods, as_of=SPIKE - timedelta(hours=1))
        fills = {p["data-neighbourhood"]: p["fill"] for p in Parsed(earlier).all("path", "area")}
        assert fills[HOT] == scale.fill_for(1)
        assert SCRIPT_TEXT not in "".join(Parsed(earlier).text)
        assert re.findall(r'id="marking-(?:top|bottom)" role="note">([^<]+)<', earlier) == ["OFFICIAL"] * 2
        # The form and the links keep the time asked for.
        assert 'value="2026-03-10T19:00"' in earlier
        assert f"?as_of=2026-03-10T19%3A00&amp;area={HOT}#n-{HOT}" in earlier

    def test_the_highest_marking_of_what_is_shown_is_at_top_and_bottom(
        self, latest_page: str, con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods
    ) -> None:
        assert (
            re.findall(r'id="marking-(?:top|bottom)" role="note">([^<]+)<', latest_page)
            == ["OFFICIAL-SENSITIVE"] * 2
        )
        quiet = render(con, neighbourhoods, area=QUIET)
        assert re.findall(r'id="marking-(?:top|bottom)" role="note">([^<]+)<', quiet) == ["OFFICIAL"] * 2

    def test_an_area_shows_that_neighbourhood_alone_with_the_whole_map(
        self, con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods
    ) -> None:
        document = render(con, neighbourhoods, area=HOT)
        parsed = Parsed(document)
        assert [s["data-neighbourhood"] for s in parsed.all("section", "area")] == [HOT]
        assert len(parsed.all("path", "area")) == len(neighbourhoods.all)
        assert [p["data-neighbourhood"] for p in parsed.all("path", "selected")] == [HOT]
        assert {"type": "hidden", "name": "area", "value": HOT} in parsed.all("input")

    def test_the_page_fetches_nothing(self, latest_page: str) -> None:
        parsed = Parsed(latest_page)
        assert not parsed.all("link") and not parsed.all("img") and not parsed.all("iframe")
        assert not any("src" in a for _, a in parsed.tags)
        assert all(a["href"].startswith("?") for a in parsed.all("a"))
        assert "url(" not in latest_page and "@import" not in latest_page
        assert re.findall(r"https?://[^\"' ]+", latest_page) == ["http://www.w3.org/2000/svg"] * (
            latest_page.count('xmlns="http://www.w3.org/2000/svg"')
        )
        (policy,) = [
            m["content"] for m in parsed.all("meta") if m.get("http-equiv") == "Content-Security-Policy"
        ]
        assert "default-src 'none'" in policy and "script-src 'none'" in policy

    def test_an_unknown_area_or_time_is_refused_with_what_to_give(
        self, con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods
    ) -> None:
        with pytest.raises(InvalidDashboardRequest, match="pick one on the map"):
            render(con, neighbourhoods, area="<nowhere>")
        with pytest.raises(InvalidDashboardRequest, match="2026-01-15T18:00"):
            render_query(con, neighbourhoods, "as_of=yesterday")
        with pytest.raises(InvalidDashboardRequest, match="as_of and area"):
            render_query(con, neighbourhoods, "sql=drop+table+events")
        assert issubclass(InvalidDashboardRequest, QueryRejected)

    def test_the_query_string_gives_the_same_page_as_the_arguments(
        self, con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods
    ) -> None:
        at = SPIKE + timedelta(hours=2)
        assert render_query(con, neighbourhoods, f"as_of=2026-03-10T22:00&area={HOT}") == render(
            con, neighbourhoods, as_of=at, area=HOT
        )
        assert render_query(con, neighbourhoods, "") == render(con, neighbourhoods)

    def test_an_empty_database_gives_a_grey_map_and_says_so(
        self, tmp_path: Path, neighbourhoods: Neighbourhoods
    ) -> None:
        empty = store.connect(tmp_path / "empty.duckdb")
        document = render(empty, neighbourhoods)
        empty.close()
        assert "No events have been heard yet" in document
        assert {p["fill"] for p in Parsed(document).all("path", "area")} == {scale.NO_DATA}


class TestAsOf:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-01-15", datetime(2026, 1, 15, tzinfo=UTC)),
            ("2026-01-15T18:30", datetime(2026, 1, 15, 18, 30, tzinfo=UTC)),
            ("2026-01-15T18:30:00+01:00", datetime(2026, 1, 15, 17, 30, tzinfo=UTC)),
            (" 2026-01-15T18:30Z ", datetime(2026, 1, 15, 18, 30, tzinfo=UTC)),
        ],
    )
    def test_dates_and_times_are_read_as_utc_unless_they_say(self, text: str, expected: datetime) -> None:
        assert parse_as_of(text) == expected


def test_the_pure_parts_of_the_dashboard_import_no_database() -> None:
    folder = REPO_ROOT / "projections" / "dashboard"
    for name in ("geometry.py", "scale.py", "movement.py", "model.py", "page.py"):
        assert not imported_roots(folder / name) & SHELL_LIBRARIES, name
    assert "duckdb" in imported_roots(folder / "read.py")
