"""Verifying certificates (§ 43 IfSG) by their code, through the page and the API: valid, forged,
altered, revoked, unknown, malformed; the holder (name and year of birth) only for certificates;
and the rate limit that stops enumeration but lets a burst of real checks through."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from amtsweg.core.ratelimit import TokenBucket
from amtsweg.ifsg.models import Certificate
from amtsweg.ifsg.tests.factories import ifsg_setup
from amtsweg.ifsg.tests.test_certificates import passed_instruction, submit
from amtsweg.notices.models import Notice
from amtsweg.notices.services import notice_revoke
from amtsweg.notices.verification import ALPHABET, format_code, new_code, parse_code, reset_burst_guard
from amtsweg.testing import World

from .factories import issued_notice, with_placeholder_pdf

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.50"
OTHER = "203.0.113.51"


@pytest.fixture(autouse=True)
def _fresh_burst_guard() -> Any:
    reset_burst_guard()
    yield
    reset_burst_guard()


@pytest.fixture
def certificate(world: World) -> Certificate:
    """An issued certificate (the process issued it on submission; a stand-in PDF instead of rendering)."""
    setup = ifsg_setup(world)
    case = submit(world, passed_instruction(world, setup))
    certificate = Certificate.objects.select_related("notice").get(instruction__case=case)
    with_placeholder_pdf(certificate.notice)
    certificate.notice.refresh_from_db()
    return certificate


def page(client: Client, code: str, address: str = ADDRESS) -> tuple[int, str]:
    response = client.get(f"/verify/{code}", REMOTE_ADDR=address)
    return response.status_code, response.content.decode()


def api(client: Client, code: str, address: str = ADDRESS) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/api/v1/verify/{code}", REMOTE_ADDR=address)
    return response.status_code, response.json()


def forged_code() -> str:
    """16 random characters of the alphabet that are not correctly signed."""
    while True:
        text = "".join(secrets.choice(ALPHABET) for _ in range(16))
        if not parse_code(text).signed:
            return text


def altered(code: str, position: int = 11) -> str:
    return code[:position] + next(c for c in ALPHABET if c != code[position]) + code[position + 1 :]


def assert_only_name_and_year(html: str, certificate: Certificate) -> None:
    notice = certificate.notice
    for secret in (
        "14.07.1990",
        "1990-07-14",
        "14. Juli 1990",
        notice.case.reference,
        "clara@example.org",
        notice.body[:40],
    ):
        assert secret not in html, f"{secret!r} shown on the public page"


# --- outcomes ------------------------------------------------------------------------------------


def test_a_valid_certificate_shows_holder_name_and_birth_year(
    client: Client, certificate: Certificate
) -> None:
    code = format_code(certificate.notice.code)
    status, html = page(client, code)
    assert status == 200
    assert "Die Bescheinigung ist echt." in html
    assert "Inhaber/in" in html and "Layla Amira Haddad, Geburtsjahr 1990" in html
    assert "Rhein-Kreis Neuss" in html and "Bescheinigung gemäß § 43" in html
    assert_only_name_and_year(html, certificate)

    status, body = api(client, code.lower().replace("-", ""))
    assert status == 200
    assert body["status"] == "valid" and body["code"] == code
    assert body["holder"] == {"name": "Layla Amira Haddad", "birth_year": 1990}
    assert set(body) == {
        "code",
        "status",
        "issuer",
        "issuer_ags",
        "issued_on",
        "subject",
        "revoked_on",
        "holder",
    }


def test_other_notices_show_no_holder(client: Client, world: World) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    status, html = page(client, format_code(notice.code))
    assert status == 200 and "Der Bescheid ist echt." in html and "Inhaber/in" not in html
    status, body = api(client, notice.code)
    assert status == 200 and body["holder"] is None


def test_only_name_and_year_are_shown_whatever_the_holder_field_holds(
    client: Client, certificate: Certificate
) -> None:
    Notice.objects.filter(pk=certificate.notice_id).update(
        holder={"name": "Layla Amira Haddad", "birth_year": 1990, "birth_date": "1990-07-14", "street": "X"}
    )
    status, body = api(client, certificate.notice.code)
    assert status == 200 and body["holder"] == {"name": "Layla Amira Haddad", "birth_year": 1990}
    assert "1990-07-14" not in page(client, certificate.notice.code)[1]


def test_a_forged_code_is_invalid(client: Client, certificate: Certificate) -> None:
    forged = forged_code()
    status, html = page(client, forged)
    assert status == 404 and "Dieser Prüfcode ist ungültig." in html and "Haddad" not in html
    status, body = api(client, forged)
    assert status == 404 and body["code"] == "verification-code-invalid"


def test_one_altered_character_of_a_real_code_is_invalid(client: Client, certificate: Certificate) -> None:
    for position in (0, 7, 8, 15):  # in the identifier and in the signature
        code = altered(certificate.notice.code, position)
        status, html = page(client, code)
        assert status == 404 and "Dieser Prüfcode ist ungültig." in html and "Haddad" not in html
        status, body = api(client, code)
        assert status == 404 and body["code"] == "verification-code-invalid"


def test_a_revoked_certificate_shows_the_date_but_not_the_reason(
    client: Client, world: World, certificate: Certificate
) -> None:
    notice_revoke(
        notice=certificate.notice,
        actor=world.kreis_admin,
        reason="Layla Haddad hat eine Erkrankung verschwiegen",
        channel="web",
    )
    status, html = page(client, certificate.notice.code)
    assert status == 200
    assert "Die Bescheinigung ist echt, wurde aber aufgehoben." in html and "Aufgehoben am" in html
    assert "Erkrankung" not in html
    status, body = api(client, certificate.notice.code)
    assert status == 200 and body["status"] == "revoked" and body["revoked_on"] is not None
    assert "Erkrankung" not in str(body)
    assert body["holder"] == {"name": "Layla Amira Haddad", "birth_year": 1990}


def test_a_correctly_signed_code_that_was_never_issued_is_unknown(
    client: Client, certificate: Certificate
) -> None:
    code = new_code()
    assert parse_code(code).signed
    status, html = page(client, code)
    assert status == 404 and "Zu diesem Prüfcode gibt es keinen Bescheid." in html
    status, body = api(client, code)
    assert status == 404 and body["code"] == "notice-not-found"


@pytest.mark.parametrize("text", ["abc", "7K3M-Q9TD-XW2B-HC4", "UUUU-UUUU-UUUU-UUUU", "0" * 40])
def test_malformed_text_is_no_code(client: Client, text: str) -> None:
    status, html = page(client, text)
    assert status == 400 and "Das ist kein Prüfcode." in html
    status, body = api(client, text)
    assert status == 400 and body["code"] == "verification-code-malformed"


# --- rate limit ----------------------------------------------------------------------------------


def test_a_burst_of_200_legitimate_checks_passes(
    client: Client, world: World, certificate: Certificate
) -> None:
    other = with_placeholder_pdf(issued_notice(world))
    codes = [certificate.notice.code, other.code]
    statuses = [api(client, codes[n % 2])[0] for n in range(190)]
    statuses += [page(client, codes[n % 2])[0] for n in range(10)]
    assert statuses == [200] * 200


def test_a_flood_from_one_address_is_slowed_by_the_burst_guard(
    client: Client, certificate: Certificate, settings: Any
) -> None:
    settings.NOTICE_VERIFY_BURST = 5
    settings.NOTICE_VERIFY_REFILL = 0.01
    code = certificate.notice.code
    assert [api(client, code)[0] for _ in range(5)] == [200] * 5
    response = client.get(f"/api/v1/verify/{code}", REMOTE_ADDR=ADDRESS)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "rate-limited" and "Haddad" not in response.content.decode()
    assert api(client, code, OTHER)[0] == 200, "another address has its own bucket"


def test_21_forged_codes_block_the_address_until_the_window_ends(
    client: Client, certificate: Certificate
) -> None:
    code = certificate.notice.code
    # 12:03:20 UTC: 200 s into a 10-minute window (windows start at whole multiples of 600 s).
    with time_machine.travel(datetime(2026, 11, 24, 12, 3, 20, tzinfo=UTC), tick=False) as clock:
        assert page(client, code)[0] == 200
        statuses = [api(client, forged_code())[0] for _ in range(10)]
        statuses += [page(client, forged_code())[0] for _ in range(10)]
        assert statuses == [404] * 20, "the first 20 failures are answered"
        assert [api(client, code)[0] for _ in range(3)] == [429] * 3, "blocked, also for a valid code"
        blocked = client.get(f"/api/v1/verify/{forged_code()}", REMOTE_ADDR=ADDRESS)
        assert blocked.status_code == 429 and blocked["Retry-After"] == "400"
        assert blocked["Content-Type"].startswith("application/problem+json")
        assert "7 Minute" in blocked.json()["detail"] or "7 minute" in blocked.json()["detail"]
        status, html = page(client, code)
        assert status == 429 and "Zu viele Prüfungen" in html and "Haddad" not in html
        assert "in 7 Minuten" in html
        assert page(client, code, OTHER)[0] == 200, "another address is not affected"
        assert api(client, forged_code(), OTHER)[0] == 404

        clock.move_to(datetime(2026, 11, 24, 12, 9, 59, tzinfo=UTC))
        assert api(client, code)[0] == 429, "still in the window"
        clock.move_to(datetime(2026, 11, 24, 12, 10, 0, tzinfo=UTC))
        assert api(client, code)[0] == 200, "the block ends with the window"
        assert api(client, forged_code())[0] == 404, "and failures count afresh"


def test_valid_and_revoked_answers_never_count(
    client: Client, world: World, certificate: Certificate, settings: Any
) -> None:
    settings.NOTICE_VERIFY_FAILURE_LIMIT = 2
    code = certificate.notice.code
    assert [api(client, code)[0] for _ in range(30)] == [200] * 30
    notice_revoke(notice=certificate.notice, actor=world.kreis_admin, reason="Irrtum", channel="web")
    assert [api(client, code)[0] for _ in range(30)] == [200] * 30
    assert [api(client, new_code())[0] for _ in range(2)] == [404, 404]
    assert api(client, code)[0] == 429


# --- the token bucket ----------------------------------------------------------------------------


def test_the_token_bucket_grants_a_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(capacity=3, rate=2.0)
    assert [bucket.take("a", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a", now=100.0) == pytest.approx(0.5)
    assert bucket.take("a", now=100.5) == 0.0, "one token after half a second"
    assert bucket.take("a", now=100.5) > 0
    assert [bucket.take("a", now=200.0) for _ in range(3)] == [0.0] * 3, "never more than the capacity"
    assert bucket.take("a", now=200.0) > 0
    assert bucket.take("b", now=200.0) == 0.0, "per subject"


def test_the_token_bucket_is_bounded_in_memory() -> None:
    bucket = TokenBucket(capacity=1, rate=0.001, max_subjects=100)
    for n in range(1000):
        bucket.take(f"198.51.100.{n}", now=float(n))
    assert len(bucket) == 100
    assert bucket.take("198.51.100.999", now=1000.0) > 0, "the most recent are kept"
    assert bucket.take("198.51.100.0", now=1000.0) == 0.0, "the oldest were forgotten (full again)"


def test_no_personal_data_in_the_cache_keys(client: Client, certificate: Certificate) -> None:
    from django.core.cache import cache

    api(client, forged_code())
    if hasattr(cache, "_table"):  # the database cache: look at the stored keys
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(cache._table)}")  # noqa: S608
            keys = [row[0] for row in cursor.fetchall()]
        assert keys and not any(ADDRESS in key for key in keys)
    else:
        pytest.skip("not the database cache")


def test_retry_after_matches_the_window_end(client: Client, certificate: Certificate, settings: Any) -> None:
    settings.NOTICE_VERIFY_FAILURE_LIMIT = 1
    settings.NOTICE_VERIFY_FAILURE_WINDOW = 60
    with time_machine.travel(datetime(2026, 11, 24, 12, 0, 45, tzinfo=UTC), tick=False) as clock:
        assert api(client, forged_code())[0] == 404
        response = client.get(f"/verify/{certificate.notice.code}", REMOTE_ADDR=ADDRESS)
        assert response.status_code == 429 and response["Retry-After"] == "15"
        clock.shift(timedelta(seconds=15))
        assert page(client, certificate.notice.code)[0] == 200


def test_the_api_body_is_what_the_documented_serializer_gives(world: World, certificate: Certificate) -> None:
    from amtsweg.notices.selectors import notice_verify
    from amtsweg.notices.serializers import VerificationSerializer, verification_body

    plain = with_placeholder_pdf(issued_notice(world))
    results = [notice_verify(text=certificate.notice.code), notice_verify(text=plain.code)]
    notice_revoke(notice=certificate.notice, actor=world.kreis_admin, reason="Irrtum", channel="web")
    results.append(notice_verify(text=certificate.notice.code))
    assert [r.verdict for r in results] == ["valid", "valid", "revoked"]
    for result in results:
        assert verification_body(result) == dict(VerificationSerializer(result).data)


def test_a_valid_check_costs_one_query_and_one_cache_read(
    client: Client, certificate: Certificate, django_assert_max_num_queries: Any
) -> None:
    api(client, certificate.notice.code)
    with django_assert_max_num_queries(2):  # the notice, and the address's failure count (database cache)
        assert api(client, certificate.notice.code)[0] == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert api(client, forged_code(), OTHER)[0] == 404
    assert not any("notices_notice" in q["sql"] for q in queries.captured_queries), (
        "a forged code is rejected before the notices are asked (only the failure is counted)"
    )
