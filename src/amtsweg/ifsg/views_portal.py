"""The citizen's pages of the instruction under § 43 IfSG: start, language, material, declaration,
quiz, fee, submission, certificate — one step per page, server-rendered, working without JavaScript.

Thin views over ``ifsg.selectors`` and ``ifsg.services``. Every page of an instruction finds it among
the caller's own (404 for anyone else's), needs a login at level "substantiell" (a weaker one is sent
to the step-up page) and shows the step ``instruction_progress`` says is next: any other step's
address redirects there. The pages render in the UI locale of the chosen language, right to left
for Arabic; material and quiz texts come from the database in that language.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.forms import RadioSelect
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import User
from amtsweg.identity.views import citizen_user, step_up_url
from amtsweg.payments.selectors import review_fee
from amtsweg.payments.services import VoucherInvalid
from amtsweg.tenancy.access import can_access

from . import languages, quiz, selectors, services
from .forms_portal import (
    DeclarationForm,
    LanguageForm,
    MaterialConfirmForm,
    QuizForm,
    VoucherForm,
    quiz_field_name,
)
from .markdown import render_markdown
from .models import Instruction, Material, Programme

CHANNEL = "web"
NEEDED = TrustLevel.SUBSTANTIAL
VOUCHER_LIMIT = 10  # attempts per person and hour, shared with the payment page's voucher field
VOUCHER_WINDOW = 3600

# The steps as the person sees them ("Schritt 3 von 7"); login is a step of its own. Marked for the
# catalogue here, translated when the page renders (in the language of the instruction).
STEPS: tuple[tuple[str, str], ...] = (
    ("language", gettext_noop("Sprache")),
    ("login", gettext_noop("Anmeldung")),
    ("material", gettext_noop("Belehrung")),
    ("declaration", gettext_noop("Erklärung")),
    ("quiz", gettext_noop("Verständnisfragen")),
    ("payment", gettext_noop("Gebühr")),
    ("submit", gettext_noop("Absenden")),
)
# Which page shows a step of ``selectors.Progress``.
PAGE_OF_STEP = {
    "material": "portal:ifsg_material",
    "declaration": "portal:ifsg_declaration",
    "quiz": "portal:ifsg_quiz",
    "blocked": "portal:ifsg_quiz",
    "payment": "portal:ifsg_fee",
    "submit": "portal:ifsg_submit",
    "done": "portal:ifsg_done",
}
FILE_KINDS = ("video", "captions", "leaflet")


@dataclass(frozen=True)
class Flow:
    """What every page of one instruction works with."""

    user: User
    instruction: Instruction
    progress: selectors.Progress
    language: languages.Language

    @property
    def content_lang(self) -> str:
        # Leichte Sprache is German: screen readers must read it as German (BCP 47 private use is not).
        return "de" if self.language.code == "de-x-ls" else self.language.code


def _step_url(instruction: Instruction, step: str) -> str:
    return reverse(PAGE_OF_STEP[step], kwargs={"pk": instruction.pk})


def _step_indicator(current: str) -> dict[str, Any]:
    keys = [key for key, _label in STEPS]
    number = keys.index(current) + 1
    return {
        "steps": [
            {"key": key, "label": _(label), "done": index < number - 1, "current": key == current}
            for index, (key, label) in enumerate(STEPS)
        ],
        "number": number,
        "total": len(STEPS),
    }


def _staff_refused(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/error.html",
        {
            "status": 403,
            "message": _(
                "Diese Seiten gehören zum Bürgerkonto. Mit einem Dienstkonto arbeiten Sie im Backoffice."
            ),
        },
        status=403,
    )


def _login_gate(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the step-up page (or a refusal for staff) when the login is not enough."""
    if request.user.is_authenticated and citizen_user(request) is None:
        return _staff_refused(request)
    if not request.user.is_authenticated:
        return redirect(step_up_url(request.get_full_path(), NEEDED))
    return None


FlowView = Callable[..., HttpResponse]


