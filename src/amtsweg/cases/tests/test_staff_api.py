"""The staff case API (/api/v1/staff/cases): list, detail, actions, documents, errors as problem+json."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amtsweg.cases.models import Case, Document, Phase
from amtsweg.cases.services import case_claim, case_decide
from amtsweg.notices.models import Notice
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from . import factories

API = "/api/v1/staff/cases"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_list_filters_and_shape(world: World) -> None:
    nora = world.caseworker_neuss
    first = factories.submit_case(world)
    second = factories.submit_case(world)
    case_claim(case=second, actor=nora, channel="web")
    Case.objects.filter(pk=first.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    factories.submit_case(world, authority=world.dormagen)
    client = _client(nora)

    body = client.get(API).json()
    assert (body["count"], body["count_capped"], body["next"], body["previous"]) == (2, False, None, None)
    row = next(r for r in body["results"] if r["id"] == first.pk)
    assert row["reference"] == first.reference and row["authority"] == "05162024"
    assert row["service"] == world.town_service.leika_key and row["status"] == "eingegangen"
    assert row["status_label"] == "Eingegangen" and row["phase"] == "new"
    assert row["overdue"] is True and row["assignee"] is None and row["team_name"] == "Bürgerservice"

    def ids(query: str) -> list[int]:
        return [r["id"] for r in client.get(f"{API}?{query}").json()["results"]]

    assert ids("view=mine") == [second.pk]
    assert ids("view=unassigned") == [first.pk]
    assert ids("overdue=true") == [first.pk]
    assert ids("status=in_bearbeitung") == [second.pk]
    assert ids(f"q={first.reference}") == [first.pk]
    assert ids(f"service={world.town_service.leika_key}&sort=oldest") == [first.pk, second.pk]
    assert ids(f"service={world.kreis_service.leika_key}") == []
    assert ids("service=00000000000000") == []
    assert ids("authority=05162004") == []  # another town: nothing, no error


def test_list_pagination_follows_next_and_previous(world: World) -> None:
    cases = [factories.submit_case(world) for _ in range(5)]
    client = _client(world.caseworker_neuss)
    body = client.get(f"{API}?limit=2").json()
    seen = [r["id"] for r in body["results"]]
    pages = 1
    while body["next"]:
        assert body["next"].startswith("http://testserver/api/v1/staff/cases?")
        body = client.get(body["next"]).json()
        seen += [r["id"] for r in body["results"]]
        pages += 1
    assert pages == 3 and seen == [c.pk for c in reversed(cases)]
    back = client.get(body["previous"]).json()
    assert [r["id"] for r in back["results"]] == seen[2:4]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1000",
        "view=everything",
        "phase=soon",
        "sort=random",
        "service=12",
        "authority=x",
        "team=-1",
    ],
)
def test_invalid_list_queries_are_problems(world: World, query: str) -> None:
    body = _problem(_client(world.caseworker_neuss).get(f"{API}?{query}"), 400)
    assert body["code"] == "validation-error"


def test_tampered_cursor_is_a_problem(world: World) -> None:
    body = _problem(_client(world.caseworker_neuss).get(f"{API}?cursor=abc"), 400)
    assert body["code"] == "invalid-cursor"


def test_alliance_administrator_lists_every_town(world: World) -> None:
    neuss = factories.submit_case(world)
    dormagen = factories.submit_case(world, authority=world.dormagen)
    rows = _client(world.kreis_admin).get(API).json()["results"]
    assert {r["id"] for r in rows} == {neuss.pk, dormagen.pk}
    rows = _client(world.caseworker_dormagen).get(API).json()["results"]
    assert {r["id"] for r in rows} == {dormagen.pk}


def test_detail_with_data_documents_and_history(world: World) -> None:
    case = factories.submit_case(world, attachment=PDF)
    body = _client(world.caseworker_neuss).get(f"{API}/{case.pk}").json()
    assert body["reference"] == case.reference
    assert body["answers"]["family_name"] == "Citizen"
    assert body["allowed_statuses"] == ["in_bearbeitung"]
    [document] = body["documents"]
    assert (
        document["filename"] == "nachweis.pdf"
        and document["url"] == f"{API}/{case.pk}/documents/{document['id']}"
    )
    assert [e["kind"] for e in body["history"]] == ["submitted"]
    assert body["information_requests"] == [] and body["notices"] == []
    event = AuditEvent.objects.get(action=AuditEvent.Action.READ, object_id=str(case.pk))
    assert event.channel == "api"


def test_other_towns_case_is_404_everywhere(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world, attachment=PDF)
    document = Document.objects.get(case=case)
    dirk = _client(world.caseworker_dormagen)
    for method, suffix, data in (
        ("get", "", None),
        ("post", "/status", {"status": "in_bearbeitung"}),
        ("post", "/assign", {"assignee": None}),
        ("post", "/claim", {}),
        ("get", "/notes", None),
        ("post", "/notes", {"text": "x"}),
        ("post", "/information-requests", {"message": "x"}),
        ("post", "/decision", {"decision": "granted"}),
        ("get", f"/documents/{document.pk}", None),
    ):
        url = f"{API}/{case.pk}{suffix}"
        response = dirk.get(url) if method == "get" else _post(dirk, url, data)
        _problem(response, 404)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.phase, fresh.assignee, fresh.notes.count(), fresh.events.count()) == (Phase.NEW, None, 0, 1)


def test_citizens_and_anonymous_are_refused(world: World) -> None:
    case = factories.submit_case(world)
    _problem(_client(world.citizen).get(API), 403)
    _problem(_client(world.citizen).get(f"{API}/{case.pk}"), 403)
    anonymous = _problem(Client().get(f"{API}/{case.pk}"), 401)
    assert anonymous["code"] == "not-authenticated"


def test_status_change(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    response = _post(client, f"{API}/{case.pk}/status", {"status": "in_bearbeitung", "comment": "los"})
    assert response.status_code == 200 and response.json()["status"] == "in_bearbeitung"
    body = _problem(_post(client, f"{API}/{case.pk}/status", {"status": "abgeschlossen"}), 409)
    assert body["code"] == "transition-not-allowed" and body["allowed"] == ["rueckfrage", "entschieden"]
    assert "detail_de" in body
    body = _problem(_post(client, f"{API}/{case.pk}/status", {"status": "entschieden"}), 409)
    assert body["code"] == "use-decision"
    body = _problem(_post(client, f"{API}/{case.pk}/status", {}), 400)
    assert "status" in body["errors"]


def test_assign_by_email(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    response = _post(client, f"{API}/{case.pk}/assign", {"assignee": "ANTON@neuss.example"})
    assert response.status_code == 200 and response.json()["assignee"] == "anton@neuss.example"
    other_town = _problem(
        _post(client, f"{API}/{case.pk}/assign", {"assignee": "dirk@dormagen.example"}), 400
    )
    unknown = _problem(_post(client, f"{API}/{case.pk}/assign", {"assignee": "nobody@example.org"}), 400)
    assert other_town["detail"] == unknown["detail"]  # no probing for accounts
    response = _post(client, f"{API}/{case.pk}/assign", {"assignee": None})
    assert response.json()["assignee"] is None


def test_claim(world: World) -> None:
    case = factories.submit_case(world)
    response = _post(_client(world.caseworker_neuss), f"{API}/{case.pk}/claim")
    assert response.status_code == 200
    assert (
        response.json()["assignee"] == world.caseworker_neuss.email
        and response.json()["phase"] == "in_progress"
    )
    body = _problem(_post(_client(world.admin_neuss), f"{API}/{case.pk}/claim"), 409)
    assert body["code"] == "already-claimed"


def test_notes(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    created = _post(client, f"{API}/{case.pk}/notes", {"text": "Rückruf Montag"})
    assert created.status_code == 201 and created.json()["author"] == world.caseworker_neuss.email
    notes = client.get(f"{API}/{case.pk}/notes").json()
    assert [n["text"] for n in notes] == ["Rückruf Montag"]
    _problem(_post(client, f"{API}/{case.pk}/notes", {"text": ""}), 400)


def test_information_request(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = _post(
        client, f"{API}/{case.pk}/information-requests", {"message": "Ausweis fehlt", "due_date": due}
    )
    assert response.status_code == 201
    assert response.json()["due_date"] == due and response.json()["answered_at"] is None
    assert Case.objects.get(pk=case.pk).phase == Phase.WAITING
    past = (timezone.localdate() - timedelta(days=7)).isoformat()
    body = _problem(
        _post(client, f"{API}/{case.pk}/information-requests", {"message": "x", "due_date": past}), 400
    )
    assert body["code"] == "due-date-past"


def test_decision(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    bad = _problem(
        _post(
            client,
            f"{API}/{case.pk}/decision",
            {"decision": "granted", "fee_lines": [{"label": "x", "amount": "-1"}]},
        ),
        400,
    )
    assert "fee_lines" in bad["errors"]
    response = _post(
        client,
        f"{API}/{case.pk}/decision",
        {
            "decision": "granted",
            "fee_lines": [{"label": "Bescheinigung", "legal_basis": "GebO", "amount": "10"}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["phase"] == "decided" and body["decision"] == "granted"
    [notice] = body["notices"]
    assert notice["status"] == "rendering" and notice["document"] is None
    assert Notice.objects.get(case=case).fee_lines[0]["amount"] == "10.00"
    _problem(_post(client, f"{API}/{case.pk}/decision", {"decision": "granted"}), 409)


def test_document_download(world: World) -> None:
    case = factories.submit_case(world, attachment=PDF)
    document = Document.objects.get(case=case)
    response = _client(world.caseworker_neuss).get(f"{API}/{case.pk}/documents/{document.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(object_type="cases.document", channel="api").count() == 1
    other = factories.submit_case(world)
    _problem(_client(world.caseworker_neuss).get(f"{API}/{other.pk}/documents/{document.pk}"), 404)


def test_decided_case_detail_lists_the_notice(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    case_decide(case=case, decision="rejected", actor=world.caseworker_neuss, channel="web")
    body = _client(world.caseworker_neuss).get(f"{API}/{case.pk}").json()
    assert body["notices"][0]["decision"] == "rejected" and body["allowed_statuses"] == ["abgeschlossen"]
    assert [e["kind"] for e in body["history"]][-2:] == ["decided", "notice"]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("query", ["", "?view=mine", "?phase=all&sort=status", "?sort=due"])
def test_list_query_count_does_not_grow_with_rows(world: World, query: str) -> None:
    client = _client(world.caseworker_neuss)
    for _ in range(2):
        case_claim(case=factories.submit_case(world), actor=world.caseworker_neuss, channel="web")
    few = _queries(client, API + query)
    for _ in range(8):
        case_claim(case=factories.submit_case(world), actor=world.caseworker_neuss, channel="web")
    assert _queries(client, API + query) == few
    assert few <= 12  # sorting by status reads one short index range per phase (5)


def test_openapi_documents_the_staff_case_api(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/staff/cases",
        "/api/v1/staff/cases/{id}",
        "/api/v1/staff/cases/{id}/status",
        "/api/v1/staff/cases/{id}/assign",
        "/api/v1/staff/cases/{id}/claim",
        "/api/v1/staff/cases/{id}/notes",
        "/api/v1/staff/cases/{id}/information-requests",
        "/api/v1/staff/cases/{id}/decision",
        "/api/v1/staff/cases/{id}/documents/{doc}",
    ):
        assert path in paths, path
    list_parameters = {p["name"] for p in paths["/api/v1/staff/cases"]["get"]["parameters"]}
    assert {
        "view",
        "phase",
        "status",
        "service",
        "team",
        "overdue",
        "q",
        "sort",
        "cursor",
        "limit",
    } <= list_parameters
    assert (
        "post" in paths["/api/v1/staff/cases/{id}/notes"] and "get" in paths["/api/v1/staff/cases/{id}/notes"]
    )
