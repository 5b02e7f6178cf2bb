"""The citizen's way through an online application in the portal (``/antraege/…``).

Start at the responsible authority, fill in the steps (each saved on "Weiter"; "Zurück", "Speichern
und später fortsetzen", rows and uploads save what is valid and never drop what was typed), review,
submit, receipt. Drafts belong to the citizen's account, so they can be resumed on any device.

Views are thin: drafts are looked up through ``services.draft_get_for_applicant`` (404 for anything
that is not the applicant's own), writes go through the services, HTML comes from ``rendering``.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.cases.documents import UploadRejected, document_response
from amtsweg.cases.models import Document
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.levels import TrustLevel, describe, highest
from amtsweg.identity.models import User
from amtsweg.identity.views import step_up_url
from amtsweg.tenancy.responsibility import responsibility_resolve

from . import engine, rendering, services
from .continuation import draft_continue_url, service_start_url
from .models import Draft
from .schema import FieldType, FormField, FormSchema, Step
from .selectors import published_form_for

CHANNEL = "web"
ACTIONS = ("next", "back", "save")
_PATH = re.compile(r"[a-z][a-z0-9_]{0,62}(\.[0-9]{1,3}\.[a-z][a-z0-9_]{0,62})*")
CitizenView = Callable[..., HttpResponseBase]
Crumbs = list[tuple[str, str | None]]


def _url(name: str, *args: Any, fallback: str = "") -> str:
    """``reverse`` for pages of other modules, which may not be mounted in every installation."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def _login_url() -> str:
    return _url("portal:login", fallback="/konto/anmelden/")


def citizen_flow(view: CitizenView) -> CitizenView:
    """Guard of every page of the application flow: citizens only (staff 403, anonymous → login).

    A POST without a session is a session that expired mid-form: nothing is saved, the citizen is
    sent to the login with a clear message and comes back to the page (the draft is kept as it was
    last saved).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            next_url = request.get_full_path()
            if request.method == "POST":
                messages.warning(
                    request,
                    _(
                        "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an. Ihr Antrag ist "
                        "mit dem zuletzt gespeicherten Stand erhalten; die Eingaben der letzten Seite "
                        "wurden nicht gespeichert."
                    ),
                )
                next_url = request.path.removesuffix("einreichen/") + (
                    "pruefen/" if request.path.endswith("einreichen/") else ""
                )
            return redirect_to_login(next_url, _login_url())
        if not isinstance(user, User) or not user.is_active or user.is_staff_account:
            return render(
                request,
                "portal/error.html",
                {
                    "status": 403,
                    "message": _(
                        "Online-Anträge stellen Sie mit einem Bürgerkonto, nicht mit einem Dienstkonto."
                    ),
                },
                status=403,
            )
        return view(request, user, *args, **kwargs)

    return wrapper


def _crumbs(*trail: tuple[str, str | None]) -> Crumbs:
    """Startseite › Mein Konto › Angefangene Anträge › …"""
    crumbs: Crumbs = [(_("Startseite"), reverse("portal:home"))]
    account = _url("portal:account")
    if account:
        crumbs.append((_("Mein Konto"), account))
    crumbs.append((_("Angefangene Anträge"), reverse("portal:drafts") if trail else None))
    return [*crumbs, *trail]


def _problem_page(request: HttpRequest, problem: Problem) -> HttpResponse:
    status = problem.status_code if 400 <= problem.status_code < 500 else 400
    return render(
        request, "portal/error.html", {"status": status, "message": problem.localized()}, status=status
    )


def _draft(user: User, draft_id: uuid.UUID) -> Draft:
    return services.draft_get_for_applicant(draft_id=draft_id, applicant=user)


def _step_url(draft: Draft, step_key: str) -> str:
    return reverse("portal:draft_step", args=[draft.id, step_key])


def _receipt_redirect(draft: Draft) -> HttpResponseRedirect:
    return redirect("portal:draft_receipt", draft.id)


# --- list, start, resume, delete ------------------------------------------------------------------


@require_safe
@citizen_flow
def draft_list(request: HttpRequest, user: User) -> HttpResponse:
    """``/antraege/``: the citizen's applications in progress, to resume on any device."""
    drafts = list(services.drafts_open_for_applicant(applicant=user)[:100])
    rows = []
    for draft in drafts:
        steps = engine.visible_steps(draft.form_version.parsed, draft.data)
        done = sum(1 for step in steps if step.key in draft.completed_steps)
        rows.append({"draft": draft, "done": done, "total": len(steps)})
    return render(
        request,
        "forms/apply/drafts.html",
        {
            "rows": rows,
            "my_applications_url": _url("portal:my_applications"),
            "breadcrumbs": _crumbs(),
        },
    )


