"""The dashboard in a real browser: the system's headless Chromium, driven by Selenium through the
system's chromedriver, loads the page from an HTTP server on 127.0.0.1 that renders it per request
from a real DuckDB file (read-only), as the read-side service does.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make system-deps``). Leaves screenshots in
``tests/artifacts/`` (git-ignored): ``dashboard.png`` (the overview) and ``dashboard-detail.png``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from connectors.placing import Neighbourhoods
from engage.settings import REPO_ROOT
from projections import store
from projections.dashboard import InvalidDashboardRequest, render_query, scale
from tests.dashboard_scenario import EVIDENCE_TEXT, HOT, SCRIPT_TEXT, SPIKE, build, load_neighbourhoods

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
# Without the background-networking switches Chromium phones home at start, and on a closed network
# those connections are refused; the sandbox needs user namespaces that a root CI runner lacks.
CHROMIUM_SWITCHES = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1100",
    "--hide-scrollbars",
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is absent: `make system-deps` installs Debian's chromium, chromium-driver",
    ),
]


def rgb(colour: str) -> str:
    """A ``#rrggbb`` colour as the browser's computed style gives it."""
    r, g, b = scale.rgb(colour)
    return f"rgb({r}, {g}, {b})"


def _handler(con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            status, kind = HTTPStatus.OK, "text/html; charset=utf-8"
            if url.path != "/dashboard":
                status, kind, body = HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "try /dashboard"
            else:
                try:
                    body = render_query(con, neighbourhoods, url.query)
                except InvalidDashboardRequest as exc:
                    status, kind, body = HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", str(exc)
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    neighbourhoods = load_neighbourhoods()
    path = tmp_path_factory.mktemp("dashboard-site") / "engage.duckdb"
    build(path, neighbourhoods).close()
    con = store.connect(path, read_only=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(con, neighbourhoods))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="dashboard-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dashboard"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        con.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for switch in CHROMIUM_SWITCHES:
        options.add_argument(switch)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # The driver path is given, so Selenium downloads nothing.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _loaded(browser: WebDriver) -> None:
    """Wait for the end of the page: the bottom marking is its last element."""
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.ID, "marking-bottom"))
    )


def _open(browser: WebDriver, url: str) -> None:
    browser.get(url)
    _loaded(browser)


def _screenshot(browser: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    assert browser.save_screenshot(str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return target


def test_the_map_draws_one_path_per_neighbourhood_in_its_colour(browser: WebDriver, site: str) -> None:
    _open(browser, site)
    neighbourhoods = load_neighbourhoods()
    paths = browser.find_elements(By.CSS_SELECTOR, "svg.map path.area")
    assert [p.get_attribute("data-neighbourhood") for p in paths] == [n.id for n in neighbourhoods.all]
    assert all(p.rect["width"] > 5 and p.rect["height"] > 5 for p in paths)
    by_id = {p.get_attribute("data-neighbourhood"): p for p in paths}
    # Kentish Town's level in force is the analyst's override to 4.
    assert by_id[HOT].value_of_css_property("fill") == rgb(scale.fill_for(4))
    allowed = {rgb(c) for c in (*scale.PALETTE, scale.NO_DATA)}
    assert {p.value_of_css_property("fill") for p in paths} <= allowed
    title = by_id[HOT].find_element(By.TAG_NAME, "title").get_attribute("textContent")
    assert title == "Kentish Town: tension 4 (high)"
    for where in ("marking-top", "marking-bottom"):
        marking = browser.find_element(By.ID, where)
        assert marking.is_displayed() and marking.text == "OFFICIAL-SENSITIVE"
    _screenshot(browser, "dashboard.png")


def test_priorities_and_evidence_are_visible_and_a_script_in_the_data_stays_text(
    browser: WebDriver, site: str
) -> None:
    _open(browser, site)
    detail = browser.find_element(By.ID, f"n-{HOT}")
    browser.execute_script("arguments[0].scrollIntoView()", detail)
    rows = detail.find_elements(By.CSS_SELECTOR, "table.priorities tr.priority")
    assert len(rows) == 5 and all(r.is_displayed() for r in rows)
    assert any("youth nuisance" in r.text and "NEW" in r.text for r in rows)
    evidence = [e for e in detail.find_elements(By.CSS_SELECTOR, "li.evidence") if e.is_displayed()]
    texts = " ".join(e.text for e in evidence)
    assert EVIDENCE_TEXT in texts
    assert SCRIPT_TEXT in texts
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.execute_script("return document.scripts.length") == 0


def test_clicking_a_neighbourhood_on_the_map_opens_its_detail(browser: WebDriver, site: str) -> None:
    _open(browser, site)
    browser.execute_script("window.scrollTo(0, 0)")
    # A point inside the path that the path itself receives (not a neighbour drawn over it).
    point = browser.execute_script(
        """
        const path = document.getElementById(arguments[0]);
        const svg = path.ownerSVGElement, box = path.getBBox(), screen = path.getScreenCTM();
        for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
          const p = svg.createSVGPoint();
          p.x = box.x + box.width * i / 24; p.y = box.y + box.height * j / 24;
          if (!path.isPointInFill(p)) continue;
          const s = p.matrixTransform(screen);
          if (document.elementFromPoint(s.x, s.y) === path) return [s.x, s.y];
        }
        return null;
        """,
        f"map-{HOT}",
    )
    assert point is not None, "no point of Kentish Town's path is on screen"
    click = ActionBuilder(browser)
    click.pointer_action.move_to_location(int(point[0]), int(point[1])).click()  # type: ignore[no-untyped-call]
    click.perform()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains(f"area={HOT}"))
    _loaded(browser)
    sections = browser.find_elements(By.CSS_SELECTOR, "section.area")
    assert [s.get_attribute("data-neighbourhood") for s in sections] == [HOT]
    assert sections[0].is_displayed()
    assert browser.execute_script("return document.querySelector(':target').id") == f"n-{HOT}"
    assert "Kentish Town" in sections[0].find_element(By.TAG_NAME, "h2").text
    assert "analyst override" in sections[0].text
    selected = browser.find_elements(By.CSS_SELECTOR, "svg.map path.selected")
    assert [p.get_attribute("data-neighbourhood") for p in selected] == [HOT]
    _screenshot(browser, "dashboard-detail.png")


def test_the_as_of_form_shows_the_area_before_the_spike(browser: WebDriver, site: str) -> None:
    _open(browser, site)
    field = browser.find_element(By.ID, "as_of")
    before = SPIKE.replace(hour=19)
    browser.execute_script("arguments[0].value = arguments[1]", field, before.strftime("%Y-%m-%dT%H:%M"))
    browser.find_element(By.CSS_SELECTOR, "form.asof button[type=submit]").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("as_of=2026-03-10T19%3A00"))
    _loaded(browser)
    hot = browser.find_element(By.ID, f"map-{HOT}")
    assert hot.value_of_css_property("fill") == rgb(scale.fill_for(1))
    assert browser.find_element(By.ID, "marking-top").text == "OFFICIAL"
    assert browser.find_element(By.ID, "as_of").get_attribute("value") == "2026-03-10T19:00"
