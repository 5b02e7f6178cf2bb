"""The redirect e-payment provider against the test provider server (a separate process on 127.0.0.1).

The platform runs as ``live_server`` so that the provider can post its notifications to it; the
payer's browser is the Django test client (pages) plus ``requests`` (the provider's pages).
Covered: the whole redirect → pay → notification → return round trip, duplicated, replayed, late,
out-of-order and forged notifications, a notification before the browser returns, and a return
without any notification (the status poll settles it).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from amtsweg.payments.epayment import SIGNATURE_HEADER, sign_body
from amtsweg.payments.models import Payment, PaymentEvent, ProviderNotification
from amtsweg.payments.services import payment_for_draft
from amtsweg.testing import World

from . import factories
from .conftest import MERCHANT, SECRET, ProviderServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform(epayment: ProviderServer, live_server: Any, settings: Any) -> ProviderServer:
    settings.PAYMENT_EPAYMENT = {**settings.PAYMENT_EPAYMENT, "notify_base": live_server.url}
    return epayment


def _payment(world: World) -> Payment:
    factories.account(world.neuss)
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    return payment


def _begin(client: Client, payment: Payment) -> str:
    """Choose the e-payment provider on the pay page; returns the provider's pay URL."""
    response = client.post(f"/zahlungen/{payment.pk}/", {"provider": "epayment"})
    assert response.status_code == 302, response.content[:500]
    location = str(response["Location"])
    assert location.startswith("http://127.0.0.1:") and "/pay?" in location
    return location


def _pay_at_provider(pay_url: str, action: str = "pay") -> str:
    """What the payer does on the provider's page; returns the signed return URL (path and query)."""
    page = requests.get(pay_url, timeout=10)
    assert page.status_code == 200, page.text
    assert "Test-ePayment" in page.text
    txid = parse_qs(urlsplit(pay_url).query)["txid"][0]
    base = pay_url.split("/pay?")[0]
    response = requests.post(f"{base}/pay/{txid}", data={"action": action}, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    back = urlsplit(response.headers["Location"])
    return f"{back.path}?{back.query}"


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.citizen)
    return client


def _outcomes(payment: Payment) -> list[str]:
    return list(
        ProviderNotification.objects.filter(payment=payment).order_by("pk").values_list("outcome", flat=True)
    )


def test_redirect_is_signed_and_carries_the_payment(world: World, platform: ProviderServer) -> None:
    payment = _payment(world)
    pay_url = _begin(_client(world), payment)
    query = {k: v[0] for k, v in parse_qs(urlsplit(pay_url).query).items()}
    assert query["merchant"] == MERCHANT
    assert query["txid"] == str(payment.pk)
    assert query["amount"] == "1250"
    assert query["kassenzeichen"] == payment.kassenzeichen
    assert query["notify_url"].endswith("/api/v1/payments/notifications/epayment")
    # The provider refuses a redirect whose amount was changed on the way.
    tampered = pay_url.replace("amount=1250", "amount=1")
    assert requests.get(tampered, timeout=10).status_code == 403
    payment.refresh_from_db()
    assert payment.provider == "epayment"
    assert payment.status == Payment.Status.OPEN


def test_full_round_trip_notification_before_the_browser_returns(
    world: World, platform: ProviderServer
) -> None:
    payment = _payment(world)
    client = _client(world)
    back = _pay_at_provider(_begin(client, payment))
    # The provider notified before redirecting: the payment is paid before the browser is back.
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert _outcomes(payment) == ["applied"]
    response = client.get(back)
    assert response.status_code == 302
    assert response["Location"] == f"/antraege/{payment.draft_id}/pruefen/"
    sources = list(payment.events.values_list("source", "to_status"))
    assert sources[0] == ("system", "open")
    assert ("notification", "paid") in sources
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PAID


def test_duplicated_notification_changes_nothing(world: World, platform: ProviderServer) -> None:
    platform.control("mode", {"mode": "twice"})
    payment = _payment(world)
    _pay_at_provider(_begin(_client(world), payment))
    assert _outcomes(payment) == ["applied", "duplicate"]
    assert payment.events.filter(source=PaymentEvent.Source.NOTIFICATION).count() == 1
    assert [s["http"] for s in platform.control("sent")[-2:]] == [200, 200]


def test_replayed_notification_is_a_duplicate(world: World, platform: ProviderServer) -> None:
    payment = _payment(world)
    _pay_at_provider(_begin(_client(world), payment))
    for _ in range(3):
        assert (
            platform.control("notify", {"txid": str(payment.pk), "notification_id": "n-replay"})["http"]
            == 200
        )
    assert _outcomes(payment) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert payment.events.count() == 2  # open, paid


def test_late_pending_after_paid_is_stale(world: World, platform: ProviderServer) -> None:
    payment = _payment(world)
    _pay_at_provider(_begin(_client(world), payment))
    answer = platform.control("notify", {"txid": str(payment.pk), "status": "pending"})
    assert answer["http"] == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert _outcomes(payment) == ["applied", "stale"]


def test_out_of_order_paid_then_pending_and_failed(world: World, platform: ProviderServer) -> None:
    platform.control("mode", {"mode": "none"})
    payment = _payment(world)
    _pay_at_provider(_begin(_client(world), payment))
    txid = str(payment.pk)
    assert platform.control("notify", {"txid": txid, "status": "paid"})["http"] == 200
    assert platform.control("notify", {"txid": txid, "status": "pending"})["http"] == 200
    assert platform.control("notify", {"txid": txid, "status": "failed"})["http"] == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert _outcomes(payment) == ["applied", "stale", "stale"]


