"""The Auskunft through the REST API: a citizen's client files it with the generic application API
(draft, answers, submit), the keeper's staff decide it through the Auskunft API, the citizen pays with
the simulator and receives the notice with the extract in the postbox — end to end."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.models import User
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.models import Payment
from amtsweg.testing import World

from ..models import AuskunftRequest
from .factories import baulasten_setup
from .factories_auskunft import AuskunftSetup, auskunft_answers, auskunft_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def au(world: World, settings: Any) -> AuskunftSetup:
    settings.PAYMENT_SIMULATOR = True
    return auskunft_setup(world, baulasten_setup(world))


def _citizen_client(user: User) -> Client:
    """A session established with the online ID (trust level "hoch"), as the eID login leaves it."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"level": "hoch", "method": "test-eid", "at": timezone.now().isoformat()}
    session.save()
    return client


def _staff_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _file(
    client: Client, ags: str, parcels: list[tuple[str, int | None, str]], **answers: Any
) -> dict[str, Any]:
    created = client.post(
        "/api/v1/applications",
        {"service": "99012004023000", "authority": ags},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    draft_id = created.json()["id"]
    data = auskunft_answers(parcels, **answers)
    for step, keys in (
        ("flurstuecke_schritt", ("flurstuecke", "lage")),
        ("interesse_schritt", ("interesse", "begruendung")),
    ):
        saved = client.patch(
            f"/api/v1/applications/{draft_id}",
            {"step": step, "data": {k: data[k] for k in keys}},
            content_type="application/json",
        )
        assert saved.status_code == 200, saved.content
    submitted = client.post(f"/api/v1/applications/{draft_id}/submit", content_type="application/json")
    return {"status": submitted.status_code, "body": submitted.json()}


def test_a_client_files_an_auskunft_end_to_end(world: World, au: AuskunftSetup) -> None:
    citizen = _citizen_client(world.citizen)
    filed = _file(citizen, world.neuss.ags, [("053359", 3, "119/2"), ("053359", 7, "200")])
    assert filed["status"] == 201, filed["body"]
    request = AuskunftRequest.objects.get()
    assert request.source == AuskunftRequest.Source.API
    case_id = request.case_id

    staff = _staff_client(au.base.bau_neuss)
    listed = staff.get(f"/api/v1/baulasten/{world.neuss.ags}/auskunft")
    assert [row["case_id"] for row in listed.json()] == [case_id]
    detail = staff.get(f"/api/v1/baulasten/{world.neuss.ags}/auskunft/{case_id}").json()
    assert detail["fee_preview"]["total_cents"] == 10500
    assert [r["fee_cents"] for r in detail["fee_preview"]["rows"]] == [7500, 3000]
    outside = staff.post(
        f"/api/v1/baulasten/{world.neuss.ags}/auskunft/{case_id}/decision",
        {"accepted": True, "extract_fees": {"1": 20000}},
        content_type="application/json",
    )
    assert outside.status_code == 422
    assert outside["Content-Type"].startswith("application/problem+json")
    assert outside.json()["code"] == "auskunft-fee-outside-frame"
    decided = staff.post(
        f"/api/v1/baulasten/{world.neuss.ags}/auskunft/{case_id}/decision",
        {"accepted": True, "extract_fees": {"1": 9000}},
        content_type="application/json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["fee_cents"] == 12000
    again = staff.post(
        f"/api/v1/baulasten/{world.neuss.ags}/auskunft/{case_id}/decision",
        {"accepted": False, "reason": "doch nicht"},
        content_type="application/json",
    )
    assert again.status_code == 409

    payment = Payment.objects.get(case_id=case_id)
    assert payment.amount_cents == 12000
    begin = citizen.post(
        f"/api/v1/payments/{payment.pk}/begin", {"provider": "simulator"}, content_type="application/json"
    )
    assert begin.status_code == 200, begin.content
    simulator = begin.json()["redirect_url"]
    assert citizen.post(simulator, {"pay": "1"}).status_code == 302
    while deliver_due_messages():
        pass

    case = citizen.get(f"/api/v1/me/cases/{case_id}").json()
    assert case["decision"] == "granted"
    postbox = citizen.get("/api/v1/me/postbox").json()
    messages = postbox["results"] if isinstance(postbox, dict) else postbox
    notice = next(
        m for m in messages if m.get("document") and "Auskunft aus dem Baulastenverzeichnis" in m["subject"]
    )
    pdf = citizen.get(f"/api/v1/me/documents/{notice['document']}")
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.getvalue(), capture_output=True, check=True
    ).stdout.decode()
    assert "Auszug aus dem Baulastenverzeichnis der Stadt Neuss" in text
    assert "Stellplatzbaulast" in text
    assert "keine Baulast eingetragen" in text
    assert "90,00" in text  # the caseworker's fee for the extract


def test_the_kreis_register_for_juechen_through_the_api(world: World, au: AuskunftSetup) -> None:
    citizen = _citizen_client(world.citizen)
    filed = _file(citizen, au.base.juechen.ags, [("053224", 4, "8/1")])
    assert filed["status"] == 201, filed["body"]
    request = AuskunftRequest.objects.get()
    assert request.authority == world.kreis
    assert request.parcels.get().entries_found == 1
    # Neuss staff never see it; the Kreis' staff do
    assert (
        _staff_client(au.base.bau_neuss).get(f"/api/v1/baulasten/{world.kreis.ags}/auskunft").status_code
        == 404
    )
    rows = _staff_client(au.base.bau_kreis).get(f"/api/v1/baulasten/{world.kreis.ags}/auskunft").json()
    assert [r["case_id"] for r in rows] == [request.case_id]


def test_a_parcel_elsewhere_is_refused_through_the_api(world: World, au: AuskunftSetup) -> None:
    citizen = _citizen_client(world.citizen)
    filed = _file(citizen, world.neuss.ags, [("053347", 2, "45")])
    assert filed["status"] == 422
    assert filed["body"]["code"] == "baulasten-parcel-elsewhere"
    assert "Dormagen" in filed["body"]["detail"] or "Dormagen" in str(filed["body"])
    assert not AuskunftRequest.objects.exists()


def test_other_towns_staff_get_404(world: World, au: AuskunftSetup) -> None:
    citizen = _citizen_client(world.citizen)
    assert _file(citizen, world.neuss.ags, [("053359", 7, "200")])["status"] == 201
    case_id = AuskunftRequest.objects.get().case_id
    dormagen = _staff_client(au.base.bau_dormagen)
    assert dormagen.get(f"/api/v1/baulasten/{world.neuss.ags}/auskunft/{case_id}").status_code == 404
    assert dormagen.get(f"/api/v1/baulasten/{world.dormagen.ags}/auskunft/{case_id}").status_code == 404
    assert dormagen.get(f"/api/v1/baulasten/{world.dormagen.ags}/auskunft").json() == []
    posted = dormagen.post(
        f"/api/v1/baulasten/{world.dormagen.ags}/auskunft/{case_id}/decision",
        {"accepted": True},
        content_type="application/json",
    )
    assert posted.status_code == 404
