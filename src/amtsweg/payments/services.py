"""Payment services: the one transition every report goes through (provider, bank, staff).

``payment_transition`` locks the payment row, applies an allowed transition once and records it as
a ``PaymentEvent``; the same report again (same ``source`` and ``external_id``) is a no-op, a report
that would move the payment backwards is ``stale``. A payment that becomes *paid* enqueues
``payment.paid``: its handler tells the case's process (message ``payment_received``) and the
postbox, outside the transaction that recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.outbox.services import outbox_enqueue

from .fees import fee_amount, fee_for
from .models import Fee, KassenzeichenCounter, Payment, PaymentAccount, PaymentEvent, Waiver
from .providers import Begin, provider
from .states import SETTLED, UNSETTLED, allowed

if TYPE_CHECKING:
    from amtsweg.cases.models import Case
    from amtsweg.forms.models import Draft
    from amtsweg.tenancy.models import Authority


R = TypeVar("R", Fee, Waiver)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this very report was applied before
    STALE = "stale"  # the payment is already further along (or the move is not allowed)


@dataclass(frozen=True)
class TransitionResult:
    payment: Payment
    outcome: Outcome


def payment_transition(
    *,
    payment: Payment,
    to: str,
    source: str,
    external_id: str = "",
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move ``payment`` to ``to`` as reported by ``source`` (idempotent per ``external_id``)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if (
            external_id
            and PaymentEvent.objects.filter(payment=locked, source=source, external_id=external_id).exists()
        ):
            return TransitionResult(locked, Outcome.DUPLICATE)
        if locked.status == to:
            return TransitionResult(locked, Outcome.DUPLICATE)
        if not allowed(locked.status, to):
            return TransitionResult(locked, Outcome.STALE)
        previous = locked.status
        locked.status = to
        fields = ["status", "updated_at"]
        if to == Payment.Status.PAID:
            locked.paid_at = timezone.now()
            fields.append("paid_at")
        locked.save(update_fields=fields)
        # The row lock above serialises reports for one payment, so the check for the same report
        # before it cannot race; the unique constraint is the last line of defence.
        PaymentEvent.objects.create(
            payment=locked,
            from_status=previous,
            to_status=to,
            source=source,
            external_id=external_id,
            actor=actor,
            detail=detail or {},
        )
        if to == Payment.Status.PAID:
            outbox_enqueue(
                kind="payment.paid",
                payload={"payment": str(locked.pk)},
                dedupe_key=f"payment.paid:{locked.pk}",
                authority_id=locked.authority_id,
            )
    return TransitionResult(locked, Outcome.APPLIED)


# --- problems ------------------------------------------------------------------------------------


class PaymentRequired(Problem):
    """The draft's fee is due before submission and not paid (or waived) yet."""

    status_code = 402
    code = "payment-required"


class PaymentNotPayable(Problem):
    """The payment is settled, cancelled or already in progress at a provider."""

    status_code = 409
    code = "payment-not-payable"


class VoucherInvalid(Problem):
    status_code = 422
    code = "voucher-invalid"


# --- Kassenzeichen -------------------------------------------------------------------------------


def kassenzeichen_next(*, authority_id: int, year: int) -> str:
    """The next Kassenzeichen of the authority: account prefix, year, six-digit number (``NE2026000042``).

    Race-free as the case numbers are: ``UPDATE … RETURNING`` locks the counter row until the
    caller's transaction ends, so two payments never get the same number and a rollback gives
    the number back. Without a treasury account the authority's AGS ends the prefix.
    """
    table = KassenzeichenCounter._meta.db_table
    sql = f"UPDATE {table} SET last = last + 1 WHERE authority_id = %s AND year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [authority_id, year])
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():  # the first payment of the year at this authority
                KassenzeichenCounter.objects.create(authority_id=authority_id, year=year, last=1)
                row = (1,)
        except IntegrityError:
            with connection.cursor() as cursor:  # a concurrent first payment created it
                cursor.execute(sql, [authority_id, year])
                row = cursor.fetchone()
    assert row is not None
    return f"{_prefix(authority_id)}{year}{int(row[0]):06d}"