def test_forged_notification_is_refused_and_logged(world: World, platform: ProviderServer) -> None:
    platform.control("mode", {"mode": "forged"})
    payment = _payment(world)
    client = _client(world)
    pay_url = _begin(client, payment)
    platform.control("mode", {"mode": "none"})
    txid = parse_qs(urlsplit(pay_url).query)["txid"][0]
    requests.get(pay_url, timeout=10)
    platform.control("settle", {"txid": txid, "status": "open"})
    answer = platform.control("notify", {"txid": txid, "status": "paid", "forged": True})
    assert answer["http"] == 403
    payment.refresh_from_db()
    assert payment.status == Payment.Status.OPEN
    forged = ProviderNotification.objects.get(outcome=ProviderNotification.Outcome.FORGED)
    assert forged.payment is None  # nothing of a forged body is trusted, not even which payment
    assert forged.remote_address == "127.0.0.1"
    assert len(forged.body_sha256) == 64


def test_forged_return_is_not_applied_but_the_poll_is(world: World, platform: ProviderServer) -> None:
    platform.control("mode", {"mode": "none"})
    payment = _payment(world)
    client = _client(world)
    pay_url = _begin(client, payment)
    requests.get(pay_url, timeout=10)  # the provider knows the transaction, still open
    now = int(time.time())
    forged = (
        f"/zahlungen/{payment.pk}/rueckkehr/?txid={payment.pk}&status=paid&timestamp={now}&signature=00ff"
    )
    response = client.get(forged)
    assert response.status_code == 302
    assert response["Location"] == f"/zahlungen/{payment.pk}/"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.OPEN
    assert not payment.events.filter(to_status=Payment.Status.PAID).exists()


def test_return_without_notification_is_settled_by_the_status_poll(
    world: World, platform: ProviderServer
) -> None:
    platform.control("mode", {"mode": "none"})
    payment = _payment(world)
    client = _client(world)
    back = _pay_at_provider(_begin(client, payment))
    assert not ProviderNotification.objects.exists()
    # Drop the signature: only the signed status answer can make it paid now.
    unsigned = back.split("?")[0]
    response = client.get(unsigned)
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.events.filter(source=PaymentEvent.Source.POLL, to_status="paid").count() == 1
    assert payment.last_checked_at is not None


def test_late_notification_after_the_return(world: World, platform: ProviderServer) -> None:
    platform.control("mode", {"mode": "late"})
    payment = _payment(world)
    client = _client(world)
    back = _pay_at_provider(_begin(client, payment))
    client.get(back)  # the signed return and the poll make it paid
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PAID
    deadline = time.monotonic() + 10
    while not ProviderNotification.objects.filter(payment=payment).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _outcomes(payment) == ["duplicate"]  # already paid: the late report changes nothing


def test_cancel_at_the_provider_lets_the_payer_try_again(world: World, platform: ProviderServer) -> None:
    payment = _payment(world)
    client = _client(world)
    back = _pay_at_provider(_begin(client, payment), action="cancel")
    response = client.get(back)
    assert response["Location"] == f"/zahlungen/{payment.pk}/"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    back = _pay_at_provider(_begin(client, payment))
    client.get(back)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


def _post(live_server: Any, body: bytes, signature: str) -> requests.Response:
    return requests.post(
        f"{live_server.url}/api/v1/payments/notifications/epayment",
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        timeout=10,
    )


def _body(payment: Payment, **fields: Any) -> bytes:
    data = {
        "notification_id": "n-1",
        "merchant": MERCHANT,
        "txid": str(payment.pk),
        "kassenzeichen": payment.kassenzeichen,
        "status": "paid",
        "amount": payment.amount_cents,
        "timestamp": int(time.time()),
    }
    data.update(fields)
    return json.dumps(data).encode()


def test_notification_endpoint_refusals(world: World, platform: ProviderServer, live_server: Any) -> None:
    payment = _payment(world)
    Payment.objects.filter(pk=payment.pk).update(provider="epayment")
    old = _body(payment, timestamp=int(time.time()) - 3600)
    assert _post(live_server, old, sign_body(SECRET, old)).status_code == 400  # replay window
    wrong_amount = _body(payment, amount=1)
    assert _post(live_server, wrong_amount, sign_body(SECRET, wrong_amount)).status_code == 400
    unknown = _body(payment, txid="9b2f8f4e-0000-4000-8000-000000000000")
    assert _post(live_server, unknown, sign_body(SECRET, unknown)).status_code == 404
    other_merchant = _body(payment, merchant="SOMEONE-ELSE")
    assert _post(live_server, other_merchant, sign_body(SECRET, other_merchant)).status_code == 400
    good = _body(payment)
    response = _post(live_server, good, sign_body(SECRET, good).upper())  # hex in capitals is not ours
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")
    response = _post(live_server, good, sign_body(SECRET, good))
    assert response.status_code == 200
    assert response.json() == {"outcome": "applied"}
    outcomes = list(ProviderNotification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["invalid", "invalid", "unknown", "invalid", "forged", "applied"]
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PAID
