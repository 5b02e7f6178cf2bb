"""The portal's error pages: consistent layout, German and English, never a bare server error."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from amtsweg.portal import views

from .conftest import PortalWorld


def test_not_found_page(client: Client, portal_world: PortalWorld) -> None:
    response = client.get("/gibt-es-nicht/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Seite nicht gefunden</h1>" in html
    assert 'class="skip-link"' in html
    assert 'href="/leistungen/"' in html


def test_not_found_page_in_english(client: Client, portal_world: PortalWorld) -> None:
    response = client.get("/gibt-es-nicht/", headers={"accept-language": "en"})

    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("handler", "status", "heading"),
    [
        (views.bad_request, 400, "Ungültige Anfrage"),
        (views.permission_denied, 403, "Kein Zugriff"),
        (views.page_not_found, 404, "Seite nicht gefunden"),
    ],
)
def test_error_handlers_render_the_portal_layout(
    rf: RequestFactory, db: None, handler: object, status: int, heading: str
) -> None:
    request = rf.get("/irgendwo/")

    with translation.override("de"):  # no middleware here: the thread's language would leak in
        response = handler(request, Exception("boom"))  # type: ignore[operator]

    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_server_error_handler(rf: RequestFactory, db: None) -> None:
    with translation.override("de"):
        response = views.server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Interner Fehler" in response.content.decode()


def test_post_to_a_page_is_refused_cleanly(client: Client, portal_world: PortalWorld) -> None:
    assert client.post("/leistungen/").status_code in (403, 405)