def _prefix(authority_id: int) -> str:
    from amtsweg.tenancy.models import Authority

    prefix = (
        PaymentAccount.objects.filter(authority_id=authority_id)
        .values_list("kassenzeichen_prefix", flat=True)
        .first()
    )
    if prefix:
        return str(prefix)
    return str(Authority.objects.filter(pk=authority_id).values_list("ags", flat=True).get())[-3:]


def _payment_create(
    *,
    authority_id: int,
    payer_id: int,
    amount_cents: int,
    purpose: str,
    fee: Fee | None,
    draft: Draft | None = None,
    case: Case | None = None,
    due_date: date | None = None,
) -> Payment:
    now = timezone.now()
    kassenzeichen = kassenzeichen_next(authority_id=authority_id, year=timezone.localdate(now).year)
    payment = Payment.objects.create(
        authority_id=authority_id,
        draft=draft,
        case=case,
        payer_id=payer_id,
        fee=fee,
        purpose=f"{kassenzeichen} {purpose}"[:140],
        amount_cents=amount_cents,
        kassenzeichen=kassenzeichen,
        provider="",
        due_date=due_date,
    )
    PaymentEvent.objects.create(
        payment=payment, from_status="", to_status=Payment.Status.OPEN, source=PaymentEvent.Source.SYSTEM
    )
    return payment


# --- before submission ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftFee:
    """What a draft owes before submission: the fee, its amount, what is settled and still open."""

    fee: Fee
    amount_cents: int
    settled_cents: int
    waived: bool

    @property
    def outstanding_cents(self) -> int:
        return 0 if self.waived else max(self.amount_cents - self.settled_cents, 0)


def draft_fee(draft: Draft) -> DraftFee | None:
    """The before-submission fee of ``draft`` and how much of it is settled; ``None`` if it has none."""
    fee = fee_for(draft.service_id, draft.authority_id, timing=Fee.Timing.BEFORE_SUBMISSION)
    if fee is None:
        return None
    amount = fee_amount(fee, draft.data)
    settled = list(
        Payment.objects.filter(draft_id=draft.pk, status__in=SETTLED).values_list("status", "amount_cents")
    )
    return DraftFee(
        fee=fee,
        amount_cents=amount,
        settled_cents=sum(cents for status, cents in settled if status == Payment.Status.PAID),
        waived=any(status == Payment.Status.WAIVED for status, _ in settled),
    )


def payment_for_draft(*, draft: Draft, actor: User) -> Payment | None:
    """The one payment the payer uses for ``draft`` now: reused while it fits, created otherwise.

    ``None`` when nothing is owed (no fee, amount 0, already paid or waived). The draft row is
    locked, so two tabs clicking "Bezahlen" at once get the same payment. A payment whose amount no
    longer fits (the answers changed) is cancelled and replaced, unless it is in progress at a
    provider; an answer change after paying asks only for the difference.
    """
    from amtsweg.forms.models import Draft

    if draft.applicant_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.submitted_at is not None:
            raise PaymentNotPayable(
                "Der Antrag ist bereits eingereicht.", "The application has been submitted already."
            )
        owed = draft_fee(locked)
        if owed is None or owed.outstanding_cents == 0:
            return None
        unsettled = list(Payment.objects.filter(draft=locked, status__in=UNSETTLED).order_by("-created_at"))
        for payment in unsettled:
            if payment.status == Payment.Status.PENDING:
                return payment  # the payer is paying right now; the provider decides
        for payment in unsettled:
            if payment.amount_cents == owed.outstanding_cents and payment.fee_id == owed.fee.pk:
                return payment
        for payment in unsettled:
            payment_transition(
                payment=payment,
                to=Payment.Status.CANCELLED,
                source=PaymentEvent.Source.SYSTEM,
                actor=actor,
                detail={"reason": "amount-changed"},
            )
        return _payment_create(
            authority_id=locked.authority_id,
            payer_id=actor.pk,
            amount_cents=owed.outstanding_cents,
            purpose=owed.fee.title,
            fee=owed.fee,
            draft=locked,
        )


