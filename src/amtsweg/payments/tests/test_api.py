"""The payments API: the payer's own payment, staff lists scoped to their authorities, fees."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amtsweg.payments.models import Fee, Payment
from amtsweg.payments.services import payment_for_draft
from amtsweg.testing import World

from . import factories

pytestmark = pytest.mark.django_db


def _payment(world: World, authority: Any) -> Payment:
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=authority)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    return payment


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_payer_reads_and_begins_own_payment(world: World, settings: Any) -> None:
    settings.PAYMENT_EPAYMENT = {"url": "http://127.0.0.1:9", "merchant_id": "M", "secret": "s"}
    payment = _payment(world, world.neuss)
    client = _client(world.citizen)
    body = client.get(f"/api/v1/payments/{payment.pk}").json()
    assert body["amount_cents"] == 1250 and body["kassenzeichen"] == payment.kassenzeichen
    assert body["status"] == "open" and body["authority"] == "05162024"
    begun = client.post(
        f"/api/v1/payments/{payment.pk}/begin", {"provider": "epayment"}, content_type="application/json"
    )
    assert begun.status_code == 200
    assert begun.json()["redirect_url"].startswith("http://127.0.0.1:9/pay?")
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PAID)
    again = client.post(
        f"/api/v1/payments/{payment.pk}/begin", {"provider": "epayment"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "payment-not-payable"


def test_staff_see_only_their_authoritys_payments(world: World) -> None:
    neuss = _payment(world, world.neuss)
    dormagen = _payment(world, world.dormagen)
    rows = _client(world.caseworker_neuss).get("/api/v1/staff/payments").json()["results"]
    assert [r["id"] for r in rows] == [str(neuss.pk)]
    rows = _client(world.kreis_admin).get("/api/v1/staff/payments?status=open").json()["results"]
    assert {r["id"] for r in rows} == {str(neuss.pk), str(dormagen.pk)}
    assert _client(world.caseworker_dormagen).get(f"/api/v1/staff/payments/{neuss.pk}").status_code == 404
    detail = _client(world.caseworker_neuss).get(f"/api/v1/staff/payments/{neuss.pk}").json()
    assert [e["to_status"] for e in detail["events"]] == ["open"]
    assert (
        _client(world.caseworker_dormagen).get("/api/v1/staff/payments?authority=05162024").status_code == 404
    )


def test_fee_list_and_admin_create(world: World, django_assert_max_num_queries: Any) -> None:
    factories.fee(world.town_service, world.dormagen, key="dormagen")
    factories.fee(world.town_service, None, key="verbund")
    client = _client(world.admin_neuss)
    with django_assert_max_num_queries(8):
        rows = client.get("/api/v1/staff/fees").json()["results"]
    assert {r["key"] for r in rows} == {"verbund"}
    data = {
        "authority": "05162024",
        "service": world.town_service.leika_key,
        "key": "kopie",
        "title": "Kopie",
        "kind": "formula",
        "formula": "seiten * 0.5",
    }
    created = client.post("/api/v1/staff/fees", data, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Fee.objects.get(key="kopie").authority == world.neuss
    assert client.post("/api/v1/staff/fees", data, content_type="application/json").status_code == 409
    broken = client.post(
        "/api/v1/staff/fees", {**data, "key": "x", "formula": "seiten *"}, content_type="application/json"
    )
    assert broken.status_code == 400
    other = client.post(
        "/api/v1/staff/fees", {**data, "authority": "05162004"}, content_type="application/json"
    )
    assert other.status_code == 404
    assert (
        _client(world.caseworker_neuss)
        .post("/api/v1/staff/fees", data, content_type="application/json")
        .status_code
        == 404
    )


def test_staff_payment_list_query_count(world: World, django_assert_max_num_queries: Any) -> None:
    for _ in range(5):
        _payment(world, world.neuss)
    client = _client(world.caseworker_neuss)
    with django_assert_max_num_queries(8):
        rows = client.get("/api/v1/staff/payments").json()["results"]
    assert len(rows) == 5


def test_backoffice_pages(world: World) -> None:
    payment = _payment(world, world.neuss)
    factories.waiver(world.neuss, code="EHRENAMT")
    reader = _client(world.caseworker_neuss)
    page = reader.get("/backoffice/05162024/zahlungen/?status=open").content.decode()
    assert payment.kassenzeichen in page
    assert (
        payment.kassenzeichen
        not in reader.get("/backoffice/05162024/zahlungen/?status=paid").content.decode()
    )
    detail = reader.get(f"/backoffice/05162024/zahlungen/{payment.pk}/").content.decode()
    assert "Verlauf" in detail and "12,50 €" in detail
    fees = reader.get("/backoffice/05162024/gebuehren/").content.decode()
    assert "EHRENAMT" in fees and "Gutschein anlegen" not in fees  # caseworkers read only
    admin = _client(world.admin_neuss)
    assert "Gutschein anlegen" in admin.get("/backoffice/05162024/gebuehren/").content.decode()
    response = admin.post(
        "/backoffice/05162024/gebuehren/",
        {
            "fee": "1",
            "fee-service": world.town_service.pk,
            "fee-key": "eilig",
            "fee-title": "Eilzuschlag",
            "fee-kind": "formula",
            "fee-formula": "5 +",
            "fee-timing": "on_request",
            "fee-amount_cents": "0",
        },
    )
    assert response.status_code == 422
    assert Fee.objects.filter(key="eilig").count() == 0
