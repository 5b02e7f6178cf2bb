"""The citizen API (/api/v1/me/...) through HTTP: own data only, answers all or nothing, problem+json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from amtsweg.cases.models import Case, CaseEvent, Document, InformationRequest, Phase, PostboxMessage
from amtsweg.cases.services import case_change_status
from amtsweg.identity.models import User
from amtsweg.testing import World

from . import factories_citizen as factories

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def case(world: World) -> Case:
    return factories.submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)


@pytest.fixture
def waiting(world: World, case: Case) -> InformationRequest:
    return factories.request_information(case=case, caseworker=world.caseworker_neuss)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"] and body["detail_de"]
    return body


def _answer_url(request: InformationRequest) -> str:
    return f"/api/v1/me/cases/{request.case_id}/information-requests/{request.pk}/answer"


def test_anonymous_gets_401_and_staff_403(world: World, case: Case) -> None:
    for url in ("/api/v1/me/cases", f"/api/v1/me/cases/{case.pk}", "/api/v1/me/postbox"):
        body = _problem(Client().get(url), 401)
        assert body["code"] == "not-authenticated"
        _problem(_client(world.caseworker_neuss).get(url), 403)
        _problem(_client(world.kreis_admin).get(url), 403)


def test_token_authentication_works_for_citizens(world: World, case: Case) -> None:
    token = Token.objects.create(user=world.citizen)
    response = Client().get("/api/v1/me/cases", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [case.reference]
    staff_token = Token.objects.create(user=world.caseworker_neuss)
    _problem(Client().get("/api/v1/me/cases", HTTP_AUTHORIZATION=f"Token {staff_token.key}"), 403)


def test_case_list_newest_first_with_applicant_status(world: World, case: Case) -> None:
    second = factories.submitted_case(
        citizen=world.citizen, service=world.town_service, authority=world.dormagen
    )
    case_change_status(case=case, status_key="in_bearbeitung", actor=world.caseworker_neuss, channel="web")
    factories.request_information(case=second, caseworker=world.caseworker_dormagen)
    factories.submitted_case(
        citizen=factories.other_citizen(), service=world.town_service, authority=world.neuss
    )
    body = _client(world.citizen).get("/api/v1/me/cases").json()
    assert body["count"] == 2
    rows = body["results"]
    assert [r["id"] for r in rows] == [second.pk, case.pk]
    assert rows[0]["status"] == {"key": "rueckfrage", "label": "Unterlagen nachgefordert", "phase": "waiting"}
    assert rows[0]["open_information_requests"] == 1 and rows[0]["authority"] == {
        "ags": "05162004",
        "name": "Dormagen",
    }
    assert rows[1]["status"]["label"] == "In Bearbeitung" and rows[1]["open_information_requests"] == 0
    assert rows[1]["service"] == {"leika_key": world.town_service.leika_key, "name": world.town_service.name}


def test_case_detail_has_visible_history_documents_and_data(world: World, case: Case) -> None:
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.NOTE, detail={"note": 1})
    receipt = factories.add_document(case=case, kind=Document.Kind.RECEIPT, filename="eingang.pdf")
    factories.add_document(case=case, kind=Document.Kind.INTERNAL, filename="intern.pdf")
    body = _client(world.citizen).get(f"/api/v1/me/cases/{case.pk}").json()
    assert body["reference"] == case.reference and body["status"]["phase"] == "waiting"
    assert [e["kind"] for e in body["history"]] == ["submitted", "info_requested"]
    assert [d["filename"] for d in body["documents"]] == ["eingang.pdf"]
    assert body["documents"][0]["download_url"] == f"/api/v1/me/documents/{receipt.pk}"
    assert body["documents"][0]["sha256"] == receipt.sha256
    assert body["information_requests"] == [
        {
            "id": request.pk,
            "message": request.message,
            "requested_at": body["information_requests"][0]["requested_at"],
            "due_date": None,
            "open": True,
            "answer": "",
            "answered_at": None,
            "answer_url": _answer_url(request),
        }
    ]
    assert body["data"] == factories.VALID_DATA
    assert {"label": "Wofür brauchen Sie die Bescheinigung?", "value": "Arbeitgeber"} in body["summary"]


def test_another_citizens_case_and_objects_are_404(world: World, waiting: InformationRequest) -> None:
    other = _client(factories.other_citizen())
    case_id = waiting.case_id
    message = PostboxMessage.objects.get(information_request=waiting)
    receipt = factories.add_document(case=Case.objects.get(pk=case_id), kind=Document.Kind.RECEIPT)
    _problem(other.get(f"/api/v1/me/cases/{case_id}"), 404)
    _problem(other.post(_answer_url(waiting), {"answer": "Fremd."}), 404)
    _problem(other.get(f"/api/v1/me/postbox/{message.pk}"), 404)
    _problem(other.post(f"/api/v1/me/postbox/{message.pk}/read"), 404)
    _problem(other.get(f"/api/v1/me/documents/{receipt.pk}"), 404)
    assert other.get("/api/v1/me/cases").json()["count"] == 0
    assert other.get("/api/v1/me/postbox").json()["count"] == 0
    message.refresh_from_db()
    waiting.refresh_from_db()
    assert message.read_at is None and waiting.answered_at is None


def test_answer_with_multipart_files_resumes_the_case(
    world: World, waiting: InformationRequest, media: Path
) -> None:
    files = [
        SimpleUploadedFile("ausweis.pdf", factories.PDF_BYTES, content_type="application/pdf"),
        SimpleUploadedFile("scan.pdf", factories.PDF_BYTES, content_type="application/octet-stream"),
    ]
    response = _client(world.citizen).post(_answer_url(waiting), {"answer": "Anbei.", "files": files})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["information_request"]["open"] is False and body["information_request"]["answer"] == "Anbei."
    assert body["status"] == {"key": "in_bearbeitung", "label": "In Bearbeitung", "phase": "in_progress"}
    assert sorted(d["filename"] for d in body["documents"]) == ["ausweis.pdf", "scan.pdf"]
    assert {d["kind"] for d in body["documents"]} == {"reply"}
    assert Document.objects.filter(information_request=waiting, kind=Document.Kind.REPLY).count() == 2
    document = Document.objects.get(filename="scan.pdf")
    assert document.content_type == "application/pdf"  # sniffed, not what the client claimed


def test_answer_as_json_text_only(world: World, waiting: InformationRequest) -> None:
    response = _client(world.citizen).post(
        _answer_url(waiting), {"answer": "Die Unterlagen bringe ich vorbei."}, content_type="application/json"
    )
    assert response.status_code == 200
    assert Case.objects.get(pk=waiting.case_id).phase == Phase.IN_PROGRESS


def test_disguised_exe_is_422_and_nothing_is_stored(
    world: World, waiting: InformationRequest, media: Path
) -> None:
    files = [
        SimpleUploadedFile("gut.pdf", factories.PDF_BYTES, content_type="application/pdf"),
        SimpleUploadedFile("rechnung.pdf", factories.EXE_BYTES, content_type="application/pdf"),
    ]
    body = _problem(
        _client(world.citizen).post(_answer_url(waiting), {"answer": "Anbei.", "files": files}), 422
    )
    assert body["code"] == "upload-type-not-allowed"
    assert "rechnung.pdf" in body["detail_de"] and "keinen erlaubten Dateityp" in body["detail_de"]
    waiting.refresh_from_db()
    assert waiting.answered_at is None
    assert not Document.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []
    assert Case.objects.get(pk=waiting.case_id).phase == Phase.WAITING


def test_second_answer_is_409(world: World, waiting: InformationRequest, media: Path) -> None:
    client = _client(world.citizen)
    assert client.post(_answer_url(waiting), {"answer": "Erste."}).status_code == 200
    pdf = SimpleUploadedFile("spaet.pdf", factories.PDF_BYTES, content_type="application/pdf")
    body = _problem(client.post(_answer_url(waiting), {"answer": "Zweite.", "files": [pdf]}), 409)
    assert body["code"] == "already-answered"
    waiting.refresh_from_db()
    assert waiting.answer == "Erste."
    assert not Document.objects.exists() and [p for p in media.rglob("*") if p.is_file()] == []


def test_empty_answer_is_400(world: World, waiting: InformationRequest) -> None:
    body = _problem(_client(world.citizen).post(_answer_url(waiting), {"answer": " "}), 400)
    assert body["code"] == "empty-answer"


def test_postbox_list_filter_detail_and_read(world: World, waiting: InformationRequest, case: Case) -> None:
    notice = factories.add_document(case=case, kind=Document.Kind.NOTICE)
    notice_message = factories.deliver_notice_message(case=case, document=notice)
    request_message = PostboxMessage.objects.get(information_request=waiting)
    client = _client(world.citizen)
    rows = client.get("/api/v1/me/postbox").json()["results"]
    assert [r["id"] for r in rows] == [notice_message.pk, request_message.pk]
    assert rows[0]["document"] == str(notice.pk) and rows[0]["kind"] == "notice" and rows[0]["unread"] is True
    assert rows[1]["information_request"] == waiting.pk and rows[1]["case"]["reference"] == case.reference
    assert "body" not in rows[0]

    detail = client.get(f"/api/v1/me/postbox/{request_message.pk}").json()
    assert detail["body"] == waiting.message and detail["unread"] is True  # GET does not mark as read

    read = client.post(f"/api/v1/me/postbox/{request_message.pk}/read")
    assert read.status_code == 200 and read.json()["unread"] is False
    first_read = read.json()["read_at"]
    again = client.post(f"/api/v1/me/postbox/{request_message.pk}/read").json()
    assert again["read_at"] == first_read
    unread = client.get("/api/v1/me/postbox?unread=true").json()["results"]
    assert [r["id"] for r in unread] == [notice_message.pk]
    _problem(client.get("/api/v1/me/postbox?unread=vielleicht"), 400)


def test_document_download_and_internal_documents_are_hidden(world: World, case: Case) -> None:
    notice = factories.add_document(case=case, kind=Document.Kind.NOTICE, filename="bescheid.pdf")
    internal = factories.add_document(case=case, kind=Document.Kind.INTERNAL, filename="intern.pdf")
    client = _client(world.citizen)
    response = client.get(f"/api/v1/me/documents/{notice.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment;")
    _problem(client.get(f"/api/v1/me/documents/{internal.pk}"), 404)
    _problem(client.get("/api/v1/me/documents/00000000-0000-0000-0000-000000000000"), 404)
    leaked = factories.deliver_notice_message(case=case, document=internal)
    assert client.get(f"/api/v1/me/postbox/{leaked.pk}").json()["document"] is None


def test_list_endpoints_query_counts_do_not_grow(world: World) -> None:
    client = _client(world.citizen)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = factories.submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    factories.request_information(case=first, caseworker=world.caseworker_neuss)
    small = {url: queries(url) for url in ("/api/v1/me/cases", "/api/v1/me/postbox")}
    for authority in (world.neuss, world.dormagen) * 3:
        case = factories.submitted_case(
            citizen=world.citizen, service=world.town_service, authority=authority
        )
        caseworker = world.caseworker_neuss if authority == world.neuss else world.caseworker_dormagen
        factories.request_information(case=case, caseworker=caseworker)
        factories.deliver_notice_message(case=case, document=factories.add_document(case=case, kind="notice"))
    large = {url: queries(url) for url in small}
    assert large == small, (small, large)
    assert large["/api/v1/me/cases"] <= 6 and large["/api/v1/me/postbox"] <= 4


def test_openapi_documents_the_citizen_endpoints(client: Client, world: World) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/me/cases",
        "/api/v1/me/cases/{id}",
        "/api/v1/me/cases/{id}/information-requests/{request_pk}/answer",
        "/api/v1/me/postbox",
        "/api/v1/me/postbox/{id}",
        "/api/v1/me/postbox/{id}/read",
        "/api/v1/me/documents/{id}",
    ):
        assert path in paths, path
    answer = paths["/api/v1/me/cases/{id}/information-requests/{request_pk}/answer"]["post"]
    multipart = answer["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    files = schema["components"]["schemas"][multipart]["properties"]["files"]
    assert files["type"] == "array" and files["items"]["format"] == "binary"
    assert (
        "application/octet-stream" in paths["/api/v1/me/documents/{id}"]["get"]["responses"]["200"]["content"]
    )
