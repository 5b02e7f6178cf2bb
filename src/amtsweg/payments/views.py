"""The payer's pages in the portal: pay (choose a provider or redeem a voucher), return, demo simulator.

Thin views over ``payments.services``; a payment is found only among the caller's own
(``selectors.payment_for_payer``), anyone else's is a 404.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem
from amtsweg.forms.continuation import draft_continue_url
from amtsweg.forms.models import Draft
from amtsweg.identity.models import User
from amtsweg.identity.views import citizen_required

from . import selectors, services
from .models import Payment, PaymentEvent
from .providers import InvalidSignature, provider, providers
from .simulator import KEY as SIMULATOR

logger = logging.getLogger(__name__)
VOUCHER_LIMIT = 10  # attempts per payer and hour: a code cannot be guessed by trying
VOUCHER_WINDOW = 3600


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by citizen_required
    return user


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Startseite"), reverse("portal:home")), (_("Mein Konto"), reverse("portal:account")), *trail]


def after_payment_url(payment: Payment) -> str:
    """Where the payer continues: the draft's review page (to submit) or the case."""
    if payment.case_id is not None:
        return reverse("portal:my_application", kwargs={"pk": payment.case_id})
    if payment.draft is not None:
        return draft_continue_url(payment.draft) or reverse(
            "portal:draft_review", kwargs={"draft_id": payment.draft_id}
        )
    return reverse("portal:account")


@require_POST
@citizen_required
def payment_draft_start(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """``/zahlungen/entwurf/<draft>/``: the draft's payment (created or reused), then its pay page."""
    user = _user(request)
    draft = Draft.objects.filter(pk=draft_id, applicant=user).first()
    if draft is None:
        raise Http404
    try:
        payment = services.payment_for_draft(draft=draft, actor=user)
    except Problem as problem:
        messages.error(request, problem.localized())
        return redirect("portal:draft_review", draft_id=draft.pk)
    if payment is None:
        return redirect("portal:draft_review", draft_id=draft.pk)
    return redirect("portal:payment_pay", payment_id=payment.pk)


@require_http_methods(["GET", "POST"])
@citizen_required
def payment_pay(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """``/zahlungen/<id>/``: amount, Kassenzeichen, the providers to choose from and the voucher field."""
    user = _user(request)
    payment = selectors.payment_for_payer(user=user, payment_id=payment_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if "voucher" in request.POST:
                if not ratelimit.hit(
                    "payment-voucher", str(user.pk), limit=VOUCHER_LIMIT, window=VOUCHER_WINDOW
                ):
                    raise services.VoucherInvalid(
                        "Zu viele Versuche. Bitte versuchen Sie es später noch einmal.",
                        "Too many attempts. Please try again later.",
                        status_code=429,
                    )
                services.payment_waive(payment=payment, code=request.POST.get("code", ""), actor=user)
                messages.success(request, _("Der Gutschein wurde eingelöst; die Gebühr entfällt."))
                return redirect(after_payment_url(payment))
            begin = services.payment_begin(
                payment=payment,
                provider_key=request.POST.get("provider", ""),
                actor=user,
                return_url=request.build_absolute_uri(
                    reverse("portal:payment_return", kwargs={"payment_id": payment.pk})
                ),
                request=request,
            )
            return redirect(begin.redirect_url or begin.invoice_url or after_payment_url(payment))
        except Problem as problem:
            errors["code" if "voucher" in request.POST else "provider"] = problem.localized()
    response = render(
        request,
        "payments/pay.html",
        {
            "payment": payment,
            "providers": providers(),
            "settled": selectors.is_settled(payment),
            "payable": payment.status in (Payment.Status.OPEN, Payment.Status.FAILED),
            "errors": errors,
            "continue_url": after_payment_url(payment),
            "breadcrumbs": _crumbs((_("Zahlung"), None)),
        },
        status=422 if errors else 200,
    )
    # The form posts here and is redirected on to the provider; browsers check that redirect
    # against form-action too, so the providers' origins are allowed on this page only.
    origins = sorted({_origin(str(getattr(p, "url", ""))) for p in providers()} - {""})
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


@require_safe
@citizen_required
def payment_return(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """``/zahlungen/<id>/rueckkehr/``: back from the provider. A signed return is applied, an unsigned
    or forged one never; then the provider is asked for the status (signed), which is what counts."""
    user = _user(request)
    payment = selectors.payment_for_payer(user=user, payment_id=payment_id)
    chosen = provider(payment.provider) if payment.provider else None
    verify = getattr(chosen, "verify_return", None)
    if verify is not None and request.GET.get("signature"):
        try:
            report = verify(request.GET)
        except InvalidSignature:
            logger.warning("payment return with an invalid signature for %s", payment.pk)
        else:
            if report.txid == str(payment.pk):
                services.payment_transition(
                    payment=payment,
                    to=report.status,
                    source=PaymentEvent.Source.RETURN,
                    external_id=f"{report.status}:{report.timestamp}",
                    actor=user,
                )
    services.payment_poll(payment=payment)
    payment.refresh_from_db()
    if payment.status == Payment.Status.PAID:
        messages.success(request, _("Vielen Dank, Ihre Zahlung ist eingegangen."))
        return redirect(after_payment_url(payment))
    if payment.status == Payment.Status.WAIVED:
        return redirect(after_payment_url(payment))
    if payment.status == Payment.Status.PENDING:
        messages.info(
            request, _("Ihre Zahlung wird noch bearbeitet. Wir melden uns, sobald sie bestätigt ist.")
        )
        return redirect(after_payment_url(payment))
    messages.error(request, _("Die Zahlung wurde nicht abgeschlossen. Sie können es noch einmal versuchen."))
    return redirect("portal:payment_pay", payment_id=payment.pk)


@require_http_methods(["GET", "POST"])
@citizen_required
def payment_simulator(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """``/zahlungen/simulator/<id>/``: the demo provider's page; only in demo mode."""
    if not settings.PAYMENT_SIMULATOR:
        raise Http404
    user = _user(request)
    payment = selectors.payment_for_payer(user=user, payment_id=payment_id)
    if request.method == "POST" and payment.provider == SIMULATOR:
        paid = "pay" in request.POST
        services.payment_transition(
            payment=payment,
            to=Payment.Status.PAID if paid else Payment.Status.FAILED,
            source=PaymentEvent.Source.RETURN,
            external_id=f"simulator:{uuid.uuid4()}",
            actor=user,
            detail={"simulator": True},
        )
        return redirect("portal:payment_return", payment_id=payment.pk)
    context: dict[str, Any] = {
        "payment": payment,
        "active": payment.provider == SIMULATOR
        and payment.status in (Payment.Status.OPEN, Payment.Status.FAILED),
        "breadcrumbs": _crumbs((_("Demo-Zahlung"), None)),
    }
    return render(request, "payments/simulator.html", context)
