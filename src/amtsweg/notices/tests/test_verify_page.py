"""The public verification page /verify/<code>: each outcome with a clear message, no personal data."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amtsweg.notices.models import Notice
from amtsweg.notices.services import notice_revoke
from amtsweg.notices.verification import ALPHABET, format_code
from amtsweg.testing import World

from .factories import issued_notice, with_placeholder_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(world: World) -> Notice:
    return with_placeholder_pdf(issued_notice(world))


def page(client: Client, code: str) -> tuple[int, str]:
    response = client.get(f"/verify/{code}")
    return response.status_code, response.content.decode()


def assert_no_personal_data(html: str, notice: Notice) -> None:
    for secret in (notice.case.reference, "Clara", "Citizen", "clara@example.org", "Nora", notice.body[:40]):
        assert secret not in html, f"{secret!r} shown on the public page"


def test_a_valid_code_confirms_issuer_date_and_subject(client: Client, notice: Notice) -> None:
    status, html = page(client, format_code(notice.code))
    assert status == 200
    assert "Der Bescheid ist echt." in html
    assert "Neuss" in html and notice.subject in html
    assert notice.issued_at.strftime("%Y") in html
    assert_no_personal_data(html, notice)


def test_the_code_may_be_typed_in_lower_case_without_dashes(client: Client, notice: Notice) -> None:
    status, html = page(client, notice.code.lower())
    assert status == 200 and "Der Bescheid ist echt." in html


def test_a_trailing_slash_is_accepted(client: Client, notice: Notice) -> None:
    assert client.get(f"/verify/{format_code(notice.code)}/").status_code == 200


def test_one_altered_character_is_rejected_as_invalid(client: Client, notice: Notice) -> None:
    code = notice.code
    altered = code[:5] + next(c for c in ALPHABET if c != code[5]) + code[6:]
    status, html = page(client, format_code(altered))
    assert status == 404
    assert "Dieser Prüfcode ist ungültig." in html and "falsch abgetippt oder verändert" in html
    assert_no_personal_data(html, notice)


def test_a_forged_signature_is_rejected(client: Client, notice: Notice) -> None:
    forged = notice.code[:8] + "00000000"
    status, html = page(client, forged)
    assert status == 404 and "Dieser Prüfcode ist ungültig." in html


def test_a_correctly_signed_but_unknown_code_says_so(client: Client, world: World, notice: Notice) -> None:
    code = notice.code
    Notice.objects.filter(pk=notice.pk).update(code="0" * 16)  # the notice is gone, the signed code stays
    status, html = page(client, format_code(code))
    assert status == 404
    assert "Zu diesem Prüfcode gibt es keinen Bescheid." in html


def test_a_notice_still_rendering_is_not_reported_as_issued(client: Client, world: World) -> None:
    notice = issued_notice(world)
    status, html = page(client, format_code(notice.code))
    assert status == 404 and "keinen Bescheid" in html


def test_a_revoked_notice_shows_as_revoked_without_the_reason(
    client: Client, world: World, notice: Notice
) -> None:
    notice_revoke(
        notice=notice, actor=world.caseworker_neuss, reason="Clara Citizen hat falsche Angaben gemacht"
    )
    status, html = page(client, format_code(notice.code))
    assert status == 200
    assert "wurde aber aufgehoben" in html and "Aufgehoben am" in html
    assert "falsche Angaben" not in html
    assert_no_personal_data(html, notice)


@pytest.mark.parametrize("text", ["abc", "7K3M-Q9TD-XW2B-HC4", "UUUU-UUUU-UUUU-UUUU", "%3Cscript%3E"])
def test_malformed_text_gets_the_format_explained(client: Client, text: str) -> None:
    status, html = page(client, text)
    assert status == 400
    assert "Das ist kein Prüfcode." in html and "16 Zeichen" in html
    assert "<script>" not in html


def test_the_form_leads_to_the_result_page(client: Client, notice: Notice) -> None:
    assert client.get("/verify/").status_code == 200
    response = client.get("/verify/", {"code": notice.code.lower()})
    assert response.status_code == 302 and response["Location"] == f"/verify/{format_code(notice.code)}"


def test_the_form_explains_a_malformed_code_and_links_to_the_field(client: Client) -> None:
    response = client.get("/verify/", {"code": "12345"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_code"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="id_code_helptext id_code_error"' in html
    empty = client.get("/verify/", {"code": ""})
    assert empty.status_code == 400 and "Bitte geben Sie den Prüfcode ein." in empty.content.decode()


def test_the_page_is_not_cached_nor_indexed(client: Client, notice: Notice) -> None:
    response = client.get(f"/verify/{format_code(notice.code)}")
    assert response["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_failed_verifications_are_rate_limited_per_client_address(
    client: Client, notice: Notice, settings: Any
) -> None:
    settings.NOTICE_VERIFY_FAILURE_LIMIT = 3
    code = format_code(notice.code)
    forged = notice.code[:8] + "00000000"
    for _ in range(3):
        assert client.get(f"/verify/{code}", REMOTE_ADDR="198.51.100.7").status_code == 200, (
            "valid checks never count"
        )
    assert [client.get(f"/verify/{forged}", REMOTE_ADDR="198.51.100.7").status_code for _ in range(3)] == [
        404
    ] * 3
    blocked = client.get(f"/verify/{code}", REMOTE_ADDR="198.51.100.7")
    assert blocked.status_code == 429 and 1 <= int(blocked["Retry-After"]) <= 600
    assert "Zu viele Prüfungen" in blocked.content.decode() and notice.subject not in blocked.content.decode()
    assert client.get(f"/verify/{code}", REMOTE_ADDR="198.51.100.8").status_code == 200, (
        "others are not blocked"
    )
    assert client.get(f"/api/v1/verify/{code}", REMOTE_ADDR="198.51.100.7").status_code == 429, (
        "shared with the API"
    )
