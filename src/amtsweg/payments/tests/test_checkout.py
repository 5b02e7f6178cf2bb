"""Paying before submission: the draft's payment, Kassenzeichen, vouchers, the submission gate."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.cases.services import submission_submit
from amtsweg.payments.models import Payment, PaymentEvent, Waiver
from amtsweg.payments.services import (
    PaymentRequired,
    VoucherInvalid,
    kassenzeichen_next,
    payment_for_draft,
    payment_transition,
    payment_waive,
)
from amtsweg.testing import EID_LOGIN, World

from . import factories


def _paid(payment: Payment) -> None:
    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.STAFF, external_id="t"
    )


@pytest.mark.django_db
def test_submission_is_refused_until_the_fee_is_paid(world: World) -> None:
    factories.account(world.neuss)
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    with pytest.raises(PaymentRequired) as refused:
        submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    assert refused.value.status_code == 402
    assert refused.value.code == "payment-required"
    assert refused.value.extra["outstanding_cents"] == 1250
    assert not Case.objects.exists()

    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    assert payment.kassenzeichen == f"NE{timezone.localdate().year}000001"
    assert payment_for_draft(draft=draft, actor=world.citizen) == payment  # reused
    _paid(payment)
    assert payment_for_draft(draft=draft, actor=world.citizen) is None  # nothing owed any more
    submission = submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    payment.refresh_from_db()
    assert payment.case == submission.case


@pytest.mark.django_db
def test_changed_answers_replace_an_open_payment_and_ask_only_for_the_difference(world: World) -> None:
    from amtsweg.cases.tests.factories_citizen import ensure_default_status_model, open_draft

    ensure_default_status_model()
    factories.fee(world.town_service, world.neuss, kind="per_unit", amount_cents=500, unit_field="copies")
    draft = open_draft(citizen=world.citizen, service=world.town_service, authority=world.neuss)  # 2 copies
    first = payment_for_draft(draft=draft, actor=world.citizen)
    assert first is not None and first.amount_cents == 1000
    draft.data = {**draft.data, "copies": "3"}
    draft.save()
    second = payment_for_draft(draft=draft, actor=world.citizen)
    assert second is not None and second.amount_cents == 1500 and second != first
    first.refresh_from_db()
    assert first.status == Payment.Status.CANCELLED
    _paid(second)
    draft.data = {**draft.data, "copies": "4"}
    draft.save()
    third = payment_for_draft(draft=draft, actor=world.citizen)
    assert third is not None and third.amount_cents == 500  # only the difference
    assert third.kassenzeichen != second.kassenzeichen


@pytest.mark.django_db
def test_a_voucher_waives_the_fee_once(world: World) -> None:
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    factories.waiver(world.neuss, code="EHRENAMT-2026", uses=1)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    with pytest.raises(VoucherInvalid):
        payment_waive(payment=payment, code="FALSCH", actor=world.citizen)
    payment = payment_waive(payment=payment, code=" ehrenamt-2026 ", actor=world.citizen)
    assert payment.status == Payment.Status.WAIVED
    assert payment.waiver is not None and payment.waiver.uses_left == 0
    submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)

    from amtsweg.cases.tests.factories_citizen import open_draft

    second = payment_for_draft(
        draft=open_draft(citizen=world.citizen, service=world.town_service, authority=world.neuss),
        actor=world.citizen,
    )
    assert second is not None
    with pytest.raises(VoucherInvalid):  # used up
        payment_waive(payment=second, code="EHRENAMT-2026", actor=world.citizen)


@pytest.mark.django_db
def test_vouchers_of_another_town_expired_or_for_another_service_do_not_count(world: World) -> None:
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    factories.waiver(world.dormagen, code="DORMAGEN")
    factories.waiver(world.neuss, code="ALT", valid_until=timezone.localdate() - timedelta(days=1))
    factories.waiver(world.neuss, code="KFZ", service=world.kreis_service)
    for code in ("DORMAGEN", "ALT", "KFZ"):
        with pytest.raises(VoucherInvalid):
            payment_waive(payment=payment, code=code, actor=world.citizen)
    assert Waiver.objects.filter(uses_left=1).count() == 3
    payment.refresh_from_db()
    assert payment.status == Payment.Status.OPEN


@pytest.mark.django_db(transaction=True)
def test_kassenzeichen_are_unique_under_concurrency(world: World) -> None:
    factories.account(world.neuss, prefix="NE")
    year = timezone.localdate().year
    numbers: list[str] = []
    errors: list[BaseException] = []

    def draw() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                numbers.append(kassenzeichen_next(authority_id=world.neuss.pk, year=year))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if connection.vendor == "sqlite" and errors:
        pytest.skip("SQLite serialises writers; the race is tested on PostgreSQL")
    assert not errors
    assert sorted(numbers) == [f"NE{year}{n:06d}" for n in range(1, 9)]
    assert (
        kassenzeichen_next(authority_id=world.dormagen.pk, year=year) == f"004{year}000001"
    )  # AGS, no account


@pytest.mark.django_db
def test_review_page_shows_the_fee_and_the_pay_button(world: World) -> None:
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    client = Client()
    client.force_login(world.citizen)
    page = client.get(f"/antraege/{draft.pk}/pruefen/").content.decode()
    assert "Gebühr" in page and "12,50 €" in page and "noch zu zahlen" in page
    refused = client.post(f"/antraege/{draft.pk}/einreichen/", {"draft": str(draft.pk)})
    assert refused.status_code == 422
    assert "Bitte bezahlen Sie zuerst die Gebühr" in refused.content.decode()
    response = client.post(f"/zahlungen/entwurf/{draft.pk}/")
    payment = Payment.objects.get(draft=draft)
    assert response["Location"] == f"/zahlungen/{payment.pk}/"
    pay = client.get(response["Location"]).content.decode()
    assert payment.kassenzeichen in pay and "12,50 €" in pay


@pytest.mark.django_db
def test_demo_simulator_pays_and_the_draft_can_be_submitted(world: World, settings: Any) -> None:
    settings.PAYMENT_SIMULATOR = True
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    client = Client()
    client.force_login(world.citizen)
    payment_url = client.post(f"/zahlungen/entwurf/{draft.pk}/")["Location"]
    page = client.get(payment_url).content.decode()
    assert "Demo-Zahlung (keine echte Zahlung)" in page
    simulator_url = client.post(payment_url, {"provider": "simulator"})["Location"]
    assert simulator_url.startswith("/zahlungen/simulator/")
    assert "Demo – keine echte Zahlung" in client.get(simulator_url).content.decode()
    back = client.post(simulator_url, {"pay": "1"})["Location"]
    assert client.get(back)["Location"] == f"/antraege/{draft.pk}/pruefen/"
    assert "bezahlt" in client.get(f"/antraege/{draft.pk}/pruefen/").content.decode()
    response = client.post(f"/antraege/{draft.pk}/einreichen/", {"draft": str(draft.pk)})
    assert response.status_code == 302
    assert Case.objects.get(submission__draft=draft).payments.get().status == Payment.Status.PAID


@pytest.mark.django_db
def test_simulator_is_absent_outside_demo_mode(world: World, settings: Any) -> None:
    settings.PAYMENT_SIMULATOR = False
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    client = Client()
    client.force_login(world.citizen)
    assert client.get(f"/zahlungen/simulator/{payment.pk}/").status_code == 404
    response = client.post(f"/zahlungen/{payment.pk}/", {"provider": "simulator"})
    assert response.status_code == 422
    assert Payment.objects.get(pk=payment.pk).provider == ""


@pytest.mark.django_db
def test_voucher_on_the_pay_page(world: World) -> None:
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    factories.waiver(world.neuss, code="EHRENAMT")
    client = Client()
    client.force_login(world.citizen)
    payment_url = client.post(f"/zahlungen/entwurf/{draft.pk}/")["Location"]
    wrong = client.post(payment_url, {"voucher": "1", "code": "RATEN"})
    assert wrong.status_code == 422
    assert 'href="#id_code"' in wrong.content.decode()
    assert (
        client.post(payment_url, {"voucher": "1", "code": "EHRENAMT"})["Location"]
        == f"/antraege/{draft.pk}/pruefen/"
    )
    assert "erlassen" in client.get(f"/antraege/{draft.pk}/pruefen/").content.decode()


@pytest.mark.django_db
def test_another_citizen_cannot_see_or_pay_it(world: World) -> None:
    from amtsweg.cases.tests.factories_citizen import other_citizen

    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    client = Client()
    client.force_login(other_citizen())
    assert client.get(f"/zahlungen/{payment.pk}/").status_code == 404
    assert client.post(f"/zahlungen/{payment.pk}/", {"provider": "epayment"}).status_code == 404
    assert client.get(f"/zahlungen/{payment.pk}/rueckkehr/").status_code == 404
    assert client.post(f"/zahlungen/entwurf/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/payments/{payment.pk}").status_code == 404
