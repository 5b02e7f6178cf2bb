"""The nightly provider check, with in-process fake providers (the real provider server is P1's tests)."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.utils import timezone

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import get_handler
from amtsweg.payments import check, providers
from amtsweg.payments.models import Payment, PaymentEvent
from amtsweg.payments.providers import Begin, Notification, ProviderStatus
from amtsweg.testing import World

from .matrix_reconcile import payment

S = Payment.Status


@dataclass
class FakeProvider:
    """A provider whose answers the test sets: txid → (status, event id); ``down`` raises like a timeout."""

    key: str
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)
    down: bool = False
    online: bool = True
    label: str = "Fake"
    asked: list[str] = field(default_factory=list)

    def begin(self, payment: Payment, *, return_url: str, request: HttpRequest | None) -> Begin:
        return Begin(redirect_url="https://pay.example/", provider_reference=str(payment.pk))

    def status(self, payment: Payment) -> ProviderStatus | None:
        self.asked.append(payment.provider_reference)
        if self.down:
            raise ConnectionError("connect timeout")
        answer = self.answers.get(payment.provider_reference)
        return ProviderStatus(status=answer[0], external_id=answer[1]) if answer else None

    def parse_notification(self, body: bytes, headers: dict[str, str]) -> Notification:
        raise ValueError("no notifications")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeProvider, FakeProvider]:
    up = FakeProvider("fakepay")
    down = FakeProvider("downpay", down=True)
    monkeypatch.setitem(providers._PROVIDERS, "fakepay", lambda: up)
    monkeypatch.setitem(providers._PROVIDERS, "downpay", lambda: down)
    return up, down


def _pay(world: World, number: int, *, provider: str, reference: str, status: str = S.PENDING) -> Payment:
    return payment(
        payer=world.citizen,
        authority=world.neuss,
        kassenzeichen=f"NE2026{number:06d}",
        cents=1000,
        status=status,
        provider=provider,
        provider_reference=reference,
    )


def test_differences_are_applied_and_a_silent_provider_is_skipped(
    world: World, fakes: tuple[FakeProvider, FakeProvider], caplog: pytest.LogCaptureFixture
) -> None:
    up, down = fakes
    paid_late = _pay(world, 1, provider="fakepay", reference="tx-1")  # the notification was lost
    unknown = _pay(world, 2, provider="fakepay", reference="tx-2", status=S.OPEN)
    still = _pay(world, 3, provider="fakepay", reference="tx-3")
    failed = _pay(world, 4, provider="fakepay", reference="tx-4")
    silent_a = _pay(world, 5, provider="downpay", reference="tx-5")
    silent_b = _pay(world, 6, provider="downpay", reference="tx-6")
    _pay(world, 7, provider="fakepay", reference="tx-7", status=S.PAID)  # settled: not asked
    _pay(world, 8, provider="fakepay", reference="")  # never reached the provider: not asked
    recent = _pay(world, 9, provider="fakepay", reference="tx-9")
    Payment.objects.filter(pk=recent.pk).update(last_checked_at=timezone.now() - timedelta(hours=1))
    _pay(world, 10, provider="invoice", reference="inv-10", status=S.OPEN)  # offline: nothing to ask
    _pay(world, 11, provider="gone", reference="tx-11")  # provider no longer configured
    up.answers = {"tx-1": (S.PAID, "ev-1"), "tx-3": (S.PENDING, "ev-3"), "tx-4": (S.FAILED, "ev-4")}

    with caplog.at_level(logging.INFO, logger="amtsweg.payments.check"):
        report = check.payments_provider_check()

    assert sorted(up.asked) == ["tx-1", "tx-2", "tx-3", "tx-4"]
    assert down.asked == ["tx-5"]  # asked once, then the rest of its payments skipped
    assert (report.checked, report.changed, report.unchanged, report.unknown) == (4, 2, 1, 1)
    assert report.unavailable == {"downpay": "ConnectionError", "gone": "not configured"}
    assert report.skipped == 4  # tx-5, tx-6, invoice, gone
    for row, status in ((paid_late, S.PAID), (unknown, S.OPEN), (still, S.PENDING), (failed, S.FAILED)):
        row.refresh_from_db()
        assert row.status == status
        assert row.last_checked_at is not None
    event = PaymentEvent.objects.get(payment=paid_late, to_status=S.PAID)
    assert (event.source, event.external_id, event.detail) == (
        PaymentEvent.Source.POLL,
        "ev-1",
        {"provider": "fakepay", "check": "nightly"},
    )
    assert OutboxMessage.objects.filter(kind="payment.paid", payload={"payment": str(paid_late.pk)}).exists()
    for row in (silent_a, silent_b):
        row.refresh_from_db()
        assert row.last_checked_at is None  # not checked: tried again next night
    logged = caplog.text
    assert "downpay" in logged
    for personal in ("clara", "Citizen", "NE2026"):
        assert personal not in logged

    # The next run the same night asks nobody again; a forced run applies nothing twice.
    up.asked.clear()
    assert check.payments_provider_check().checked == 0 and up.asked == []
    again = check.payments_provider_check(older_than=timedelta(0))
    assert again.changed == 0
    assert PaymentEvent.objects.filter(payment=paid_late, source=PaymentEvent.Source.POLL).count() == 1


def test_a_notified_state_is_not_applied_twice(
    world: World, fakes: tuple[FakeProvider, FakeProvider]
) -> None:
    """The provider's event already arrived as a notification: the poll of the same event is a no-op."""
    from amtsweg.payments.services import payment_transition

    up, _down = fakes
    row = _pay(world, 1, provider="fakepay", reference="tx-1")
    payment_transition(payment=row, to=S.FAILED, source=PaymentEvent.Source.NOTIFICATION, external_id="ev-1")
    up.answers = {"tx-1": (S.FAILED, "ev-1")}
    report = check.payments_provider_check()
    assert (report.checked, report.changed, report.unchanged) == (1, 0, 1)
    assert PaymentEvent.objects.filter(payment=row).count() == 1


def test_daily_schedule_queues_one_message_per_day(db: None) -> None:
    tz = timezone.get_current_timezone()
    night = datetime(2026, 5, 8, 0, 30, tzinfo=tz)
    first = check.payments_check_schedule(now=night)
    again = check.payments_check_schedule(now=night + timedelta(hours=5))
    assert first.pk == again.pk
    assert first.kind == "payments.check" and first.payload == {}
    assert timezone.localtime(first.next_attempt_at, tz) == datetime(2026, 5, 8, 2, 0, tzinfo=tz)
    following = check.payments_check_schedule(now=night + timedelta(days=1))
    assert following.pk != first.pk
    assert OutboxMessage.objects.filter(kind="payments.check").count() == 2
    assert get_handler("payments.check") is check.payments_check_run


def test_the_handler_and_the_command_run_the_check(
    world: World, fakes: tuple[FakeProvider, FakeProvider]
) -> None:
    up, _down = fakes
    row = _pay(world, 1, provider="fakepay", reference="tx-1")
    up.answers = {"tx-1": (S.PAID, "ev-1")}
    out, err = io.StringIO(), io.StringIO()
    call_command("payments_check", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["changed"] == 1
    row.refresh_from_db()
    assert row.status == S.PAID

    other = _pay(world, 2, provider="fakepay", reference="tx-2")
    up.answers["tx-2"] = (S.FAILED, "ev-2")
    message = check.payments_check_schedule(now=timezone.now())
    check.payments_check_run(message)
    other.refresh_from_db()
    assert other.status == S.FAILED
