"""The browser-test helpers themselves: axe-core really runs and really reports."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from amtsweg.browser import assert_accessible, axe_violations

pytestmark = pytest.mark.browser


def test_axe_reports_serious_violations(page: Page) -> None:
    page.set_content('<html lang="de"><title>t</title><main><img src="x.png"><button></button></main></html>')

    found = {violation["id"] for violation in axe_violations(page)}

    assert {"image-alt", "button-name"} <= found
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        assert_accessible(page)


def test_axe_runs_under_the_portal_csp(page: Page, db: None) -> None:
    response = page.goto("/suche/")

    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert axe_violations(page) == []
    assert page.evaluate("() => typeof window.axe.run") == "function"