def flow_page(*steps: str) -> Callable[[FlowView], Callable[..., HttpResponseBase]]:
    """A page of one instruction, shown while the instruction is at one of ``steps``."""

    def decorate(view: FlowView) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
            refused = _login_gate(request)
            if refused is not None:
                return refused
            user = citizen_user(request)
            assert user is not None
            instruction = selectors.instruction_for_applicant(user=user, pk=pk)
            # Ownership first: another person's id is a 404 whatever the login level.
            if not assurance_of(request).satisfies(NEEDED):
                return redirect(step_up_url(request.get_full_path(), NEEDED))
            progress = selectors.instruction_progress(instruction)
            if steps and progress.step not in steps:
                return redirect(_step_url(instruction, progress.step))
            language = languages.get(instruction.language)
            with translation.override(language.locale):
                response = view(request, Flow(user, instruction, progress, language), **kwargs)
            response.headers["Content-Language"] = language.locale
            return response

        return wrapper

    return decorate


def _render(
    request: HttpRequest, template: str, flow: Flow, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    instruction = flow.instruction
    return render(
        request,
        f"ifsg/portal/{template}",
        {
            "instruction": instruction,
            "programme": instruction.programme,
            "progress": flow.progress,
            "language": flow.language,
            "content_lang": flow.content_lang,
            "appointment_url": appointment_url(instruction.programme),
            **context,
        },
        status=status,
    )


def _error_links(*forms_: Any) -> list[dict[str, str]]:
    """The error summary's entries: each links to the first input of the field it names."""
    links: list[dict[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                links.extend({"message": str(error), "target": ""} for error in errors)
                continue
            bound = form[name]
            target = bound.auto_id
            if isinstance(bound.field.widget, RadioSelect):
                target = f"{bound.auto_id}_0"
            links.extend({"message": str(error), "target": target} for error in errors)
    return links


def appointment_url(programme: Programme) -> str | None:
    """The booking page for an in-person instruction at the programme's office, if it books online."""
    office = programme.appointment_office
    if office is None:
        return None
    from amtsweg.appointments.models import AppointmentOffice, OfficeService

    booking = AppointmentOffice.objects.filter(office=office, enabled=True).first()
    if booking is None:
        return None
    query: list[tuple[str, str]] = [("office", str(booking.pk))]
    if OfficeService.objects.filter(
        office=booking, service_id=programme.service_id, bookable_online=True
    ).exists():
        query += [("s", f"{programme.service.leika_key}:1"), ("mode", "in_person")]
        return reverse("portal:appointments_slots") + "?" + urlencode(query)
    return reverse("portal:appointments_start") + "?" + urlencode(query)


# --- before an instruction exists ------------------------------------------------------------------


def _programme_from(request: HttpRequest, programmes: list[Programme]) -> Programme | None:
    raw = request.POST.get("programm") or request.GET.get("programm") or ""
    if raw.isdigit():
        return next((p for p in programmes if p.pk == int(raw)), None)
    return programmes[0] if len(programmes) == 1 else None


def _open_instructions(request: HttpRequest) -> list[Instruction]:
    user = citizen_user(request)
    if user is None:
        return []
    return [i for i in selectors.instructions_for_applicant(user=user) if not selectors.is_submitted(i)]


@require_safe
def ifsg_start(request: HttpRequest) -> HttpResponse:
    """``/infektionsschutz/``: what the instruction is, who needs it, languages, fee, in-person option."""
    offers = []
    for programme in selectors.programmes_enabled():
        fee = _programme_fee(programme)
        offers.append(
            {
                "programme": programme,
                "languages": selectors.languages_available(programme),
                "fee": fee,
                "appointment_url": appointment_url(programme),
            }
        )
    return render(
        request,
        "ifsg/portal/start.html",
        {
            "offers": offers,
            "open_instructions": _open_instructions(request),
            "breadcrumbs": [
                (_("Startseite"), reverse("portal:home")),
                (_("Infektionsschutzbelehrung"), None),
            ],
        },
    )


def _programme_fee(programme: Programme) -> int | None:
    from amtsweg.payments.fees import fee_for

    fee = fee_for(programme.service_id, programme.authority_id)
    return fee.amount_cents if fee is not None and fee.amount_cents else None


@require_http_methods(["GET", "POST"])
def ifsg_language(request: HttpRequest) -> HttpResponse:
    """``/infektionsschutz/sprache/``: choose the language, then (after a login at level
    "substantiell") the instruction starts — or the open one continues in the chosen language."""
    if request.user.is_authenticated and citizen_user(request) is None:
        return _staff_refused(request)
    programmes = list(selectors.programmes_enabled())
    programme = _programme_from(request, programmes)
    if programme is None:
        if not programmes:
            raise Http404
        return redirect("portal:ifsg_start")
    offered = selectors.languages_available(programme)
    if not offered:
        raise Http404
    initial = {"sprache": request.GET.get("sprache", "")}
    form = LanguageForm(request.POST if request.method == "POST" else None, offered=offered, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            code = form.cleaned_data["sprache"]
            user = citizen_user(request)
            if user is None or not assurance_of(request).satisfies(NEEDED):
                back = (
                    reverse("portal:ifsg_language")
                    + "?"
                    + urlencode({"programm": programme.pk, "sprache": code})
                )
                return redirect(step_up_url(back, NEEDED))
            try:
                instruction = services.instruction_start(
                    programme=programme, applicant=user, language=code, channel=CHANNEL
                )
            except Problem as problem:
                form.add_error(None, problem.localized())
                status = 422
            else:
                return redirect("portal:ifsg_instruction", pk=instruction.pk)
        else:
            status = 422
    user = citizen_user(request)
    return render(
        request,
        "ifsg/portal/language.html",
        {
            "form": form,
            "programme": programme,
            "offered": offered,
            "error_links": _error_links(form),
            "needs_login": user is None or not assurance_of(request).satisfies(NEEDED),
            "open_instruction": selectors.instruction_open(programme=programme, user=user) if user else None,
            **_step_indicator("language"),
            "breadcrumbs": [
                (_("Startseite"), reverse("portal:home")),
                (_("Infektionsschutzbelehrung"), reverse("portal:ifsg_start")),
                (_("Sprache"), None),
            ],
        },
        status=status,
    )


# --- the steps of one instruction ------------------------------------------------------------------


@require_safe
@flow_page()
def ifsg_instruction(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``/infektionsschutz/<pk>/``: continue where the person left off."""
    return redirect(_step_url(flow.instruction, flow.progress.step))


def _failure(flow: Flow) -> dict[str, Any] | None:
    """What the person learns about a failed last attempt: score, the numbers of the wrong questions."""
    attempt = flow.progress.last_attempt
    if attempt is None or attempt.passed is not False:
        return None
    shown = {item.position: item for item in selectors.attempt_items(attempt, flow.language.code)}
    answers = {int(key): int(value) for key, value in attempt.answers.items()}
    correct_by_id = {item.question.pk: item.question.correct for item in shown.values()}
    wrong = quiz.wrong_positions(attempt.items, answers, correct_by_id)
    return {
        "attempt": attempt,
        "correct": attempt.correct_count or 0,
        "total": len(attempt.items),
        "wrong": [
            {"number": position + 1, "text": shown[position].text} for position in wrong if position in shown
        ],
    }


@require_http_methods(["GET", "POST"])
@flow_page("material")
def ifsg_material(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``…/material/``: text, video with captions, transcript, leaflet; "I have read/watched it"."""
    material = flow.instruction.material
    form = MaterialConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.instruction_material_confirm(instruction=flow.instruction, actor=flow.user)
        return redirect("portal:ifsg_instruction", pk=flow.instruction.pk)
    return _render(
        request,
        "material.html",
        flow,
        {
            "material": material,
            "text_html": render_markdown(material.text),
            "form": form,
            "error_links": _error_links(form),
            "failure": _failure(flow),
            "file_urls": {
                kind: reverse("portal:ifsg_file", kwargs={"material_pk": material.pk, "kind": kind})
                for kind in FILE_KINDS
                if getattr(material, kind)
            },
            **_step_indicator("material"),
        },
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@flow_page("declaration")
def ifsg_declaration(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``…/erklaerung/``: the declaration in the chosen language and the personal data."""
    form = DeclarationForm(
        request.POST if request.method == "POST" else None, initial=selectors.declaration_prefill(flow.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.instruction_declare(
                instruction=flow.instruction,
                actor=flow.user,
                familienname=form.cleaned_data["familienname"],
                vornamen=form.cleaned_data["vornamen"],
                geburtsdatum=form.cleaned_data["geburtsdatum"],
                declared=form.cleaned_data["erklaerung"],
            )
        except Problem as problem:
            field_errors = problem.extra.get("errors")
            if isinstance(field_errors, dict) and set(field_errors) <= set(form.fields):
                for name, message in field_errors.items():
                    form.add_error(name, str(message))
            else:
                form.add_error(None, problem.localized())
        else:
            return redirect("portal:ifsg_instruction", pk=flow.instruction.pk)
    return _render(
        request,
        "declaration.html",
        flow,
        {"form": form, "error_links": _error_links(form), **_step_indicator("declaration")},
        status=422 if form.is_bound else 200,
    )


def _open_attempt(instruction: Instruction) -> Any:
    return selectors.attempts_of(instruction).filter(submitted_at__isnull=True).last()


def _quiz_questions(flow: Flow, attempt: Any) -> list[tuple[int, str, list[str]]]:
    return [
        (item.question.pk, item.text, item.options)
        for item in selectors.attempt_items(attempt, flow.language.code)
    ]


@require_http_methods(["GET", "POST"])
@flow_page("quiz", "blocked", "material")
def ifsg_quiz(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``…/quiz/``: the questions of the open attempt (started with a button), submitted all at once.

    After a failed attempt the page shows the result (``?ergebnis``): the score, which questions were
    wrong (never the right answers), the attempts left or the pause, and the in-person alternative.
    """
    step = flow.progress.step
    failure = _failure(flow)
    showing_result = failure is not None and ("ergebnis" in request.GET or step == "blocked")
    if step == "material" and not showing_result:
        return redirect(_step_url(flow.instruction, "material"))
    if showing_result or step == "blocked":
        return _render(
            request,
            "result.html",
            flow,
            {"failure": failure, "step_next": step, **_step_indicator("quiz")},
        )
    attempt = _open_attempt(flow.instruction)
    if request.method == "POST" and "beginnen" in request.POST:
        try:
            services.quiz_start(instruction=flow.instruction, actor=flow.user)
        except Problem as problem:
            return _render(
                request,
                "quiz_intro.html",
                flow,
                {"problem": problem.localized(), **_step_indicator("quiz")},
                status=409,
            )
        return redirect("portal:ifsg_quiz", pk=flow.instruction.pk)
    if attempt is None:
        return _render(request, "quiz_intro.html", flow, {"failure": failure, **_step_indicator("quiz")})
    questions = _quiz_questions(flow, attempt)
    form = QuizForm(request.POST if request.method == "POST" else None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.quiz_submit(attempt=attempt, actor=flow.user, answers=form.cleaned_answers())
        except Problem as problem:
            form.add_error(None, problem.localized())
        else:
            if done.passed:
                return redirect("portal:ifsg_instruction", pk=flow.instruction.pk)
            return redirect(reverse("portal:ifsg_quiz", kwargs={"pk": flow.instruction.pk}) + "?ergebnis")
    fields = [
        {"number": number, "field": form[quiz_field_name(question_id)]}
        for number, (question_id, _text, _options) in enumerate(questions, start=1)
    ]
    return _render(
        request,
        "quiz.html",
        flow,
        {
            "form": form,
            "attempt": attempt,
            "fields": fields,
            "error_links": _error_links(form),
            **_step_indicator("quiz"),
        },
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@flow_page("payment")
def ifsg_fee(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``…/gebuehr/``: the fee; pay through the payment pages, or redeem a voucher code."""
    voucher = VoucherForm(request.POST if request.method == "POST" and "gutschein" in request.POST else None)
    status = 200
    if request.method == "POST" and "bezahlen" in request.POST:
        try:
            payment = services.instruction_pay(instruction=flow.instruction, actor=flow.user)
        except Problem as problem:
            voucher.add_error(None, problem.localized())
            status = 409
        else:
            if payment is None:
                return redirect("portal:ifsg_instruction", pk=flow.instruction.pk)
            return redirect("portal:payment_pay", payment_id=payment.pk)
    elif voucher.is_bound:
        status = 422
        if voucher.is_valid():
            try:
                if not ratelimit.hit(
                    "payment-voucher", str(flow.user.pk), limit=VOUCHER_LIMIT, window=VOUCHER_WINDOW
                ):
                    raise VoucherInvalid(
                        "Zu viele Versuche. Bitte versuchen Sie es später noch einmal.",
                        "Too many attempts. Please try again later.",
                        status_code=429,
                    )
                services.instruction_waive(
                    instruction=flow.instruction, actor=flow.user, code=voucher.cleaned_data["code"]
                )
            except Problem as problem:
                voucher.add_error("code", problem.localized())
                status = problem.status_code if problem.status_code == 429 else 422
            else:
                return redirect("portal:ifsg_instruction", pk=flow.instruction.pk)
    draft = flow.instruction.draft
    return _render(
        request,
        "fee.html",
        flow,
        {
            "fee": review_fee(draft) if draft is not None else None,
            "payment": flow.progress.payment,
            "voucher": voucher,
            "error_links": _error_links(voucher),
            **_step_indicator("payment"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@flow_page("submit")
def ifsg_submit(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``…/absenden/``: what will be submitted; the binding submission."""
    problem_text = ""
    if request.method == "POST":
        try:
            services.instruction_submit(
                instruction=flow.instruction,
                actor=flow.user,
                assurance=assurance_of(request),
                channel=CHANNEL,
            )
        except Problem as problem:
            problem_text = problem.localized()
        else:
            return redirect("portal:ifsg_done", pk=flow.instruction.pk)
    draft = flow.instruction.draft
    return _render(
        request,
        "submit.html",
        flow,
        {
            "data": draft.data if draft is not None else {},
            "fee": review_fee(draft) if draft is not None else None,
            "problem": problem_text,
            **_step_indicator("submit"),
        },
        status=409 if problem_text else 200,
    )


@require_safe
@flow_page("done")
def ifsg_done(request: HttpRequest, flow: Flow) -> HttpResponse:
    """``…/fertig/``: submitted; the certificate (download, verification code, work must begin by)."""
    certificate = flow.progress.certificate
    notice = certificate.notice if certificate is not None else None
    return _render(
        request,
        "done.html",
        flow,
        {
            "certificate": certificate,
            "notice": notice,
            "document_url": (
                reverse("portal:document_download", kwargs={"pk": notice.document_id})
                if notice is not None and notice.document_id
                else ""
            ),
            "case": flow.instruction.case,
        },
    )


# --- material files --------------------------------------------------------------------------------


CONTENT_TYPES = {"captions": "text/vtt; charset=utf-8", "leaflet": "application/pdf"}
VIDEO_TYPES = {".webm": "video/webm", ".mp4": "video/mp4"}


@require_safe
def ifsg_file(request: HttpRequest, material_pk: int, kind: str) -> HttpResponseBase:
    """``/infektionsschutz/material/<pk>/<kind>/``: video, captions or leaflet of published material
    (public: it is what every person is instructed with); drafts and retired versions only for the
    health office's staff."""
    if kind not in FILE_KINDS:
        raise Http404
    material = get_object_or_404(Material.objects.select_related("programme"), pk=material_pk)
    published = material.status == Material.Status.PUBLISHED
    if not published and not can_access(request.user, material.programme.authority_id):
        raise Http404
    stored = getattr(material, kind)
    if not stored:
        raise Http404
    if kind == "video":
        suffix = "." + stored.name.rsplit(".", 1)[-1].lower() if "." in stored.name else ""
        content_type = (
            VIDEO_TYPES.get(suffix) or mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
        )
    else:
        content_type = CONTENT_TYPES[kind]
    filename = f"belehrung-{material.language}-v{material.version}-{kind}{_suffix(kind, stored.name)}"
    response = FileResponse(
        stored.open("rb"), content_type=content_type, as_attachment=kind == "leaflet", filename=filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Published versions never change (a change is a new version with a new id).
    response.headers["Cache-Control"] = "public, max-age=86400" if published else "private, no-store"
    return response


def _suffix(kind: str, name: str) -> str:
    if kind == "captions":
        return ".vtt"
    if kind == "leaflet":
        return ".pdf"
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
