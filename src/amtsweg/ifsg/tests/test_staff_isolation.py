"""The health office's pages and staff API under the isolation matrix: the authority's staff get in, a
town's caseworker gets 404 on every route, citizens 403, anonymous visitors the login.

``tests/test_isolation_matrix.py`` runs these rows too once the lead has assembled ``ifsg/tests/matrix.py``;
running them here keeps the part's own check next to it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.testing import ROLES, Route, World

from .matrix_staff import ROUTES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method}:{r.name}")
def test_staff_route(world: World, route: Route, role: str) -> None:
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    url = route.url(world, world.neuss)
    if route.method == "get":
        response = client.get(url)
    elif url.startswith("/api/"):
        response = getattr(client, route.method)(url, data=route.data, content_type="application/json")
    else:
        response = getattr(client, route.method)(url, data=route.data)
    allowed = route.expect(role, "own")
    assert response.status_code in allowed, (
        f"{role} {route.method.upper()} {url}: {response.status_code}, expected {allowed}"
    )
    if response.status_code >= 400 and url.startswith("/api/"):
        assert response["Content-Type"].startswith("application/problem+json")


def test_every_staff_route_has_a_row() -> None:
    from amtsweg.ifsg import api_staff, urls_staff

    names = {f"backoffice:{p.name}" for p in urls_staff.backoffice_patterns} | {
        p.name for p in api_staff.urlpatterns
    }
    assert names == {route.name for route in ROUTES}