def payment_required_check(draft: Draft) -> None:
    """Refuse submission (``PaymentRequired``, 402) while the draft's before-submission fee is owed.

    Called by ``cases.services.submission_submit`` with the draft row locked.
    """
    owed = draft_fee(draft)
    if owed is None or owed.outstanding_cents == 0:
        return
    payment = (
        Payment.objects.filter(draft_id=draft.pk, status__in=UNSETTLED)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    euros, cents = divmod(owed.outstanding_cents, 100)
    raise PaymentRequired(
        f"Bitte bezahlen Sie zuerst die Gebühr „{owed.fee.title}“ ({euros},{cents:02d} €); "
        "danach können Sie einreichen.",
        f"Please pay the fee {owed.fee.title!r} first; then you can submit.",
        extra={
            "amount_cents": owed.amount_cents,
            "outstanding_cents": owed.outstanding_cents,
            "payment": str(payment) if payment else None,
        },
    )


def payments_attach(draft: Draft, case: Case) -> None:
    """On submission: the draft's payments belong to the case now; unused open ones are cancelled."""
    Payment.objects.filter(draft_id=draft.pk).update(case=case)
    for payment in Payment.objects.filter(
        draft_id=draft.pk, status__in=(Payment.Status.OPEN, Payment.Status.FAILED)
    ):
        payment_transition(
            payment=payment,
            to=Payment.Status.CANCELLED,
            source=PaymentEvent.Source.SYSTEM,
            detail={"reason": "submitted-without-it"},
        )


# --- requested by the process --------------------------------------------------------------------


def payment_request(
    *,
    case: Case,
    amount_cents: int | None = None,
    purpose: str = "",
    fee_key: str = "",
    due_days: int | None = None,
) -> Payment:
    """A payment the case's process asks for (action ``payment.request``): fee from the parameters,
    else the service's fee paid on request; due after the treasury's payment days."""
    fee = None
    if amount_cents is None:
        fee = fee_for(case.service_id, case.authority_id, timing=Fee.Timing.ON_REQUEST)
        if fee_key and (fee is None or fee.key != fee_key):
            fee = (
                Fee.objects.filter(service_id=case.service_id, key=fee_key, active=True)
                .filter(authority_id__in=[case.authority_id])
                .first()
                or Fee.objects.filter(
                    service_id=case.service_id, key=fee_key, active=True, authority=None
                ).first()
            )
        if fee is None:
            raise Problem(
                "Für diese Leistung ist keine Gebühr hinterlegt, die im Verfahren angefordert wird.",
                "The service has no fee to request during the procedure.",
                status_code=422,
                code="fee-missing",
            )
        data = case.submission.data if case.submission is not None else {}
        amount_cents = fee_amount(fee, data)
    if amount_cents <= 0:
        raise Problem(
            "Der angeforderte Betrag muss größer als 0 sein.",
            "The requested amount must be above zero.",
            status_code=422,
            code="fee-amount-invalid",
        )
    days = due_days
    if days is None:
        days = (
            PaymentAccount.objects.filter(authority_id=case.authority_id)
            .values_list("payment_days", flat=True)
            .first()
            or 14
        )
    with transaction.atomic():
        return _payment_create(
            authority_id=case.authority_id,
            payer_id=case.applicant_id,
            amount_cents=amount_cents,
            purpose=purpose or (fee.title if fee else case.title),
            fee=fee,
            case=case,
            due_date=timezone.localdate() + timedelta(days=days),
        )


# --- paying --------------------------------------------------------------------------------------


def payment_begin(
    *, payment: Payment, provider_key: str, actor: User, return_url: str, request: HttpRequest | None
) -> Begin:
    """Start paying ``payment`` with provider ``provider_key``: what the payer does next."""
    if payment.payer_id != actor.pk:
        raise PermissionDenied
    chosen = provider(provider_key)
    if chosen is None:
        raise Problem(
            "Dieser Zahlungsweg wird nicht angeboten.",
            "This payment method is not offered.",
            status_code=400,
            code="provider-unknown",
        )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (Payment.Status.OPEN, Payment.Status.FAILED):
            raise PaymentNotPayable(
                "Diese Zahlung ist abgeschlossen oder läuft bereits beim Zahlungsdienst.",
                "This payment is settled or already in progress at the provider.",
                extra={"status": locked.status},
            )
        begin = chosen.begin(locked, return_url=return_url, request=request)
        locked.provider = chosen.key
        locked.provider_reference = begin.provider_reference or locked.provider_reference
        locked.save(update_fields=["provider", "provider_reference", "updated_at"])
    payment.provider, payment.provider_reference = locked.provider, locked.provider_reference
    return begin


def payment_waive(*, payment: Payment, code: str, actor: User) -> Payment:
    """Settle ``payment`` with a voucher code of its authority (one use, counted under a lock)."""
    if payment.payer_id != actor.pk:
        raise PermissionDenied
    invalid = VoucherInvalid(
        "Dieser Gutscheincode ist nicht gültig (oder schon verbraucht).",
        "This voucher code is not valid (or used up).",
    )
    service_id = _service_id(payment)
    with transaction.atomic():
        waiver = (
            Waiver.objects.select_for_update()
            .filter(authority_id=payment.authority_id, code__iexact=code.strip())
            .first()
        )
        if (
            waiver is None
            or waiver.uses_left < 1
            or (waiver.valid_until is not None and waiver.valid_until < timezone.localdate())
            or (waiver.service_id is not None and waiver.service_id != service_id)
        ):
            raise invalid
        result = payment_transition(
            payment=payment,
            to=Payment.Status.WAIVED,
            source=PaymentEvent.Source.SYSTEM,
            external_id=f"waiver:{waiver.pk}",
            actor=actor,
            detail={"waiver": waiver.pk},
        )
        if result.outcome != Outcome.APPLIED:
            raise PaymentNotPayable(
                "Diese Zahlung ist bereits abgeschlossen oder läuft beim Zahlungsdienst.",
                "This payment is settled already or in progress at the provider.",
            )
        Waiver.objects.filter(pk=waiver.pk).update(uses_left=F("uses_left") - 1)
        Payment.objects.filter(pk=payment.pk).update(waiver=waiver)
    payment.refresh_from_db()
    return payment


def _service_id(payment: Payment) -> int | None:
    if payment.fee_id is not None:
        return Fee.objects.filter(pk=payment.fee_id).values_list("service_id", flat=True).first()
    if payment.draft_id is not None:
        from amtsweg.forms.models import Draft

        return Draft.objects.filter(pk=payment.draft_id).values_list("service_id", flat=True).first()
    if payment.case_id is not None:
        from amtsweg.cases.models import Case

        return Case.objects.filter(pk=payment.case_id).values_list("service_id", flat=True).first()
    return None


def payment_poll(*, payment: Payment) -> TransitionResult | None:
    """Ask the payment's provider for its status and apply it (source ``poll``); ``None`` if unknown."""
    chosen = provider(payment.provider) if payment.provider else None
    if chosen is None:
        return None
    reported = chosen.status(payment)
    Payment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
    if reported is None:
        return None
    return payment_transition(
        payment=payment,
        to=reported.status,
        source=PaymentEvent.Source.POLL,
        external_id=reported.external_id,
        detail={"provider": chosen.key},
    )


# --- fees and vouchers (back office) -------------------------------------------------------------


def fee_save(*, fee: Fee, authority: Authority, actor: User, channel: str) -> Fee:
    """Store a fee of ``authority`` (its administrators only); a duplicate key is a 409."""
    return _authority_row_save(row=fee, authority=authority, actor=actor, channel=channel)


def waiver_save(*, waiver: Waiver, authority: Authority, actor: User, channel: str) -> Waiver:
    """Store a voucher code of ``authority`` (its administrators only); a duplicate code is a 409."""
    waiver.code = waiver.code.strip()
    return _authority_row_save(row=waiver, authority=authority, actor=actor, channel=channel)


def _authority_row_save(*, row: R, authority: Authority, actor: User, channel: str) -> R:
    from amtsweg.tenancy import access
    from amtsweg.tenancy.models import AuditEvent

    if not access.can_access(actor, authority, administer=True):
        raise PermissionDenied
    row.authority = authority
    created = row.pk is None
    try:
        with transaction.atomic():
            row.save()
            access.audit(
                actor=actor,
                action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
                obj=row,
                authority_id=authority.pk,
                channel=channel,
            )
    except IntegrityError as exc:
        raise Problem(
            "Diese Kennung gibt es bei Ihrer Behörde schon.",
            "This key exists at your authority already.",
            status_code=409,
            code="duplicate",
        ) from exc
    return row
