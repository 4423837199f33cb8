"""Headless Debian Chromium driven by Playwright; never a downloaded browser."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.db import connections

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A page in a fresh Chromium, for one test.

    Playwright's sync API keeps an event loop running in the test thread while the browser is
    open, and Django then refuses ORM calls; the test's own ORM calls between browser steps are
    synchronous and safe, so the guard is lifted for this test only, and the browser is closed
    (ending the loop) before the database fixtures tear down.
    """
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (bin/test does this)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        # Anything the Content-Security-Policy refuses (an inline script, an eval) fails the test.
        violations: list[str] = []

        def record_violation(message: "ConsoleMessage") -> None:
            if "Content Security Policy" in message.text:
                violations.append(message.text)

        page.on("console", record_violation)
        page.csp_violations = violations  # type: ignore[attr-defined]  # tests read it too
        yield page
        assert violations == [], "; ".join(violations)
        # ORM calls made while the loop ran used connections of the loop's context, which the
        # database teardown cannot see; close them here or the test database cannot be dropped.
        connections.close_all()
        browser.close()


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"


def check_page(page: object, name: str) -> None:
    """Save a full-page screenshot as an artifact, and fail on any WCAG 2 A/AA violation that
    axe-core finds (labels, contrast, names of controls, landmarks)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert page.csp_violations == [], f"{name}: " + "; ".join(page.csp_violations)  # type: ignore[attr-defined]
    # Through the DevTools protocol, not a <script> tag: the page's CSP refuses inline script.
    page.evaluate(AXE.read_text() + "\n;undefined")  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
    ]
    assert problems == [], f"{name}: " + "; ".join(problems)
