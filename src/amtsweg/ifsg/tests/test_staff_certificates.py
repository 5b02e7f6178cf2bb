"""The health office's certificate pages and API: search by name, month and status; the detail with the
instruction record (its read is audited); revocation through the notice, after which the public
verification answers "revoked"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.notices.models import Notice
from amtsweg.notices.selectors import notice_verify
from amtsweg.notices.verification import Verdict
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from ..models import Certificate
from .factories import IfsgSetup, ifsg_setup
from .matrix_staff import attempts_for, certificate_for, instruction_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world: World) -> IfsgSetup:
    return ifsg_setup(world)


@pytest.fixture
def staff(setup: IfsgSetup) -> Client:
    client = Client()
    client.force_login(setup.caseworker)
    return client


def _base(world: World) -> str:
    return f"/backoffice/{world.kreis.ags}/infektionsschutz/bescheinigungen/"


def _certificates(world: World, setup: IfsgSetup) -> dict[str, Certificate]:
    now = timezone.now()
    old = now - timedelta(days=70)
    return {
        "anna": certificate_for(
            setup.programme, world.citizen, language="de", issued_at=now, name="Anna Arslan"
        ),
        "bernd": certificate_for(
            setup.programme, world.citizen, language="ar", issued_at=now, name="Bernd Berg", revoked=True
        ),
        "clara": certificate_for(
            setup.programme, world.citizen, language="en", issued_at=old, name="Clara Clausen"
        ),
    }


def test_list_search_month_and_status(world: World, setup: IfsgSetup, staff: Client) -> None:
    certificates = _certificates(world, setup)
    html = staff.get(_base(world)).content.decode()
    assert all(name in html for name in ("Anna Arslan", "Bernd Berg", "Clara Clausen"))
    html = staff.get(_base(world) + "?q=arslan").content.decode()
    assert "Anna Arslan" in html and "Bernd Berg" not in html
    html = staff.get(_base(world) + "?status=revoked").content.decode()
    assert "Bernd Berg" in html and "Anna Arslan" not in html
    month = timezone.localtime(certificates["clara"].issued_at).strftime("%Y-%m")
    html = staff.get(_base(world) + f"?monat={month}").content.decode()
    assert "Clara Clausen" in html and "Anna Arslan" not in html
    bad = staff.get(_base(world) + "?monat=Mai")
    assert bad.status_code == 200 and "JJJJ-MM" in bad.content.decode()

    api = f"/api/v1/ifsg/staff/{world.kreis.ags}/certificates/"
    body = staff.get(api + "?status=valid").json()
    assert {row["holder_name"] for row in body["results"]} == {"Anna Arslan", "Clara Clausen"}
    assert {row["status"] for row in body["results"]} == {"valid"}
    assert staff.get(api + "?q=Berg").json()["results"][0]["status"] == "revoked"


def test_list_queries_do_not_grow_with_rows(
    world: World, setup: IfsgSetup, staff: Client, django_assert_max_num_queries: Any
) -> None:
    _certificates(world, setup)
    with django_assert_max_num_queries(12):
        assert staff.get(_base(world)).status_code == 200
    for n in range(5):
        certificate_for(
            setup.programme, world.citizen, language="de", issued_at=timezone.now(), name=f"Extra {n}"
        )
    with django_assert_max_num_queries(12):
        assert staff.get(_base(world)).status_code == 200
    with django_assert_max_num_queries(8):
        assert staff.get(f"/api/v1/ifsg/staff/{world.kreis.ags}/certificates/").status_code == 200


def test_detail_shows_the_instruction_and_its_read_is_audited(
    world: World, setup: IfsgSetup, staff: Client
) -> None:
    now = timezone.now()
    instruction = instruction_for(setup.programme, world.citizen, language="ar", at=now)
    attempts_for(instruction, [False, True], at=now)
    certificate = certificate_for(
        setup.programme,
        world.citizen,
        language="ar",
        issued_at=now,
        instruction=instruction,
        name="Layla Haddad",
    )
    response = staff.get(_base(world) + f"{certificate.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Layla Haddad" in html and "Arabisch" in html and "nicht bestanden" in html
    assert f"/vorgaenge/{certificate.notice.case_id}/" in html
    assert f"/material/{instruction.material_id}/" in html
    event = AuditEvent.objects.get(object_type="ifsg.certificate", object_id=str(certificate.pk))
    assert (event.action, event.actor, event.authority) == (
        AuditEvent.Action.READ,
        setup.caseworker,
        world.kreis,
    )


def test_revoke_on_the_page_turns_the_verification_to_revoked(
    world: World, setup: IfsgSetup, staff: Client
) -> None:
    certificate = certificate_for(setup.programme, world.citizen, language="de", issued_at=timezone.now())
    assert notice_verify(text=certificate.notice.code).verdict == Verdict.VALID
    url = _base(world) + f"{certificate.pk}/widerrufen/"
    empty = staff.post(url, {"reason": "   "})
    assert empty.status_code == 200 and "error-summary" in empty.content.decode()
    response = staff.post(url, {"reason": "Bescheinigung unter falschem Namen beantragt"})
    assert response.status_code == 302
    notice = Notice.objects.get(pk=certificate.notice_id)
    assert notice.status == Notice.Status.REVOKED
    assert notice.revoked_reason == "Bescheinigung unter falschem Namen beantragt"
    assert notice_verify(text=notice.code).verdict == Verdict.REVOKED
    # Once revoked, the page says so instead of offering the form again.
    assert staff.get(url).status_code == 302


def test_revoke_through_the_api(world: World, setup: IfsgSetup, staff: Client) -> None:
    certificate = certificate_for(setup.programme, world.citizen, language="de", issued_at=timezone.now())
    url = f"/api/v1/ifsg/staff/{world.kreis.ags}/certificates/{certificate.pk}/revoke/"
    missing = staff.post(url, {}, content_type="application/json")
    assert missing.status_code == 400
    assert missing["Content-Type"].startswith("application/problem+json")
    response = staff.post(url, {"reason": "Täuschung"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert notice_verify(text=certificate.notice.code).verdict == Verdict.REVOKED
    again = staff.post(url, {"reason": "Täuschung"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "notice-already-revoked"


def test_a_towns_caseworker_cannot_revoke(world: World, setup: IfsgSetup) -> None:
    certificate = certificate_for(setup.programme, world.citizen, language="de", issued_at=timezone.now())
    client = Client()
    client.force_login(world.caseworker_dormagen)
    url = f"/api/v1/ifsg/staff/{world.kreis.ags}/certificates/{certificate.pk}/revoke/"
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    assert client.post(_base(world) + f"{certificate.pk}/widerrufen/", {"reason": "x"}).status_code == 404
    assert Notice.objects.get(pk=certificate.notice_id).status == Notice.Status.ISSUED