def _service(leika_key: str) -> Service:
    service = Service.objects.filter(leika_key=leika_key).first()
    if service is None:
        raise Http404
    return service


@require_http_methods(["GET", "POST"])
@citizen_flow
def draft_start(request: HttpRequest, user: User, leika_key: str) -> HttpResponse:
    """``/antraege/neu/<leika>/?ags=…``: what the application needs, and the button that starts it."""
    service = _service(leika_key)
    ags = (request.GET.get("ags") or request.POST.get("ags") or "").strip()
    if not ags:
        return redirect(reverse("portal:service", args=[service.leika_key]) + "#zustaendigkeit")
    try:
        responsibility = responsibility_resolve(service=service, ags=ags)
        authority = responsibility.authority
        elsewhere = service_start_url(service, authority)  # a specialised service's own pages
        if elsewhere is not None:
            return redirect(elsewhere)
        if request.method == "POST":
            version = published_form_for(service=service, authority=authority)
            form_level = version.parsed.trust_level if version else None
            needed = highest(service.required_trust_level, form_level or TrustLevel.NONE)
            if not assurance_of(request).satisfies(needed):
                start_url = (
                    reverse("portal:draft_start", args=[service.leika_key]) + "?" + urlencode({"ags": ags})
                )
                return redirect(step_up_url(start_url, needed))
            draft = services.draft_start(service=service, authority=authority, applicant=user)
            return redirect(
                _step_url(draft, draft.current_step) if draft.current_step else reverse("portal:drafts")
            )
    except Problem as problem:
        return _problem_page(request, problem)
    # Without an (enabled) offering the authority takes no online applications, whatever forms exist.
    version = published_form_for(service=service, authority=authority) if responsibility.offering else None
    needed = highest(
        service.required_trust_level, (version.parsed.trust_level if version else None) or "none"
    )
    existing = [
        draft
        for draft in services.drafts_open_for_applicant(applicant=user).filter(
            service=service, authority=authority
        )
    ]
    return render(
        request,
        "forms/apply/start.html",
        {
            "service": service,
            "authority": authority,
            "ags": ags,
            "schema": version.parsed if version else None,
            "existing": existing,
            "needed_level": needed,
            "needed_text": describe(needed),
            "needs_step_up": not assurance_of(request).satisfies(needed),
            "breadcrumbs": [
                (_("Startseite"), reverse("portal:home")),
                (service.name, reverse("portal:service", args=[service.leika_key]) + f"?ags={ags}"),
                (_("Online beantragen"), None),
            ],
        },
        status=200 if version else 404,
    )


@require_safe
@citizen_flow
def draft_resume(request: HttpRequest, user: User, draft_id: uuid.UUID) -> HttpResponse:
    """``/antraege/<id>/``: continue where the citizen left off (or the receipt once submitted)."""
    draft = _draft(user, draft_id)
    if draft.submitted_at is not None:
        return _receipt_redirect(draft)
    elsewhere = draft_continue_url(draft)  # a draft a specialised service fills through its own pages
    if elsewhere is not None:
        return redirect(elsewhere)
    schema = draft.form_version.parsed
    step = engine.first_incomplete_step(schema, draft.data, draft.completed_steps)
    if step is None:
        return redirect("portal:draft_review", draft.id)
    return redirect(_step_url(draft, step.key))


@require_http_methods(["GET", "POST"])
@citizen_flow
def draft_delete(request: HttpRequest, user: User, draft_id: uuid.UUID) -> HttpResponse:
    draft = _draft(user, draft_id)
    if draft.submitted_at is not None:
        return _receipt_redirect(draft)
    if request.method == "POST":
        services.draft_delete(draft=draft, actor=user)
        messages.success(request, _("Der Antrag „%(name)s“ wurde gelöscht.") % {"name": draft.service.name})
        return redirect("portal:drafts")
    return render(
        request,
        "forms/apply/delete.html",
        {"draft": draft, "breadcrumbs": _crumbs((_("Antrag löschen"), None))},
    )


@require_safe
@citizen_flow
def draft_document(
    request: HttpRequest, user: User, draft_id: uuid.UUID, document_id: uuid.UUID
) -> HttpResponseBase:
    """One of the draft's uploads, always as a download with its sniffed type."""
    draft = _draft(user, draft_id)
    document = Document.objects.filter(pk=document_id, draft=draft).first()
    if document is None:
        raise Http404
    return document_response(document)


