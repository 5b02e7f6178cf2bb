"""Writes of the notices module: issue and revoke notices; render notices and receipts in the worker.

``notice_issue`` and ``notice_revoke`` are one transaction each and queue their side effects in the
outbox. ``notice_render`` and ``receipt_render`` run in the worker: they render outside any
transaction (a PDF takes a few hundred milliseconds; no lock is held meanwhile), then store the
document in a short transaction that checks again whether another attempt was faster, so running
them twice leaves one document.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from amtsweg.cases.models import Case, CaseEvent, Document, PostboxMessage
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.outbox.conf import public_url
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority, Office

from . import sandbox, selectors
from .models import Notice
from .rendering import qr_svg, render_pdf
from .verification import format_code, new_code

logger = logging.getLogger("amtsweg.notices")

DECISIONS = ("granted", "partially", "rejected")
MAX_FEE_LINES = 200
MAX_FEE_AMOUNT = Decimal("99999999.99")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class NoticeProblem(Problem):
    status_code = 422
    code = "notice-invalid"


# --- issuing -------------------------------------------------------------------------------------


def notice_issue(
    *,
    case: Case,
    decision: str,
    actor: User | None,
    body: str | None = None,
    fee_lines: list[dict[str, Any]] | None = None,
    channel: str = "web",
    context: dict[str, Any] | None = None,
    holder: dict[str, Any] | None = None,
) -> Notice:
    """Issue the notice (Bescheid) on ``case`` for ``decision``; the worker renders it as PDF/A.

    The text comes from the service's notice template for the decision — the authority's own
    variant, else the alliance's — rendered in the sandbox, unless ``body`` gives it; the fee lines
    likewise. ``context`` adds plain values the template may use beside the standard ones (a
    specialised service's facts, e.g. a deadline it computed). The notice gets its verification code
    at once; its PDF, the postbox message and the e-mail follow from the outbox (``notice.render``).

    ``actor`` ``None`` is an automated notice (§ 35a VwVfG): only ``cases.services.case_decide_automated``
    passes it, for services whose process decides without discretion; it prints no signature.
    ``holder`` is what the public verification may show about the person (certificates only).
    """
    if actor is not None and not access.can_access(actor, case.authority_id):
        raise Problem(
            "Sie dürfen für diese Behörde keine Bescheide erlassen.",
            "You may not issue notices for this authority.",
            status_code=403,
            code="permission-denied",
        )
    if decision not in DECISIONS:
        raise NoticeProblem("Unbekannte Entscheidung.", "Unknown decision.", code="unknown-decision")
    template = selectors.notice_template_for(
        service_id=case.service_id, authority_id=case.authority_id, decision=decision
    )
    if template is None:
        raise NoticeProblem(
            "Für diese Leistung und Entscheidung gibt es keine Bescheidvorlage. "
            "Bitte legen Sie eine in der Konfiguration an.",
            "There is no notice template for this service and decision. Please create one.",
            status_code=409,
            code="notice-template-missing",
        )
    lines = fee_lines_clean(template.fee_lines if fee_lines is None else fee_lines)
    total = sum((line["amount"] for line in lines), Decimal("0.00"))
    now = timezone.now()
    if body is None:
        with translation.override("de"):
            try:
                text = sandbox.render_text(
                    template.body,
                    {
                        **sandbox.freeze(context or {}),
                        **sandbox.notice_context(case=case, fees=lines, today=timezone.localdate(now)),
                    },
                )
            except sandbox.TemplateError as exc:
                raise NoticeProblem(
                    f"Die Bescheidvorlage „{template.subject}“ ist fehlerhaft: {exc}",
                    f"The notice template '{template.subject}' is broken: {exc}",
                    code="notice-template-broken",
                ) from exc
    else:
        text = body.strip()
    if not text:
        raise NoticeProblem(
            "Der Bescheid braucht einen Text.", "The notice needs a text.", code="notice-empty"
        )
    if len(text) > sandbox.MAX_BODY_CHARS:
        raise NoticeProblem(
            f"Der Text ist zu lang (höchstens {sandbox.MAX_BODY_CHARS} Zeichen).",
            f"The text is too long (at most {sandbox.MAX_BODY_CHARS} characters).",
            code="notice-too-long",
        )
    with transaction.atomic():
        notice = Notice.objects.create(
            case=case,
            authority_id=case.authority_id,
            template=template,
            code=_unused_code(),
            subject=template.subject,
            decision=decision,
            body=text,
            legal_remedy=template.legal_remedy,
            fee_lines=[{**line, "amount": f"{line['amount']:.2f}"} for line in lines],
            fee_total=total,
            issued_by=actor,
            issued_at=now,
            holder=holder or {},
            status=Notice.Status.RENDERING,
        )
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.NOTICE,
            status=case.status,
            detail={"notice": notice.pk, "decision": decision},
            visible_to_applicant=True,
        )
        outbox_enqueue(
            kind="notice.render",
            payload={"notice": notice.pk},
            dedupe_key=f"notice.render:{notice.pk}",
            authority_id=case.authority_id,
        )
        access.audit(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=notice,
            authority_id=case.authority_id,
            channel=channel,
            changes={"decision": decision, "template": template.pk, "fee_total": f"{total:.2f}"},
        )
    return notice


def _unused_code() -> str:
    # 40 random bits: a collision is rare enough that trying again is simpler than anything cleverer.
    for _attempt in range(5):
        code = new_code()
        if not Notice.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find an unused verification code")


def fee_lines_clean(lines: Any) -> list[dict[str, Any]]:
    """Fee lines as ``{"label", "legal_basis", "amount": Decimal}``; raises :class:`NoticeProblem` if bad."""
    if not isinstance(lines, list):
        raise NoticeProblem(
            "Die Gebührenpositionen müssen eine Liste sein.",
            "Fee lines must be a list.",
            code="fee-lines-invalid",
        )
    if len(lines) > MAX_FEE_LINES:
        raise NoticeProblem(
            f"Höchstens {MAX_FEE_LINES} Gebührenpositionen.",
            f"At most {MAX_FEE_LINES} fee lines.",
            code="fee-lines-invalid",
        )
    cleaned: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        label = str(line.get("label", "")).strip() if isinstance(line, dict) else ""
        raw = line.get("amount") if isinstance(line, dict) else None
        try:
            amount = Decimal(str(raw).replace(",", ".").strip()) if raw is not None else None
        except InvalidOperation:
            amount = None
        if (
            not label
            or len(label) > 300
            or amount is None
            or not amount.is_finite()
            or amount < 0
            or amount > MAX_FEE_AMOUNT
            or amount != amount.quantize(Decimal("0.01"))
        ):
            raise NoticeProblem(
                f"Gebührenposition {number}: Bezeichnung und Betrag (z. B. „12.50“, nicht negativ) fehlen.",
                f"Fee line {number}: a label and an amount (e.g. '12.50', not negative) are required.",
                code="fee-lines-invalid",
                extra={"line": number},
            )
        cleaned.append(
            {
                "label": label,
                "legal_basis": str(line.get("legal_basis", "")).strip()[:300],
                "amount": amount.quantize(Decimal("0.01")),
            }
        )
    return cleaned


# --- revoking ------------------------------------------------------------------------------------


def notice_revoke(*, notice: Notice, actor: User, reason: str, channel: str = "web") -> Notice:
    """Revoke (aufheben) ``notice``: the verification page shows it as revoked from now on.

    The applicant is told in their postbox (with the reason) and by e-mail; the case history shows it.
    """
    if not access.can_access(actor, notice.authority_id):
        raise Problem(
            "Sie dürfen Bescheide dieser Behörde nicht aufheben.",
            "You may not revoke notices of this authority.",
            status_code=403,
            code="permission-denied",
        )
    reason = " ".join(reason.split())
    if not reason:
        raise NoticeProblem(
            "Bitte geben Sie den Grund der Aufhebung an.",
            "Please give the reason for the revocation.",
            code="reason-required",
        )
    if len(reason) > 300:
        raise NoticeProblem(
            "Der Grund ist zu lang (höchstens 300 Zeichen).",
            "The reason is too long (at most 300 characters).",
            code="reason-too-long",
        )
    from amtsweg.cases.services import postbox_deliver  # cases imports notices at decision time

    with transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("case").get(pk=notice.pk)
        if locked.status == Notice.Status.REVOKED:
            raise NoticeProblem(
                "Dieser Bescheid ist bereits aufgehoben.",
                "This notice has already been revoked.",
                status_code=409,
                code="notice-already-revoked",
            )
        before = locked.status
        locked.status = Notice.Status.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason
        locked.save(update_fields=["status", "revoked_at", "revoked_reason"])
        case = locked.case
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.NOTICE,
            status=case.status,
            detail={"notice": locked.pk, "revoked": True},
            visible_to_applicant=True,
        )
        with translation.override("de"):
            postbox_deliver(
                recipient_id=case.applicant_id,
                case=case,
                kind=PostboxMessage.Kind.MESSAGE,
                subject=_("Aufhebung: %(subject)s") % {"subject": locked.subject},
                body=_(
                    "Ihr Bescheid „%(subject)s“ vom %(date)s (Aktenzeichen %(reference)s) "
                    "wurde aufgehoben.\n\nGrund: %(reason)s"
                )
                % {
                    "subject": locked.subject,
                    "date": timezone.localtime(locked.issued_at).strftime("%d.%m.%Y"),
                    "reference": case.reference,
                    "reason": reason,
                },
                authority_id=locked.authority_id,
            )
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            authority_id=locked.authority_id,
            channel=channel,
            changes={"status": [before, Notice.Status.REVOKED], "revoked_reason": reason},
        )
    notice.refresh_from_db()
    return notice


# --- rendering (worker) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """The letterhead: who the document is from."""

    name: str
    office_name: str
    address_lines: tuple[str, ...]
    phone: str
    email: str
    website: str
    colour: str


def sender_for(case: Case) -> Sender:
    """The letterhead of ``case``'s authority, with the office that offers the case's service."""
    authority: Authority = case.authority
    office = (
        Office.objects.filter(offerings__authority=authority, offerings__service_id=case.service_id).first()
        or Office.objects.filter(authority=authority).order_by("name", "pk").first()
    )
    address = (office.street, f"{office.postcode} {office.city}") if office else ()
    return Sender(
        name=authority.official_name or authority.name,
        office_name=office.name if office else "",
        address_lines=address,
        phone=authority.phone or (office.phone if office else ""),
        email=authority.email or (office.email if office else ""),
        website=authority.website,
        colour=authority.primary_colour if _COLOUR.match(authority.primary_colour) else "#004b87",
    )


# The PDF layout of each NoticeTemplate.Layout; both get the same context.
PDF_TEMPLATES = {"letter": "notices/pdf/notice.html", "certificate": "notices/pdf/certificate.html"}

# A specialised service adds its own facts to the PDF context of its notices (e.g. the certificate
# under § 43 IfSG: the holder and the deadline box); each provider returns {} for other notices.
PdfContextProvider = Callable[[Notice], dict[str, Any]]
_PDF_CONTEXT_PROVIDERS: list[PdfContextProvider] = []


def pdf_context_provider(provider: PdfContextProvider) -> PdfContextProvider:
    """Register ``provider`` (a decorator); registering the same function twice keeps one."""
    if provider not in _PDF_CONTEXT_PROVIDERS:
        _PDF_CONTEXT_PROVIDERS.append(provider)
    return provider


def verification_url(code: str) -> str:
    return public_url() + reverse("portal:verify", kwargs={"code": format_code(code)})


def _page_counter(lang: str) -> SafeString:
    with translation.override(lang):
        before, between = _("Seite"), pgettext("page counter: page 1 of 2", "von")
    return mark_safe(f'"{_css_string(before)} " counter(page) " {_css_string(between)} " counter(pages)')  # noqa: S308


def _css_string(text: str) -> str:
    # Inside a CSS string only the quote, the backslash and line breaks need escaping.
    return "".join(f"\\{ord(char):x} " if char in '"\\\n\r<>' else char for char in text)


def notice_pdf_context(notice: Notice, *, lang: str = "de") -> dict[str, Any]:
    from amtsweg.payments.invoice import payment_block_context  # payments depend on cases and notices

    case = notice.case
    url = verification_url(notice.code)
    with translation.override(lang):
        qr_title = _("QR-Code mit der Adresse zur Prüfung der Echtheit dieses Bescheids")
    return {
        "sender": sender_for(case),
        "page_counter": _page_counter(lang),
        "issued_on": timezone.localdate(notice.issued_at),
        "reference": case.reference,
        "recipient_name": case.applicant_name or case.applicant.get_full_name() or case.applicant.email,
        "subject": notice.subject,
        "body": notice.body,
        "fee_lines": [{**line, "amount": Decimal(str(line["amount"]))} for line in notice.fee_lines],
        "fee_total": notice.fee_total,
        # Bank details, Kassenzeichen and GiroCode of a fee requested from the applicant, if any.
        "payment_block": payment_block_context(case),
        "legal_remedy": notice.legal_remedy,
        # None: an automated notice, which carries no signature.
        "signer_name": (notice.issued_by.get_full_name() or notice.issued_by.email)
        if notice.issued_by
        else "",
        "code": format_code(notice.code),
        "verify_url": url,
        "verify_display": url.split("://", 1)[-1].rsplit("/", 1)[0],
        "qr_svg": qr_svg(url, title=qr_title),
    }


def notice_render(*, notice_id: int) -> Notice | None:
    """Render notice ``notice_id`` as PDF/A, store it and deliver it to the applicant's postbox.

    Idempotent: a notice that has its document already is left alone, and so is one revoked before
    it was rendered. Returns ``None`` when the notice does not exist.
    """
    from amtsweg.cases.services import postbox_deliver  # cases imports notices at decision time

    notice = (
        Notice.objects.select_related(
            "case__authority", "case__service", "case__applicant", "authority", "issued_by", "template"
        )
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        return None
    if notice.document_id is not None or notice.status == Notice.Status.REVOKED:
        return notice
    case = notice.case
    context = notice_pdf_context(notice)
    for provider in _PDF_CONTEXT_PROVIDERS:
        context |= provider(notice)
    # A provider may name its own template for its notices; it extends the layout's template and
    # fills its ``attachment`` block (e.g. the extract of a Baulasten Auskunft).
    template_name = context.pop("pdf_template", None) or PDF_TEMPLATES.get(
        notice.template.layout if notice.template else "", PDF_TEMPLATES["letter"]
    )
    pdf = render_pdf(
        template_name=template_name,
        context=context,
        title=f"{notice.subject} – {case.reference}",
        created=notice.issued_at,
    )
    document = _stored_pdf(
        pdf, kind=Document.Kind.NOTICE, case=case, filename=f"Bescheid-{_safe(case.reference)}.pdf"
    )
    try:
        with transaction.atomic():
            locked = Notice.objects.select_for_update().get(pk=notice.pk)
            if locked.document_id is not None or locked.status == Notice.Status.REVOKED:
                document.file.delete(save=False)  # another attempt won, or it was revoked meanwhile
                return locked
            document.save()
            locked.document = document
            locked.status = Notice.Status.ISSUED
            locked.save(update_fields=["document", "status"])
            with translation.override("de"):
                postbox_deliver(
                    recipient_id=case.applicant_id,
                    case=case,
                    kind=PostboxMessage.Kind.NOTICE,
                    subject=locked.subject,
                    body=_(
                        "Zu Ihrem Antrag „%(title)s“ (Aktenzeichen %(reference)s) ist ein Bescheid ergangen. "
                        "Sie finden ihn als PDF-Dokument in dieser Nachricht. Seine Echtheit können Sie "
                        "mit dem Prüfcode %(code)s unter %(url)s prüfen."
                    )
                    % {
                        "title": case.title,
                        "reference": case.reference,
                        "code": format_code(locked.code),
                        "url": verification_url(locked.code),
                    },
                    authority_id=locked.authority_id,
                    document=document,
                )
    except BaseException:
        document.file.delete(save=False)
        raise
    logger.info("notice %s rendered (%d bytes)", notice.pk, len(pdf))
    return locked


def receipt_pdf_context(case: Case) -> dict[str, Any]:
    from amtsweg.cases.selectors_citizen import submission_summary

    submission = getattr(case, "submission", None)
    return {
        "sender": sender_for(case),
        "page_counter": _page_counter("de"),
        "reference": case.reference,
        "service_name": case.service.name,
        "case_title": case.title,
        "applicant_name": case.applicant_name or case.applicant.get_full_name() or case.applicant.email,
        "submitted_at": timezone.localtime(case.submitted_at),
        "issued_on": timezone.localdate(case.submitted_at),
        "summary": submission_summary(case),
        "data_sha256": submission.data_sha256 if submission is not None else "",
        "form_version": str(submission.form_version) if submission is not None else "",
    }


def receipt_render(*, case_id: int) -> Document | None:
    """Render the receipt (Eingangsbestätigung) of case ``case_id`` and store it with the case.

    Idempotent: a case that has its receipt already keeps it. The receipt goes into the applicant's
    postbox as well (attached to the case's receipt message, or in a new one), without an e-mail of
    its own: the submission already sends one (``email.receipt``). Returns ``None`` for an unknown case.
    """
    case = (
        Case.objects.select_related(
            "authority", "service", "applicant", "submission", "submission__form_version__definition"
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return None
    existing = case.documents.filter(kind=Document.Kind.RECEIPT).first()
    if existing is not None:
        return existing
    pdf = render_pdf(
        template_name="notices/pdf/receipt.html",
        context=receipt_pdf_context(case),
        title=f"Eingangsbestätigung – {case.reference}",
        created=case.submitted_at,
    )
    document = _stored_pdf(
        pdf,
        kind=Document.Kind.RECEIPT,
        case=case,
        filename=f"Eingangsbestaetigung-{_safe(case.reference)}.pdf",
    )
    try:
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=case.pk).first()  # serialise concurrent attempts
            existing = case.documents.filter(kind=Document.Kind.RECEIPT).first()
            if existing is not None:
                document.file.delete(save=False)
                return existing
            document.save()
            attached = PostboxMessage.objects.filter(
                case=case, kind=PostboxMessage.Kind.RECEIPT, document__isnull=True
            ).update(document=document)
            if not attached:
                with translation.override("de"):
                    PostboxMessage.objects.create(
                        recipient_id=case.applicant_id,
                        case=case,
                        authority_id=case.authority_id,
                        kind=PostboxMessage.Kind.RECEIPT,
                        subject=_("Eingangsbestätigung: %(service)s") % {"service": case.service.name},
                        body=_(
                            "Ihr Antrag ist eingegangen (Aktenzeichen %(reference)s). "
                            "Die Eingangsbestätigung mit Ihren Angaben liegt als PDF-Dokument bei."
                        )
                        % {"reference": case.reference},
                        document=document,
                    )
    except BaseException:
        document.file.delete(save=False)
        raise
    logger.info("receipt of case %s rendered (%d bytes)", case.pk, len(pdf))
    return document


def _stored_pdf(pdf: bytes, *, kind: str, case: Case, filename: str) -> Document:
    """An unsaved Document whose file is already in storage (saved by the caller's transaction)."""
    document = Document(
        kind=kind,
        case=case,
        filename=filename,
        content_type="application/pdf",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        scanned=True,  # made by the platform itself, never uploaded
        created_at=timezone.now(),
    )
    document.file.save(filename, ContentFile(pdf), save=False)
    return document


def _safe(text: str) -> str:
    return _UNSAFE_FILENAME.sub("-", text).strip("-") or "Dokument"
