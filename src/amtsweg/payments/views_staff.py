"""Back-office pages of payments: the authority's payments with their history, fees and vouchers.

Everything is read through ``selectors`` (scoped by ``tenancy.access``); fees and vouchers are
changed by the authority's administrators only, caseworkers read them.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import selectors
from .forms import FeeForm, WaiverForm, offered_services
from .models import Payment
from .providers import providers
from .services import fee_save, waiver_save

CHANNEL = "web"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # guaranteed by staff_page
    return request.user


@require_safe
@staff_page()
def payment_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    status = request.GET.get("status", "")
    provider = request.GET.get("zahlungsweg", "")
    payments = selectors.payments_for_staff(
        user=_user(request),
        authority=authority,
        status=status if status in Payment.Status.values else "",
        provider=provider[:40],
    )
    page = Paginator(payments, 50).get_page(request.GET.get("seite"))
    return render(
        request,
        "payments/staff/payment_list.html",
        backoffice_context(
            request,
            authority,
            page=page,
            statuses=Payment.Status.choices,
            providers=[(p.key, p.label) for p in providers()],
            status=status,
            provider=provider,
        ),
    )


@require_safe
@staff_page()
def payment_detail(request: HttpRequest, authority: Authority, payment_id: uuid.UUID) -> HttpResponse:
    payment = access.get_for_user(
        Payment.objects.filter(authority=authority).select_related("authority", "case", "fee", "waiver"),
        request.user,
        channel=CHANNEL,
        pk=payment_id,
    )
    return render(
        request,
        "payments/staff/payment_detail.html",
        backoffice_context(
            request,
            authority,
            payment=payment,
            events=payment.events.select_related("actor"),
            notifications=payment.notifications.order_by("-received_at")[:50],
        ),
    )


@require_http_methods(["GET", "POST"])
@staff_page()
def fee_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    user = _user(request)
    is_admin = access.can_access(user, authority, administer=True)
    services = offered_services(authority.pk)
    fee_form = FeeForm(services=services, prefix="fee")
    waiver_form = WaiverForm(services=services, prefix="waiver")
    status = 200
    if request.method == "POST":
        if not is_admin:
            return render(
                request,
                "portal/error.html",
                {"status": 403, "message": _("Nur für Administration.")},
                status=403,
            )
        if "fee" in request.POST:
            fee_form = FeeForm(request.POST, services=services, prefix="fee")
            if fee_form.is_valid():
                try:
                    fee_save(
                        fee=fee_form.save(commit=False), authority=authority, actor=user, channel=CHANNEL
                    )
                except Problem as problem:
                    fee_form.add_error("key", problem.localized())
                else:
                    messages.success(request, _("Die Gebühr wurde gespeichert."))
                    return redirect("backoffice:payment_fees", ags=authority.ags)
        else:
            waiver_form = WaiverForm(request.POST, services=services, prefix="waiver")
            if waiver_form.is_valid():
                try:
                    waiver_save(
                        waiver=waiver_form.save(commit=False),
                        authority=authority,
                        actor=user,
                        channel=CHANNEL,
                    )
                except Problem as problem:
                    waiver_form.add_error("code", problem.localized())
                else:
                    messages.success(request, _("Der Gutschein wurde angelegt."))
                    return redirect("backoffice:payment_fees", ags=authority.ags)
        status = 422
    return render(
        request,
        "payments/staff/fee_list.html",
        backoffice_context(
            request,
            authority,
            fees=selectors.fees_for_staff(user=user, authority=authority),
            waivers=selectors.waivers_for_staff(user=user, authority=authority),
            fee_form=fee_form if is_admin else None,
            waiver_form=waiver_form if is_admin else None,
        ),
        status=status,
    )
