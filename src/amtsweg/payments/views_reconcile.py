"""Pages of invoices and reconciliation.

Portal: the payer's invoice (``zahlungen/<id>/rechnung/``) with the GiroCode, also as PDF/A; only the
payer's own payments (404 for anyone else's). Back office: bank statement upload with the list of
imports (``<ags>/kontoauszuege/``), the reconciliation list (``<ags>/abgleich/``) and one entry to
clear (``<ags>/abgleich/<pk>/``), for every staff member of the authority (see ``reconcile``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.identity.views import citizen_required
from amtsweg.tenancy.models import Authority

from . import reconcile, selectors
from .camt import MAX_CAMT_BYTES
from .invoice import invoice_context
from .models import BankEntry, PaymentAccount

CHANNEL = "web"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # guaranteed by citizen_required / staff_page
    return request.user


# --- the payer's invoice -------------------------------------------------------------------------


def _invoice(request: HttpRequest, payment_id: uuid.UUID) -> dict[str, Any]:
    payment = selectors.payment_for_payer(user=_user(request), payment_id=payment_id)
    context = invoice_context(payment)
    if context is None:
        raise Http404  # no treasury account: there is no invoice to show
    return {**context, "authority": payment.authority, "settled": selectors.is_settled(payment)}


@require_safe
@citizen_required
def payment_invoice(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """``/zahlungen/<id>/rechnung/``: the transfer details with the GiroCode, and the PDF to download."""
    from .views import after_payment_url

    context = _invoice(request, payment_id)
    context["continue_url"] = after_payment_url(context["payment"])
    context["breadcrumbs"] = [
        (_("Startseite"), reverse("portal:home")),
        (_("Mein Konto"), reverse("portal:account")),
        (_("Rechnung"), None),
    ]
    response = render(request, "payments/reconcile/invoice.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@citizen_required
def payment_invoice_pdf(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """``/zahlungen/<id>/rechnung/pdf/``: the invoice as PDF/A (rendered like notices)."""
    from amtsweg.notices.rendering import render_pdf

    context = _invoice(request, payment_id)
    payment = context["payment"]
    authority: Authority = context["authority"]
    context["sender"] = _sender(authority)
    context["issued_on"] = timezone.localdate()
    pdf = render_pdf(
        template_name="payments/reconcile/invoice_pdf.html",
        context=context,
        title=f"{_('Rechnung')} {payment.kassenzeichen}",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="Rechnung-{payment.kassenzeichen}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _sender(authority: Authority) -> Any:
    """The letterhead of the invoice: the authority (and its first office's address)."""
    from amtsweg.notices.services import Sender
    from amtsweg.tenancy.models import Office

    office = Office.objects.filter(authority=authority).order_by("name", "pk").first()
    colour = authority.primary_colour
    return Sender(
        name=authority.official_name or authority.name,
        office_name="",
        address_lines=(office.street, f"{office.postcode} {office.city}") if office else (),
        phone=authority.phone,
        email=authority.email,
        website=authority.website,
        colour=colour if len(colour) == 7 and colour.startswith("#") else "#004b87",
    )


# --- bank statements -----------------------------------------------------------------------------


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Kontoauszug (CAMT.053)"),
        help_text=gettext_lazy(
            "XML-Datei des Tagesauszugs aus dem Electronic Banking (camt.053.001.02 oder .08), "
            "höchstens 20 MB."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_CAMT_BYTES:
            raise forms.ValidationError(_("Die Datei ist größer als 20 MB."))
        return upload


@require_http_methods(["GET", "POST"])
@staff_page()
def statement_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    """``<ags>/kontoauszuege/``: upload a statement; the imports so far with what they matched."""
    user = _user(request)
    form = StatementUploadForm()
    import_error = ""
    import_details: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = reconcile.bank_statement_import(
                    authority=authority, file=form.cleaned_data["file"], actor=user, channel=CHANNEL
                )
            except Problem as problem:
                import_error = problem.localized()
                import_details = list(problem.extra.get("errors") or [])
                status = problem.status_code
            else:
                messages.success(
                    request,
                    _(
                        "Auszug %(statement)s eingelesen: %(matched)d zugeordnet, %(open)d zu klären, "
                        "%(skipped)d schon bekannt."
                    )
                    % {
                        "statement": result.statement.statement_id,
                        "matched": result.matched,
                        "open": result.to_clear,
                        "skipped": result.skipped,
                    },
                )
                return redirect("backoffice:bank_statements", ags=authority.ags)
        else:
            status = 422
    statements = Paginator(reconcile.bank_statements_for_staff(user=user, authority=authority), 25).get_page(
        request.GET.get("seite")
    )
    rows = [(statement, reconcile.statement_summary(statement)) for statement in statements]
    return render(
        request,
        "payments/reconcile/statement_list.html",
        backoffice_context(
            request,
            authority,
            form=form,
            import_error=import_error,
            import_details=import_details[:50],
            page=statements,
            rows=rows,
            account=PaymentAccount.objects.filter(authority=authority).first(),
            open_count=reconcile.bank_entries_for_staff(user=user, authority=authority).count(),
        ),
        status=status,
    )


# --- the reconciliation list ---------------------------------------------------------------------


@require_safe
@staff_page()
def entry_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    """``<ags>/abgleich/``: credits that need clearing (or the cleared ones), with reason and amount."""
    state = request.GET.get("stand", "open")
    state = state if state in ("open", "resolved") else "open"
    outcome = request.GET.get("grund", "")
    outcome = outcome if outcome in reconcile.NEEDS_CLEARING else ""
    entries = reconcile.bank_entries_for_staff(
        user=_user(request), authority=authority, state=state, outcome=outcome
    )
    page = Paginator(entries, 50).get_page(request.GET.get("seite"))
    return render(
        request,
        "payments/reconcile/entry_list.html",
        backoffice_context(
            request,
            authority,
            page=page,
            state=state,
            outcome=outcome,
            outcomes=[(value, BankEntry.Outcome(value).label) for value in reconcile.NEEDS_CLEARING],
        ),
    )


class AssignForm(forms.Form):
    kassenzeichen = forms.CharField(label=gettext_lazy("Kassenzeichen der Zahlung"), max_length=40)
    note = forms.CharField(label=gettext_lazy("Vermerk (optional)"), max_length=500, required=False)


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Vermerk zur Klärung"),
        max_length=500,
        help_text=gettext_lazy("z. B. „Erstattung veranlasst am …“ oder „in der Kasse manuell gebucht“."),
    )


@require_http_methods(["GET", "POST"])
@staff_page()
def entry_detail(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    """``<ags>/abgleich/<pk>/``: one entry; assign it to an open payment or mark it resolved with a note."""
    user = _user(request)
    entry = reconcile.bank_entry_get(user=user, pk=pk, channel=CHANNEL, authority=authority)
    initial = {"kassenzeichen": entry.reference} if entry.reference else {}
    assign_form = AssignForm(prefix="assign", initial=initial)
    resolve_form = ResolveForm(prefix="resolve")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "assign":
                assign_form = AssignForm(request.POST, prefix="assign")
                if assign_form.is_valid():
                    reconcile.bank_entry_assign(
                        entry=entry,
                        kassenzeichen=assign_form.cleaned_data["kassenzeichen"],
                        note=assign_form.cleaned_data["note"],
                        actor=user,
                        channel=CHANNEL,
                    )
                    messages.success(
                        request, _("Die Buchung wurde der Zahlung zugeordnet; sie gilt als bezahlt.")
                    )
                    return redirect("backoffice:reconciliation", ags=authority.ags)
            elif action == "resolve":
                resolve_form = ResolveForm(request.POST, prefix="resolve")
                if resolve_form.is_valid():
                    reconcile.bank_entry_resolve(
                        entry=entry, note=resolve_form.cleaned_data["note"], actor=user, channel=CHANNEL
                    )
                    messages.success(request, _("Die Buchung ist als geklärt vermerkt."))
                    return redirect("backoffice:reconciliation", ags=authority.ags)
            else:
                return redirect("backoffice:reconciliation_entry", ags=authority.ags, pk=entry.pk)
        except Problem as problem:
            form = assign_form if action == "assign" else resolve_form
            form.add_error("kassenzeichen" if action == "assign" else "note", problem.localized())
        status = 422
    return render(
        request,
        "payments/reconcile/entry_detail.html",
        backoffice_context(
            request,
            authority,
            entry=entry,
            is_open=entry.outcome in reconcile.NEEDS_CLEARING and entry.resolved_at is None,
            assign_form=assign_form,
            resolve_form=resolve_form,
        ),
        status=status,
    )
