"""Process analytics through HTTP: the analysis page, the XES/CSV exports (streamed downloads) and the
API, each showing only the cases the user may read; filters; errors; a constant number of queries."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from lxml import etree

from amtsweg.cases.models import Case
from amtsweg.identity.models import User
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .factories_analytics import HAPPY, SKIPS_ISSUE, T0, WITH_REQUEST, event_case, model_version

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "analytics_xes.xsd")))


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def log(world: World) -> dict[str, Case]:
    """Cases of the town service in Neuss (fitting and deviating) and one in Dormagen."""
    version = model_version(world)
    return {
        "happy": event_case(world, version=version, path=HAPPY),
        "request": event_case(world, version=version, path=WITH_REQUEST),
        "skips": event_case(world, version=version, path=SKIPS_ISSUE),
        "dormagen": event_case(world, version=version, path=SKIPS_ISSUE, authority=world.dormagen),
    }


def page_url(world: World, ags: str = "05162024", query: str = "") -> str:
    return f"/backoffice/{ags}/prozesse/analyse/{world.town_service.pk}/{query}"


def api_url(world: World, suffix: str = "") -> str:
    return f"/api/v1/staff/processes/analytics/{world.town_service.pk}{suffix}"


# --- the page ---------------------------------------------------------------------------------------


def test_page_shows_graph_variants_and_deviations_of_own_cases(world: World, log: dict[str, Case]) -> None:
    response = client_for(world.caseworker_neuss).get(page_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html and "<title" in html
    assert "Antrag prüfen" in html and "Bescheinigung ausstellen" in html
    # the deviating case links to the case page; the other town's deviating case is not there
    skips = log["skips"]
    assert f'href="/backoffice/05162024/vorgaenge/{skips.pk}/"' in html
    assert "übersprungen" in html
    assert log["dormagen"].reference not in html
    assert response.context["analysis"].dfg.cases == 3
    assert response.context["analysis"].conformance.fitting == 2
    # numbers in the SVG are not localised (a German decimal comma would break the drawing)
    for width in (e.width for e in response.context["graph"].edges):
        assert f'stroke-width="{width}"' in html


def test_alliance_admin_sees_every_town_and_can_narrow_to_one(world: World, log: dict[str, Case]) -> None:
    client = client_for(world.kreis_admin)
    everything = client.get(page_url(world))
    assert everything.context["analysis"].dfg.cases == 4
    assert log["dormagen"].reference in everything.content.decode()
    dormagen = client.get(page_url(world, query="?behoerde=05162004"))
    assert dormagen.context["analysis"].dfg.cases == 1


def test_filter_outside_the_users_scope_is_refused_not_applied(world: World, log: dict[str, Case]) -> None:
    response = client_for(world.caseworker_neuss).get(page_url(world, query="?behoerde=05162004&von=gestern"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and 'href="#id_behoerde"' in html and 'href="#id_von"' in html
    assert 'aria-describedby="id_von_error"' in html
    assert response.context["analysis"].dfg.cases == 3  # own cases only, the bad filters ignored
    assert log["dormagen"].reference not in html


def test_period_and_version_filters(world: World, log: dict[str, Case]) -> None:
    client = client_for(world.caseworker_neuss)
    assert client.get(page_url(world, query="?von=2026-03-03")).context["analysis"].dfg.cases == 0
    assert (
        client.get(page_url(world, query="?von=2026-03-02&bis=2026-03-02")).context["analysis"].dfg.cases == 3
    )
    version = log["happy"].process.version
    assert client.get(page_url(world, query=f"?version={version.pk}")).context["analysis"].dfg.cases == 3
    reversed_period = client.get(page_url(world, query="?von=2026-04-01&bis=2026-03-01"))
    assert "vor seinem Anfang" in reversed_period.content.decode()


def test_page_without_cases(world: World) -> None:
    response = client_for(world.caseworker_neuss).get(page_url(world))
    assert response.status_code == 200
    assert response.context["graph"] is None
    assert "keine Vorgänge" in response.content.decode()


def test_unknown_service_is_404(world: World) -> None:
    response = client_for(world.caseworker_neuss).get("/backoffice/05162024/prozesse/analyse/999999/")
    assert response.status_code == 404


def test_page_needs_a_constant_number_of_queries(world: World) -> None:
    version = model_version(world)
    client = client_for(world.caseworker_neuss)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url(world)).status_code == 200
        return len(captured)

    event_case(world, version=version, path=HAPPY)
    few = queries()
    for index in range(12):
        event_case(world, version=version, path=SKIPS_ISSUE if index % 3 else WITH_REQUEST)
    assert queries() == few
    assert few <= 16, few


# --- the exports --------------------------------------------------------------------------------------


def test_xes_export_is_a_streamed_valid_attachment(world: World, log: dict[str, Case]) -> None:
    response = client_for(world.caseworker_neuss).get(page_url(world, query="export.xes"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".xes" in disposition and "99115005000000" in disposition
    assert response["Cache-Control"] == "no-store"
    root = etree.fromstring(streamed(response))
    XSD.assertValid(root)
    references = {t.get("value") for t in root.iterfind("{*}trace/{*}string[@key='concept:name']")}
    assert references == {log["happy"].reference, log["request"].reference, log["skips"].reference}


def test_csv_export_applies_the_same_filters(world: World, log: dict[str, Case]) -> None:
    response = client_for(world.kreis_admin).get(page_url(world, query="export.csv?behoerde=05162004"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv; charset=utf-8")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(streamed(response).decode(), newline="")))
    assert rows[0] == ["case_id", "activity", "activity_id", "lifecycle", "timestamp", "team", "authority"]
    assert {r[0] for r in rows[1:]} == {log["dormagen"].reference}


def test_export_with_bad_filter_is_refused(world: World, log: dict[str, Case]) -> None:
    response = client_for(world.caseworker_neuss).get(page_url(world, query="export.csv?behoerde=05162004"))
    assert response.status_code == 400


def test_export_is_recorded_in_the_audit(world: World, log: dict[str, Case]) -> None:
    client_for(world.caseworker_neuss).get(page_url(world, query="export.xes?von=2026-03-01"))
    event = AuditEvent.objects.get(object_type="catalog.service", action=AuditEvent.Action.READ)
    assert event.actor == world.caseworker_neuss
    assert event.authority == world.neuss
    assert event.changes["export"] == "xes" and event.changes["from"] == "2026-03-01"


def test_other_town_gets_404_for_the_page_and_the_exports(world: World, log: dict[str, Case]) -> None:
    client = client_for(world.caseworker_dormagen)
    for suffix in ("", "export.xes", "export.csv"):
        assert client.get(page_url(world, query=suffix)).status_code == 404


# --- the API ----------------------------------------------------------------------------------------


def test_api_returns_the_analysis_of_readable_cases(world: World, log: dict[str, Case]) -> None:
    response = client_for(world.caseworker_dormagen).get(api_url(world))
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == "99115005000000" and body["cases"] == 1
    assert body["variants"] == [
        {
            "activities": ["Pruefen", "Versenden"],
            "count": 1,
            "share": 1.0,
            "deviating": 1,
            "examples": [log["dormagen"].reference],
        }
    ]
    conformance = body["conformance"]
    assert conformance["checked"] == 1 and conformance["fitting"] == 0
    assert conformance["deviating"] == [
        {
            "case": log["dormagen"].reference,
            "case_id": log["dormagen"].pk,
            "authority": "05162004",
            "kind": "skipped",
            "activity": "Versenden",
            "position": 1,
            "missing": "Ausstellen",
            "expected": ["Ausstellen", "Erinnern", "Nachfordern"],
        }
    ]
    assert conformance["per_activity"] == [{"activity": "Ausstellen", "kind": "skipped", "count": 1}]
    assert body["directly_follows"]["edges"] == [{"source": "Pruefen", "target": "Versenden", "count": 1}]
    assert body["labels"]["Pruefen"] == "Antrag prüfen"


def test_api_scope_and_authority_filter(world: World, log: dict[str, Case]) -> None:
    neuss = client_for(world.caseworker_neuss).get(api_url(world)).json()
    assert neuss["cases"] == 3
    assert all(d["authority"] == "05162024" for d in neuss["conformance"]["deviating"])
    admin = client_for(world.kreis_admin)
    assert admin.get(api_url(world)).json()["cases"] == 4
    assert admin.get(api_url(world), {"authority": "05162004"}).json()["cases"] == 1
    refused = client_for(world.caseworker_neuss).get(api_url(world), {"authority": "05162004"})
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "authority" in refused.json()["errors"]


@pytest.mark.parametrize(
    "query",
    [{"date_from": "gestern"}, {"date_from": "2026-04-01", "date_to": "2026-03-01"}, {"version": 999999}],
)
def test_api_bad_filters_are_problems(
    world: World, log: dict[str, Case], query: dict[str, str | int]
) -> None:
    response = client_for(world.caseworker_neuss).get(api_url(world), query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_api_unknown_service_is_a_404_problem(world: World) -> None:
    response = client_for(world.caseworker_neuss).get("/api/v1/staff/processes/analytics/999999")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_api_exports_stream_whatever_the_client_accepts(world: World, log: dict[str, Case]) -> None:
    client = client_for(world.caseworker_dormagen)
    xes = client.get(api_url(world, "/export.xes"), HTTP_ACCEPT="application/xml")
    assert xes.status_code == 200 and xes.streaming
    root = etree.fromstring(streamed(xes))
    XSD.assertValid(root)
    assert len(root.findall("{*}trace")) == 1
    exported = client.get(
        api_url(world, "/export.csv"), {"date_from": T0.date().isoformat()}, HTTP_ACCEPT="text/csv"
    )
    assert exported.status_code == 200 and exported.streaming
    assert log["dormagen"].reference in streamed(exported).decode()
    assert AuditEvent.objects.filter(object_type="catalog.service", channel="api").count() == 2


def test_api_export_errors_are_problems_too(world: World) -> None:
    anonymous = Client().get(api_url(world, "/export.xes"), HTTP_ACCEPT="application/xml")
    assert anonymous.status_code in (401, 403)
    assert anonymous["Content-Type"].startswith("application/problem+json")
    citizen = client_for(world.citizen).get(api_url(world, "/export.csv"))
    assert citizen.status_code == 403
