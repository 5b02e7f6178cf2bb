"""The citizen's application API: start, save steps, upload, submit (idempotently), list, delete."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from amtsweg.cases.models import Case, Document, Submission
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.forms.tests.factories import (
    EXE_BYTES,
    PDF_BYTES,
    flat_answers,
    make_draft,
    publish_form,
    valid_answers,
)
from amtsweg.identity.models import User
from amtsweg.testing import World, make_user

API = "/api/v1/applications"


@pytest.fixture(autouse=True)
def media(settings: Any) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        settings.MEDIA_ROOT = folder
        yield Path(folder)


@pytest.fixture
def version(world: World) -> FormVersion:
    return publish_form(world.town_service)


@pytest.fixture
def api(world: World, version: FormVersion) -> Client:
    client = Client()
    client.force_login(world.citizen)
    return client


@pytest.fixture
def other_citizen(world: World) -> User:
    return make_user("otto@example.org", kind=User.Kind.CITIZEN)


def create(api: Client, world: World, ags: str | None = None) -> dict[str, Any]:
    response = api.post(
        API,
        {"service": world.town_service.leika_key, "authority": ags or world.neuss.ags},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def patch(api: Client, draft_id: str, step: str, data: dict[str, Any], **extra: Any) -> Any:
    return api.patch(
        f"{API}/{draft_id}", {"step": step, "data": data, **extra}, content_type="application/json"
    )


def fill(api: Client, draft_id: str, purpose: str = "authority") -> None:
    for step, data in valid_answers(purpose=purpose).items():
        assert patch(api, draft_id, step, data).status_code == 200


def test_start_returns_the_draft_with_its_form(api: Client, world: World, version: FormVersion) -> None:
    body = create(api, world, world.dormagen.ags)
    assert body["authority"] == world.dormagen.ags and body["authority_name"] == "Dormagen"
    assert body["service"] == world.town_service.leika_key
    assert body["status"] == "draft" and body["reference"] is None
    assert body["form_version"] == version.number
    assert body["form"]["steps"][0]["key"] == "person"
    assert [s["key"] for s in body["steps"]] == ["person", "details", "family"]
    assert body["data"] == {} and body["documents"] == []
    assert Draft.objects.get(pk=body["id"]).applicant == world.citizen


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"service": "99115005000000", "authority": "0516"}, 400, "validation-error"),
        ({"service": "00000000000000", "authority": "05162024"}, 404, "unknown-service"),
        ({"service": "99115005000000", "authority": "99999999"}, 404, "outside-alliance"),
        ({"service": "99115005000000", "authority": "05162000"}, 400, "address-invalid"),
        ({"service": "99036012104000", "authority": "05162024"}, 404, "no-online-form"),
    ],
)
def test_start_problems(api: Client, payload: dict[str, str], status: int, code: str) -> None:
    response = api.post(API, payload, content_type="application/json")
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert not Draft.objects.exists()


def test_step_save_validates_and_saves(api: Client, world: World) -> None:
    draft_id = create(api, world)["id"]
    response = patch(
        api, draft_id, "person", {**valid_answers()["person"], "email": "nope", "address": {"postcode": "1"}}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid-answers"
    assert body["errors"] == {
        "email": ["Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de."],
        "address.street": ["Bitte geben Sie die Straße an."],
        "address.postcode": ["Eine deutsche Postleitzahl besteht aus genau 5 Ziffern."],
        "address.city": ["Bitte geben Sie den Ort an."],
    }
    assert Draft.objects.get(pk=draft_id).data == {}

    response = patch(api, draft_id, "person", valid_answers()["person"])
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["given_name"] == "Clara" and body["completed_steps"] == ["person"]

    response = patch(api, draft_id, "details", {"copies": "3"}, partial=True)
    assert response.status_code == 200 and response.json()["data"]["copies"] == "3"
    assert response.json()["completed_steps"] == ["person"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"step": "nope", "data": {}}, 404, "unknown-step"),
        ({"step": "employer", "data": {}}, 422, "step-not-available"),  # only for purpose "work"
        ({"step": "person", "data": ["not", "an", "object"]}, 400, "validation-error"),
        ({"step": "Person!", "data": {}}, 400, "validation-error"),
        ({"data": {}}, 400, "validation-error"),
    ],
)
def test_step_save_problems(api: Client, world: World, body: dict[str, Any], status: int, code: str) -> None:
    draft_id = create(api, world)["id"]
    response = api.patch(f"{API}/{draft_id}", body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["code"] == code


def test_uploads_are_checked_and_answer_the_file_field(api: Client, world: World) -> None:
    draft_id = create(api, world)["id"]
    fill(api, draft_id, purpose="work")
    url = f"{API}/{draft_id}/documents"
    response = api.post(url, {"file": SimpleUploadedFile("Vertrag.pdf", PDF_BYTES), "field": "proof"})
    assert response.status_code == 201
    document = response.json()
    assert document["content_type"] == "application/pdf" and document["filename"] == "Vertrag.pdf"
    assert document["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest() and document["field"] == "proof"

    response = api.post(
        url, {"file": SimpleUploadedFile("Ausweis.pdf", EXE_BYTES, "application/pdf"), "field": "proof"}
    )
    assert response.status_code == 422 and response.json()["code"] == "upload-type-not-allowed"
    response = api.post(url, {"file": SimpleUploadedFile("a.pdf", PDF_BYTES), "field": "given_name"})
    assert response.status_code == 422 and response.json()["code"] == "unknown-file-field"
    response = api.post(url, {"field": "proof"})
    assert response.status_code == 400
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr("amtsweg.cases.documents.upload_max_mb", lambda: 1)
        big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 1024 * 1024)
        response = api.post(url, {"file": big, "field": "proof"})
    assert response.status_code == 413 and response.json()["code"] == "upload-too-large"
    assert Document.objects.filter(draft_id=draft_id).count() == 1

    response = patch(api, draft_id, "employer", {"employer_name": "ACME", "proof": [document["id"]]})
    assert response.status_code == 200
    assert response.json()["documents"][0]["id"] == document["id"]

    assert api.delete(f"{url}/{document['id']}").status_code == 204
    draft = Draft.objects.get(pk=draft_id)
    assert "proof" not in draft.data and "employer" not in draft.completed_steps
    assert api.delete(f"{url}/{document['id']}").status_code == 404


def test_submit_is_idempotent(api: Client, world: World) -> None:
    draft_id = create(api, world)["id"]
    response = api.post(f"{API}/{draft_id}/submit")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-answers"
    assert "given_name" in response.json()["errors"]
    assert not Submission.objects.exists()

    fill(api, draft_id)
    first = api.post(f"{API}/{draft_id}/submit", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    body = first.json()
    case = Case.objects.get()
    assert body["reference"] == case.reference and body["authority"] == world.neuss.ags
    assert body["status"] == "submitted"
    for again in (
        api.post(f"{API}/{draft_id}/submit"),
        api.post(f"{API}/{draft_id}/submit", HTTP_IDEMPOTENCY_KEY="k-1"),
    ):
        assert again.status_code == 201 and again.json() == body
    assert Submission.objects.count() == 1 and Case.objects.count() == 1

    detail = api.get(f"{API}/{draft_id}").json()
    assert detail["status"] == "submitted" and detail["reference"] == case.reference
    assert patch(api, draft_id, "person", valid_answers()["person"]).status_code == 409
    assert api.delete(f"{API}/{draft_id}").status_code == 409


def test_an_idempotency_key_belongs_to_one_application(api: Client, world: World) -> None:
    first, second = create(api, world)["id"], create(api, world)["id"]
    fill(api, first)
    fill(api, second)
    assert api.post(f"{API}/{first}/submit", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    response = api.post(f"{API}/{second}/submit", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 422 and response.json()["code"] == "idempotency-key-reused"
    assert not Submission.objects.filter(draft_id=second).exists()
    response = api.post(f"{API}/{second}/submit", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400 and response.json()["code"] == "invalid-idempotency-key"


def test_list_shows_own_drafts_and_submissions_with_constant_queries(
    api: Client, world: World, version: FormVersion, other_citizen: User
) -> None:
    make_draft(applicant=other_citizen, version=version, authority=world.neuss)
    submitted = create(api, world)["id"]
    fill(api, submitted)
    api.post(f"{API}/{submitted}/submit")
    create(api, world, world.dormagen.ags)

    with CaptureQueriesContext(connection) as few:
        body = api.get(API).json()
    assert body["count"] == 2
    rows = {row["id"]: row for row in body["results"]}
    assert (
        rows[submitted]["status"] == "submitted"
        and rows[submitted]["reference"] == Case.objects.get().reference
    )
    assert {row["authority"] for row in body["results"]} == {world.neuss.ags, world.dormagen.ags}

    for _ in range(5):
        make_draft(applicant=world.citizen, version=version, authority=world.neuss, data=flat_answers())
    with CaptureQueriesContext(connection) as many:
        assert api.get(API).json()["count"] == 7
    assert len(many) == len(few)


def test_delete_a_draft(api: Client, world: World) -> None:
    draft_id = create(api, world)["id"]
    assert api.delete(f"{API}/{draft_id}").status_code == 204
    assert not Draft.objects.filter(pk=draft_id).exists()
    assert api.get(f"{API}/{draft_id}").status_code == 404


def test_another_citizen_gets_404_everywhere(api: Client, world: World, other_citizen: User) -> None:
    draft_id = create(api, world)["id"]
    fill(api, draft_id)
    document = Document.objects.create(
        kind="attachment", draft_id=draft_id, field_key="proof", filename="x.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64,
        created_at=Draft.objects.get(pk=draft_id).created_at, file="documents/x",
    )  # fmt: skip
    intruder = Client()
    intruder.force_login(other_citizen)
    calls = [
        ("get", f"{API}/{draft_id}", None),
        ("patch", f"{API}/{draft_id}", {"step": "person", "data": {"given_name": "Mallory"}}),
        ("delete", f"{API}/{draft_id}", None),
        ("post", f"{API}/{draft_id}/submit", None),
        ("delete", f"{API}/{draft_id}/documents/{document.pk}", None),
    ]
    for method, url, body in calls:
        response = getattr(intruder, method)(url, body, content_type="application/json")
        assert response.status_code == 404, (method, url)
        assert response["Content-Type"].startswith("application/problem+json")
    response = intruder.post(
        f"{API}/{draft_id}/documents", {"file": SimpleUploadedFile("a.pdf", PDF_BYTES), "field": "proof"}
    )
    assert response.status_code == 404
    assert intruder.get(API).json()["count"] == 0
    draft = Draft.objects.get(pk=draft_id)
    assert draft.data["given_name"] == "Clara" and draft.submitted_at is None
    assert Document.objects.filter(pk=document.pk).exists()


def test_staff_and_anonymous_are_refused(world: World, version: FormVersion) -> None:
    draft = make_draft(applicant=world.citizen, version=version, authority=world.neuss)
    anonymous = Client()
    assert anonymous.get(API).status_code == 401
    assert anonymous.post(f"{API}/{draft.id}/submit").status_code == 401
    staff = Client()
    staff.force_login(world.caseworker_neuss)
    assert staff.get(API).status_code == 403
    assert staff.get(f"{API}/{draft.id}").status_code == 403


def test_token_authentication(world: World, version: FormVersion) -> None:
    token = Token.objects.create(user=world.citizen)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(
        API,
        {"service": world.town_service.leika_key, "authority": world.neuss.ags},
        content_type="application/json",
    )
    assert response.status_code == 201  # no CSRF with a token
    assert Client(HTTP_AUTHORIZATION="Token wrong").get(API).status_code == 401


def test_the_endpoints_are_in_the_openapi_schema(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for suffix in ("", "/{id}", "/{id}/documents", "/{id}/documents/{document_id}", "/{id}/submit"):
        assert f"{API}{suffix}" in paths
    assert "Idempotency-Key" in str(paths[f"{API}/{{id}}/submit"]["post"]["parameters"])
