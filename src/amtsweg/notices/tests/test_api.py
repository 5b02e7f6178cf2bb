"""GET /api/v1/verify/<code>: the verification page's answer as JSON, errors as problem+json."""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.notices.models import Notice
from amtsweg.notices.services import notice_revoke
from amtsweg.notices.verification import format_code
from amtsweg.testing import World

from .factories import issued_notice, with_placeholder_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(world: World) -> Notice:
    return with_placeholder_pdf(issued_notice(world))


def test_a_valid_code(client: Client, notice: Notice) -> None:
    response = client.get(f"/api/v1/verify/{notice.code.lower()}")
    assert response.status_code == 200
    assert response.json() == {
        "code": format_code(notice.code),
        "status": "valid",
        "issuer": "Neuss",
        "issuer_ags": "05162024",
        "issued_on": notice.issued_at.astimezone().date().isoformat(),
        "subject": notice.subject,
        "revoked_on": None,
        "holder": None,
    }
    assert response["Cache-Control"] == "no-store"


def test_a_revoked_notice(client: Client, world: World, notice: Notice) -> None:
    notice_revoke(notice=notice, actor=world.admin_neuss, reason="Zurückgenommen")
    body = client.get(f"/api/v1/verify/{format_code(notice.code)}").json()
    assert body["status"] == "revoked" and body["revoked_on"] is not None
    assert "Zurückgenommen" not in str(body)


@pytest.mark.parametrize(
    ("make_code", "status", "problem"),
    [
        (lambda code: "not-a-code", 400, "verification-code-malformed"),
        (lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"), 404, "verification-code-invalid"),
    ],
)
def test_errors_are_problems(
    client: Client, notice: Notice, make_code: object, status: int, problem: str
) -> None:
    response = client.get(f"/api/v1/verify/{make_code(notice.code)}")  # type: ignore[operator]
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == problem


def test_an_unknown_code_is_a_404_problem(client: Client, notice: Notice) -> None:
    code = notice.code
    Notice.objects.filter(pk=notice.pk).update(code="0" * 16)  # the notice is gone, the signed code stays
    response = client.get(f"/api/v1/verify/{code}")
    assert response.status_code == 404 and response.json()["code"] == "notice-not-found"


def test_the_endpoint_is_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/verify/{code}"]["get"]
    assert operation["operationId"] == "notices_verify"
    assert set(operation["responses"]) >= {"200", "400", "404", "429"}