# --- steps ------------------------------------------------------------------------------------------


def _neighbours(
    schema: FormSchema, data: dict[str, Any], step_key: str
) -> tuple[list[Step], Step | None, Step | None]:
    steps = engine.visible_steps(schema, data)
    keys = [step.key for step in steps]
    if step_key not in keys:
        return steps, None, None
    index = keys.index(step_key)
    previous = steps[index - 1] if index > 0 else None
    following = steps[index + 1] if index + 1 < len(steps) else None
    return steps, previous, following


def _documents(draft: Draft) -> dict[str, rendering.DocumentInfo]:
    return {
        str(doc.pk): rendering.DocumentInfo(
            id=str(doc.pk),
            filename=doc.filename,
            size=doc.size,
            url=reverse("portal:draft_document", args=[draft.id, doc.pk]),
        )
        for doc in Document.objects.filter(draft=draft).only("pk", "filename", "size")
    }


def _find_field(fields: list[FormField], path: str) -> FormField | None:
    """The field at a dotted input path (``children.1.proof`` → ``proof`` of the children group)."""
    parts = path.split(".")
    current: list[FormField] = fields
    found: FormField | None = None
    index = 0
    while index < len(parts):
        found = next((f for f in current if f.key == parts[index]), None)
        if found is None:
            return None
        if found.type == FieldType.GROUP and index + 1 < len(parts):
            if not parts[index + 1].isdigit():
                return None
            index += 1
        current = found.fields or []
        index += 1
    return found


def _get_at(nested: dict[str, Any], path: str) -> Any:
    target: Any = nested
    for part in path.split("."):
        if isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        elif isinstance(target, dict):
            target = target.get(part)
        else:
            return None
    return target


def _set_at(nested: dict[str, Any], path: str, value: Any) -> None:
    parent_path, _sep, last = path.rpartition(".")
    parent = _get_at(nested, parent_path) if parent_path else nested
    if isinstance(parent, dict):
        parent[last] = value


