"""Authority isolation: every endpoint and page × every role × own/other authority.

The matrix is checked against the URL configuration, so a new endpoint without a row here fails
``test_every_url_is_in_the_matrix``: isolation is decided for each route, never forgotten.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from amtsweg.catalog.models import ServiceOffering
from amtsweg.tenancy.models import AuditEvent, Authority, Team
from amtsweg.testing import (
    ROLES,
    Route,
    World,
    page_admin,
    page_home,
    page_read,
    public,
    staff_admin,
    staff_list,
    staff_read,
)


def _offering(w: World, a: Authority) -> int:
    return ServiceOffering.objects.filter(authority=a).values_list("pk", flat=True).first() or 0


def _team(w: World, a: Authority) -> int:
    return Team.objects.filter(authority=a).values_list("pk", flat=True).get()


MATRIX: list[Route] = [
    # public API
    Route("openapi-schema", lambda w, a: "/api/v1/openapi.json", public),
    Route("api-docs", lambda w, a: "/api/v1/docs/", public),
    Route("api-redoc", lambda w, a: "/api/v1/redoc/", public),
    Route("api-authority-list", lambda w, a: "/api/v1/authorities", public),
    Route("api-authority-detail", lambda w, a: f"/api/v1/authorities/{a.ags}", public),
    Route("api-office-list", lambda w, a: f"/api/v1/offices?authority={a.ags}", public),
    Route("api-office-detail", lambda w, a: f"/api/v1/offices/{a.offices.get().pk}", public),
    Route("api-service-list", lambda w, a: "/api/v1/services", public),
    Route("api-service-detail", lambda w, a: f"/api/v1/services/{w.town_service.leika_key}", public),
    Route("api-themenfeld-list", lambda w, a: "/api/v1/themenfelder", public),
    Route("api-offering-list", lambda w, a: f"/api/v1/offerings?authority={a.ags}", public),
    Route("api-offering-detail", lambda w, a: f"/api/v1/offerings/{_offering(w, a)}", public),
    Route(
        "api-responsibility",
        lambda w, a: f"/api/v1/responsibility?leika={w.town_service.leika_key}&ags={a.ags}",
        public,
    ),
    # staff API
    Route("api-staff-authority-list", lambda w, a: "/api/v1/staff/authorities", staff_list),
    Route("api-staff-team-list", lambda w, a: "/api/v1/staff/teams", staff_list),
    Route("api-staff-team-detail", lambda w, a: f"/api/v1/staff/teams/{_team(w, a)}", staff_read),
    Route("api-staff-offering-list", lambda w, a: "/api/v1/staff/offerings", staff_list),
    Route("api-staff-offering-detail", lambda w, a: f"/api/v1/staff/offerings/{_offering(w, a)}", staff_read),
    Route(
        "api-staff-offering-detail",
        lambda w, a: f"/api/v1/staff/offerings/{_offering(w, a)}",
        staff_admin,
        method="patch",
        data={"maturity": 4},
    ),
    Route("api-staff-audit-list", lambda w, a: "/api/v1/staff/audit-events", staff_list),
    # back office
    Route(
        "backoffice:login",
        lambda w, a: "/backoffice/anmelden/",
        lambda role, target: {200} if role == "anonymous" else {302},
    ),
    Route("backoffice:home", lambda w, a: "/backoffice/", page_home),
    Route("backoffice:dashboard", lambda w, a: f"/backoffice/{a.ags}/", page_read),
    Route("backoffice:offerings", lambda w, a: f"/backoffice/{a.ags}/leistungen/", page_read),
    Route(
        "backoffice:offering-edit",
        lambda w, a: f"/backoffice/{a.ags}/leistungen/{_offering(w, a)}/",
        page_read,
    ),
    Route("backoffice:teams", lambda w, a: f"/backoffice/{a.ags}/teams/", page_read),
    Route("backoffice:audit-log", lambda w, a: f"/backoffice/{a.ags}/protokoll/", page_admin),
]

# Routes that are not authority data at all (framework plumbing), listed so the coverage check is explicit.
NOT_TENANT_DATA = {"backoffice:logout", "set_language"}
PORTAL_PUBLIC_PREFIX = "portal:"


def _all_route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django admin: superusers only, scoped by the admin classes
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns)
            elif pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_is_in_the_matrix() -> None:
    covered = {route.name for route in MATRIX} | NOT_TENANT_DATA | set(PORTAL_ROUTES)
    missing = sorted(_all_route_names() - covered)
    assert not missing, f"routes without an isolation decision: {missing}"


def _client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


# Portal pages are public by design; they show no authority-internal data (checked for every role).
PORTAL_ROUTES: dict[str, Callable[[World, Authority], str]] = {
    "portal:home": lambda w, a: "/",
    "portal:authority": lambda w, a: f"/behoerden/{a.slug}/",
    "portal:authority_theme": lambda w, a: f"/behoerden/{a.slug}/theme.css",
    "portal:office": lambda w, a: f"/behoerden/{a.slug}/dienststellen/{a.offices.get().slug}/",
    "portal:catalogue": lambda w, a: "/leistungen/",
    "portal:themenfeld": lambda w, a: "/leistungen/themen/mobilitaet-reisen/",
    "portal:lebenslage": lambda w, a: "/leistungen/lebenslagen/umzug/",
    "portal:service": lambda w, a: f"/leistungen/{w.town_service.leika_key}/?ags={a.ags}",
    "portal:search": lambda w, a: "/suche/?q=Meldebescheinigung",
}
MATRIX += [Route(name, url, public) for name, url in PORTAL_ROUTES.items()]
# Each module with routes of its own lists them in ``<module>/tests/matrix.py`` as ``ROUTES``.
MODULES_WITH_ROUTES = (
    "identity",
    "forms",
    "cases",
    "notices",
    "outbox",
    "processes",
    "payments",
    "appointments",
    "vehicles",
    "ifsg",
    "care",
    "baulasten",
)
for _module in MODULES_WITH_ROUTES:
    MATRIX += importlib.import_module(f"amtsweg.{_module}.tests.matrix").ROUTES


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", MATRIX, ids=lambda r: f"{r.method}:{r.name}")
def test_matrix(world: World, route: Route, role: str) -> None:
    client = _client_for(world, role)
    for target, authority in (("own", world.neuss),):
        url = route.url(world, authority)
        if route.method == "get":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = getattr(client, route.method)(url, data=route.data, content_type="application/json")
        else:
            response = getattr(client, route.method)(url, data=route.data)
        allowed = route.expect(role, target)
        assert response.status_code in allowed, (
            f"{role} {route.method.upper()} {url}: {response.status_code}, expected {allowed}"
        )
        if response.status_code >= 400 and url.startswith("/api/"):
            assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("role", ["caseworker_neuss", "caseworker_dormagen", "admin_neuss"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/staff/teams",
        "/api/v1/staff/offerings",
        "/api/v1/staff/audit-events",
        "/api/v1/staff/authorities",
    ],
)
def test_staff_lists_show_only_own_authority(world: World, role: str, url: str) -> None:
    user = getattr(world, role)
    own = {m.authority.ags for m in user.memberships.select_related("authority")}
    client = _client_for(world, role)
    client.get(f"/api/v1/staff/teams/{_team(world, world.neuss)}")  # produce an audit event for Neuss
    body = client.get(url).json()
    rows = body["results"] if isinstance(body, dict) else body
    for row in rows:
        ags = row.get("authority") or row.get("ags")
        assert ags in own, f"{role} sees {ags} in {url}"


def test_kreis_admin_sees_the_whole_alliance(world: World) -> None:
    client = _client_for(world, "kreis_admin")
    rows = client.get("/api/v1/staff/offerings").json()["results"]
    assert {row["authority"] for row in rows} == {"05162000", "05162024", "05162004"}


def test_denied_read_of_other_town_leaves_no_data_and_reads_are_audited(world: World) -> None:
    client = _client_for(world, "caseworker_dormagen")
    neuss_team = _team(world, world.neuss)
    assert client.get(f"/api/v1/staff/teams/{neuss_team}").status_code == 404
    assert not AuditEvent.objects.filter(object_id=str(neuss_team), action=AuditEvent.Action.READ).exists()
    own_team = _team(world, world.dormagen)
    assert client.get(f"/api/v1/staff/teams/{own_team}").status_code == 200
    event = AuditEvent.objects.get(object_id=str(own_team), action=AuditEvent.Action.READ)
    assert event.actor == world.caseworker_dormagen
    assert event.authority == world.dormagen
    assert event.channel == "api"
