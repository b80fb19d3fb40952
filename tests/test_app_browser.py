"""The classroom app in a real browser: ``cxsim app`` serves it on 127.0.0.1, headless Chromium
(Debian's ``chromium``, driven by Playwright, no browser download) opens it with every request
off this machine blocked, moves the CEO-commitment slider, steps the model and reads the new
state off the page; a screenshot is saved (``SCREENSHOT``).

Skipped only where ``/usr/bin/chromium`` is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "tests" / "artifacts" / "app.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium; CI does)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``cxsim app ceo_led`` on a free port of 127.0.0.1, in its own process group."""
    port = _free_port()
    log = open(ROOT / "tests" / ".app_server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxsim", "app", "ceo_led", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, (ROOT / "tests" / ".app_server.log").read_text()
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("the app server did not start within 90 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
        (ROOT / "tests" / ".app_server.log").unlink(missing_ok=True)


def _row(page: object, title: str) -> list[float]:
    """The numbers of one row of the app's "now" table (one per firm)."""
    cells = page.locator("tr", has_text=title).first.locator("td").all_inner_texts()
    return [float(c.replace(",", "")) for c in cells[1:]]


def test_slider_mid_run_changes_what_the_page_shows(server: str) -> None:
    from playwright.sync_api import sync_playwright

    off_machine: list[str] = []

    def local_only(route: object) -> None:
        url = route.request.url
        if re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]|^(data|blob):", url):
            route.continue_()
        else:  # the classroom has no internet: nothing may be fetched from outside
            off_machine.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.route("**/*", local_only)
            page.goto(server)
            page.get_by_text("Week 0 of 260").wait_for(timeout=90_000)
            step = page.get_by_role("button", name="Step")
            for week in (1, 2):
                step.click()
                page.get_by_text(f"Week {week} of 260").wait_for(timeout=30_000)
            ceo_before = _row(page, "CEO commitment")
            leaders_before = _row(page, "leaders commitment")
            assert ceo_before[0] == pytest.approx(0.9)

            # the CEO stops caring, mid-run: the slider to its minimum with the keyboard
            field = page.locator(".v-input", has=page.get_by_text("leadership.ceo_commitment"))
            thumb = field.locator("[role=slider]").first
            thumb.focus()
            thumb.press("Home")
            page.get_by_text("from week 3: Focal leadership.ceo_commitment 0").wait_for(
                timeout=30_000
            )  # the live change is listed, for the week it takes effect
            for week in range(3, 9):
                step.click()
                page.get_by_text(f"Week {week} of 260").wait_for(timeout=30_000)

            ceo_after = _row(page, "CEO commitment")
            leaders_after = _row(page, "leaders commitment")
            assert ceo_after[0] == 0.0  # the running model took the change
            assert ceo_after[1] == ceo_before[1]  # the rival is untouched
            assert leaders_after[0] < leaders_before[0] - 0.05  # and the cascade follows
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert off_machine == []
