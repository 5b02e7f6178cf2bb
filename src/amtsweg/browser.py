"""Browser-test infrastructure: Playwright driving Debian's Chromium against pytest-django's live server.

Fixtures (registered in ``amtsweg/conftest.py``):

* ``chromium``: a headless Chromium, one per test module;
* ``page``: a fresh browser tab whose relative URLs go to the live server (``page.goto("/")``),
  with the database in transactional mode so the server thread sees the test's data.

:func:`assert_accessible` runs axe-core (``node_modules/axe-core``, installed by ``npm install``)
in the page and fails on serious or critical violations. The page keeps the real CSP; axe is
evaluated through the DevTools protocol, which the CSP does not govern, so the check does not
need ``bypass_csp``. CSP violations the page itself causes (an inline style, say) fail the test.

When Chromium, Playwright or axe-core is missing the test is skipped with the reason; under CI
(``CI=true``) it fails instead, because CI must run them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from django.conf import settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

CHROMIUM_PATH = Path(os.getenv("AMTSWEG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_PATH = Path(settings.REPO_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Impacts that fail a page; "minor" and "moderate" findings are reported by the audits, not the tests.
FAILING_IMPACTS = frozenset({"serious", "critical"})
DEFAULT_TIMEOUT_MS = 15_000


def unavailable(reason: str) -> NoReturn:
    """Skip, or under CI (``CI=true``) fail: a missing browser must not pass CI silently."""
    if os.getenv("CI", "").strip().lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the tests of one module.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it is
    started, which makes Django refuse ORM calls from "async" code; the flag below lifts that
    for the module's lifetime only (the ORM is in fact called synchronously here).
    """
    if not CHROMIUM_PATH.exists():
        unavailable(
            f"Chromium not found at {CHROMIUM_PATH} (apt-get install chromium, or set AMTSWEG_CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()


@pytest.fixture
def page(chromium: Browser, live_server: Any, transactional_db: None) -> Iterator[Page]:
    """A new tab in a fresh context (no cookies), German by default, relative URLs on the live server."""
    context = chromium.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    tab = context.new_page()
    csp_violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(f"{tab.url}: {message.text}")

    tab.on("console", on_console)
    try:
        yield tab
    finally:
        context.close()
    if csp_violations:
        pytest.fail("The page violated its Content-Security-Policy:\n" + "\n".join(csp_violations))


def _load_axe(page: Page) -> None:
    if not AXE_PATH.exists():
        unavailable(f"axe-core not found at {AXE_PATH} (run `npm install` in {settings.REPO_DIR})")
    if page.evaluate("() => typeof window.axe !== 'undefined'"):
        return
    # Evaluated through the DevTools protocol, not as a <script> element: the page's strict CSP
    # stays in force for everything else the test checks.
    page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;void 0")


def axe_violations(
    page: Page, *, impacts: frozenset[str] = FAILING_IMPACTS, disable_rules: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """axe-core's violations on the current page whose impact is in ``impacts``."""
    _load_axe(page)
    options = {
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in disable_rules},
    }
    result: dict[str, Any] = page.evaluate("options => window.axe.run(document, options)", options)
    return [v for v in result.get("violations", []) if v.get("impact") in impacts]


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for violation in violations:
        lines.append(
            f"- [{violation.get('impact')}] {violation.get('id')}: {violation.get('help')} "
            f"({violation.get('helpUrl')})"
        )
        for node in violation.get("nodes", [])[:5]:
            target = json.dumps(node.get("target"), ensure_ascii=False)
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(
    page: Page, *, impacts: frozenset[str] = FAILING_IMPACTS, disable_rules: tuple[str, ...] = ()
) -> None:
    """Fail when axe-core finds violations of serious or critical impact on the current page."""
    violations = axe_violations(page, impacts=impacts, disable_rules=disable_rules)
    if violations:
        pytest.fail(
            f"axe-core found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + format_violations(violations)
        )