def _render_step(
    request: HttpRequest,
    draft: Draft,
    step: Step,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    extra_rows: dict[str, int] | None = None,
    notice: str = "",
    return_to_review: bool = False,
    status: int = 200,
) -> HttpResponse:
    schema = draft.form_version.parsed
    steps, previous, following = _neighbours(schema, values, step.key)
    view = rendering.bind_step(
        schema, step, values, errors, documents=_documents(draft), extra_rows=extra_rows
    )
    has_buttons = any(f.field.type in (FieldType.GROUP, FieldType.FILE) for f in view.fields)
    return render(
        request,
        "forms/apply/step.html",
        {
            "draft": draft,
            "schema": schema,
            "step": step,
            "view": view,
            "steps": steps,
            "number": [s.key for s in steps].index(step.key) + 1 if step in steps else 1,
            "previous": previous,
            "following": following,
            "shown": ",".join(f.field.key for f in view.fields),
            "default_button": has_buttons,
            "notice": notice,
            "return_to_review": return_to_review,
            "breadcrumbs": _crumbs((str(schema.title), None)),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@citizen_flow
def draft_step(request: HttpRequest, user: User, draft_id: uuid.UUID, step_key: str) -> HttpResponse:
    """``/antraege/<id>/schritt/<step>/``: one page of the form."""
    draft = _draft(user, draft_id)
    if draft.submitted_at is not None:
        return _receipt_redirect(draft)
    schema = draft.form_version.parsed
    try:
        step = schema.step(step_key)
    except KeyError as exc:
        raise Http404 from exc
    if not engine.step_visible(schema, step.key, draft.data):
        return redirect("portal:draft_resume", draft.id)
    if request.method == "GET":
        extra = request.GET.get("weitere", "")
        extra_rows = {extra: 1} if _PATH.fullmatch(extra) else {}
        return _render_step(
            request,
            draft,
            step,
            dict(draft.data),
            {},
            extra_rows=extra_rows,
            return_to_review=request.GET.get("ziel") == "pruefen",
        )
    return _step_post(request, user, draft, schema, step)


def _step_post(
    request: HttpRequest, user: User, draft: Draft, schema: FormSchema, step: Step
) -> HttpResponse:
    post = request.POST
    action = post.get("_action", "next")
    action = action if action in ACTIONS else "next"
    add_row, remove_row = post.get("_add_row", ""), post.get("_remove_row", "")
    remove_file, upload_to = post.get("_remove_file", ""), post.get("_upload", "")
    if add_row or remove_row or remove_file or upload_to:
        action = "save"
    return_to_review = post.get("_return") == "review"
    raw = engine.step_input(schema, step.key, post)
    upload_errors: dict[str, list[str]] = {}
    fragment = ""

    # Uploads first: a file that passed its checks is kept even when other answers still have errors,
    # because browsers forget a chosen file when the page is shown again.
    for path, files in request.FILES.lists():
        form_field = _find_field(step.fields, path) if _PATH.fullmatch(path) else None
        if form_field is None or form_field.type != FieldType.FILE:
            continue
        ids = _get_at(raw, path)
        ids = list(ids) if isinstance(ids, list) else []
        for upload in files:
            try:
                document = services.draft_document_add(
                    draft=draft, upload=upload, field_key=form_field.key, actor=user
                )
            except UploadRejected as problem:
                upload_errors.setdefault(path, []).append(problem.localized())
            else:
                ids.append(str(document.pk))
        _set_at(raw, path, ids)
        fragment = rendering.field_id(path)

    if remove_file:
        # Already gone (a second click) is fine: the answer below no longer lists it either.
        with contextlib.suppress(Http404):
            services.draft_document_remove(draft=draft, document_id=remove_file, actor=user)
        raw = _without_id(raw, remove_file.strip().lower())
        messages.info(request, _("Die Datei wurde entfernt."))

    if remove_row and _PATH.fullmatch(remove_row + ".x"):
        group_path, _sep, index = remove_row.rpartition(".")
        rows = _get_at(raw, group_path)
        if isinstance(rows, list) and index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
            fragment = rendering.field_id(group_path)

    result = services.draft_step_save(
        draft=draft, step_key=step.key, raw=raw, actor=user, partial=action != "next"
    )
    errors = dict(result.errors)
    notice = ""
    if action == "next" and errors and _only_new_fields(errors, post.get("_shown", "")):
        # Answers on this page revealed further questions: save what is there and ask them, without
        # marking questions as wrong that the citizen has not seen yet.
        result = services.draft_step_save(draft=draft, step_key=step.key, raw=raw, actor=user, partial=True)
        errors = dict(result.errors)
        notice = _("Nach Ihren Antworten brauchen wir noch weitere Angaben. Bitte ergänzen Sie diese.")
        if not errors and not upload_errors:
            return _render_step(
                request, result.draft, step, _merged(result.draft, step, raw), {}, notice=notice,
                return_to_review=return_to_review,
            )  # fmt: skip
    for path, problems in upload_errors.items():
        errors.setdefault(path, []).extend(problems)
    if errors:
        values = _merged(result.draft, step, raw)
        ordered = engine.order_errors(step.fields, errors)
        return _render_step(request, result.draft, step, values, ordered, return_to_review=return_to_review)

    draft = result.draft
    if add_row and _PATH.fullmatch(add_row):
        rows = _get_at(draft.data, add_row)
        anchor = f"{rendering.field_id(add_row)}-row-{len(rows) if isinstance(rows, list) else 0}"
        return redirect(f"{_step_url(draft, step.key)}?weitere={add_row}#{anchor}")
    if action == "save" and not (remove_row or remove_file or upload_to or request.FILES):
        messages.success(
            request,
            _("Ihre Angaben sind gespeichert. Sie finden den Antrag jederzeit unter „Meine Anträge“."),
        )
        return redirect("portal:drafts")
    if action == "save":
        return redirect(_step_url(draft, step.key) + (f"#{fragment}" if fragment else ""))
    _steps, previous, following = _neighbours(schema, draft.data, step.key)
    if action == "back":
        return redirect(_step_url(draft, previous.key) if previous else reverse("portal:drafts"))
    if return_to_review or following is None:
        return redirect("portal:draft_review", draft.id)
    return redirect(_step_url(draft, following.key))


def _only_new_fields(errors: dict[str, list[str]], shown: str) -> bool:
    on_page = {key for key in shown.split(",") if key}
    if not on_page:  # not posted by our page (a script, an old tab): every question counts as seen
        return False
    return bool(errors) and all(path.split(".", 1)[0] not in on_page for path in errors)


def _merged(draft: Draft, step: Step, raw: dict[str, Any]) -> dict[str, Any]:
    """Saved answers of the other steps with what was typed on this one (shown again after errors)."""
    keys = {f.key for f in step.fields}
    values = {key: value for key, value in draft.data.items() if key not in keys}
    values.update(raw)
    return values


def _without_id(value: Any, document_id: str) -> Any:
    if isinstance(value, list):
        return [_without_id(item, document_id) for item in value if item != document_id]
    if isinstance(value, dict):
        return {key: _without_id(item, document_id) for key, item in value.items()}
    return value


# --- review, submit, receipt ---------------------------------------------------------------------


def _review_context(draft: Draft, errors: dict[str, list[str]]) -> dict[str, Any]:
    from amtsweg.payments.selectors import review_fee  # payments imports forms; imported late

    schema = draft.form_version.parsed
    names = {key: info.filename for key, info in _documents(draft).items()}
    sections = rendering.summary_by_step(schema, draft.data, documents=names)
    links: list[dict[str, Any]] = []
    for path, problems in errors.items():
        step = engine.step_for_path(schema, path)
        target = _step_url(draft, step.key) + "?ziel=pruefen" if step else ""
        links.extend({"message": message, "url": target, "step": step} for message in problems)
    return {
        "draft": draft,
        "schema": schema,
        "sections": sections,
        "error_links": links,
        "error_steps": {step.key for step in engine.error_steps(schema, errors)},
        "breadcrumbs": _crumbs((str(schema.title), None)),
        "payment_fee": review_fee(draft),  # the fee due before submission, if the service has one
    }


@require_safe
@citizen_flow
def draft_review(request: HttpRequest, user: User, draft_id: uuid.UUID) -> HttpResponse:
    """``/antraege/<id>/pruefen/``: every answer, with "Ändern" per step, and the submit button."""
    draft = _draft(user, draft_id)
    if draft.submitted_at is not None:
        return _receipt_redirect(draft)
    schema = draft.form_version.parsed
    errors = engine.validate_all(schema, draft.data, uploads=services.draft_uploads(draft))
    # Steps never visited are listed as missing, not as a wall of errors.
    return render(request, "forms/apply/review.html", _review_context(draft, errors))


@require_POST
@citizen_flow
def draft_submit(request: HttpRequest, user: User, draft_id: uuid.UUID) -> HttpResponse:
    """``/antraege/<id>/einreichen/``: submit once; every repeat (double click, reload) shows the receipt."""
    from amtsweg.cases.services import TrustLevelTooLow, submission_submit  # cases imports forms

    draft = _draft(user, draft_id)
    if request.POST.get("draft") != str(draft.id):
        return redirect("portal:draft_review", draft.id)  # a stale or foreign form: show what is submitted
    if draft.submitted_at is not None:
        return _receipt_redirect(draft)
    errors: dict[str, Any] = {}
    try:
        # Validates everything once more inside its transaction: the one final gate.
        submission_submit(draft=draft, actor=user, channel=CHANNEL, assurance=assurance_of(request))
    except TrustLevelTooLow as problem:
        return redirect(
            step_up_url(reverse("portal:draft_review", args=[draft.id]), problem.extra["required"])
        )
    except Problem as problem:
        found = problem.extra.get("errors")
        errors = found if isinstance(found, dict) and found else {"": [problem.localized()]}
    if errors:
        draft.refresh_from_db()
        context = _review_context(draft, errors)
        return render(request, "forms/apply/review.html", context, status=422)
    return _receipt_redirect(draft)


@require_safe
@citizen_flow
def draft_receipt(request: HttpRequest, user: User, draft_id: uuid.UUID) -> HttpResponse:
    """``/antraege/<id>/eingang/``: reference number, authority, date, what happens next, receipt PDF."""
    draft = _draft(user, draft_id)
    submission = getattr(draft, "submission", None) if draft.submitted_at is not None else None
    if submission is None:
        return redirect("portal:draft_resume", draft.id)
    case = getattr(submission, "case", None)
    receipt = (
        Document.objects.filter(case=case, kind=Document.Kind.RECEIPT).order_by("-created_at").first()
        if case is not None
        else None
    )
    return render(
        request,
        "forms/apply/receipt.html",
        {
            "draft": draft,
            "submission": submission,
            "case": case,
            "receipt": receipt,
            "receipt_url": _url("portal:document_download", receipt.pk) if receipt else "",
            "case_url": _url("portal:my_application", case.pk) if case else "",
            "my_applications_url": _url("portal:my_applications", fallback=reverse("portal:drafts")),
            "breadcrumbs": _crumbs((_("Eingangsbestätigung"), None)),
        },
    )
