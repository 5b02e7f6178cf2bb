"""The health office's pages of the instruction (back office, under ``<ags>/infektionsschutz/``):
statistics, material versions, the question pool, the programme's rules and the certificates.

Thin views: every read goes through ``tenancy.access`` (another authority's staff get 404), every
write through ``services_admin``; changing pages need the authority's administration.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.notices.models import Notice
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import languages, selectors_stats, services_admin, uploads
from .forms_staff import (
    CertificateFilterForm,
    MaterialForm,
    ProgrammeForm,
    QuestionForm,
    RevokeForm,
    StatisticsFilterForm,
)
from .markdown import render_markdown
from .models import Certificate, Material, Programme, Question

CHANNEL = "web"
VIA_PROGRAMME = "programme__authority"


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_page lets only staff accounts through
    return request.user


def _programme(request: HttpRequest, authority: Authority) -> Programme:
    """The authority's programme; 404 where the authority offers none (or the user may not see it)."""
    programme = (
        access.scope(Programme.objects.filter(authority=authority), request.user)
        .select_related("service")
        .first()
    )
    if programme is None:
        raise Http404
    return programme


def _context(
    request: HttpRequest, authority: Authority, programme: Programme, **extra: object
) -> dict[str, object]:
    return backoffice_context(request, authority, programme=programme, **extra)


def _url(name: str, authority: Authority, **kwargs: Any) -> str:
    return reverse(f"backoffice:{name}", kwargs={"ags": authority.ags, **kwargs})


# --- overview and statistics -----------------------------------------------------------------------


def _statistics(
    request: HttpRequest, authority: Authority
) -> tuple[Programme, StatisticsFilterForm, selectors_stats.Statistics]:
    programme = _programme(request, authority)
    form = StatisticsFilterForm(request.GET or None)
    month = language = None
    if form.is_bound and form.is_valid():
        month, language = form.cleaned_data["monat"], form.cleaned_data["sprache"] or None
    stats = selectors_stats.statistics(
        programme=programme, user=_staff(request), month=month, language=language
    )
    return programme, form, stats


@require_safe
@staff_page()
def overview(request: HttpRequest, authority: Authority) -> HttpResponse:
    programme, form, stats = _statistics(request, authority)
    peak = max((count for _month, count in stats.per_month), default=0)
    return render(
        request,
        "ifsg/backoffice/overview.html",
        _context(
            request,
            authority,
            programme,
            form=form,
            stats=stats,
            peak=peak,
            query=request.GET.urlencode(),
        ),
    )


@require_safe
@staff_page()
def statistics_csv(request: HttpRequest, authority: Authority) -> HttpResponse:
    _programme, _form, stats = _statistics(request, authority)
    response = HttpResponse(
        "\ufeff" + selectors_stats.statistics_csv(stats), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="infektionsschutz-statistik-{authority.ags}.csv"'
    return response


# --- material --------------------------------------------------------------------------------------


def _materials(request: HttpRequest, programme: Programme) -> QuerySet[Material]:
    return access.scope(Material.objects.filter(programme=programme), request.user, via=VIA_PROGRAMME)


def _material(request: HttpRequest, programme: Programme, pk: int, *, administer: bool = False) -> Material:
    return access.get_for_user(
        Material.objects.filter(programme=programme).select_related(
            "programme", "created_by", "published_by"
        ),
        request.user,
        channel=CHANNEL,
        via=VIA_PROGRAMME,
        administer=administer,
        pk=pk,
    )


@require_safe
@staff_page()
def material_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    programme = _programme(request, authority)
    by_language: dict[str, list[Material]] = {lang.code: [] for lang in languages.LANGUAGES}
    for material in _materials(request, programme).order_by("language", "-version"):
        by_language.setdefault(material.language, []).append(material)
    rows = [
        {
            "language": lang,
            "versions": by_language[lang.code],
            "published": next(
                (m for m in by_language[lang.code] if m.status == Material.Status.PUBLISHED), None
            ),
            "draft": next((m for m in by_language[lang.code] if m.status == Material.Status.DRAFT), None),
        }
        for lang in languages.LANGUAGES
    ]
    return render(
        request, "ifsg/backoffice/material_list.html", _context(request, authority, programme, rows=rows)
    )


def _material_form_page(
    request: HttpRequest,
    authority: Authority,
    programme: Programme,
    *,
    language: languages.Language,
    material: Material | None,
    base: Material | None,
) -> HttpResponse:
    form = MaterialForm(
        request.POST or None, request.FILES or None, initial=MaterialForm.initial_from(material or base)
    )
    if request.method == "POST" and form.is_valid():
        content = {name: form.cleaned_data[name] for name in ("title", "text", "declaration", "transcript")}
        try:
            if material is None:
                saved = services_admin.material_version_create(
                    programme=programme,
                    language=language.code,
                    actor=_staff(request),
                    channel=CHANNEL,
                    files=form.files_given(),
                    remove=form.cleaned_data["remove"],
                    **content,
                )
            else:
                saved = services_admin.material_draft_update(
                    material=material,
                    actor=_staff(request),
                    channel=CHANNEL,
                    files=form.files_given(),
                    remove=form.cleaned_data["remove"],
                    **content,
                )
        except services_admin.AdminProblem as problem:
            for field, errors in problem.extra.get("errors", {}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except Problem as problem:
            form.add_error(None, problem.localized())
        else:
            messages.success(request, _("Der Entwurf wurde gespeichert. Prüfen Sie ihn in der Vorschau."))
            return HttpResponseRedirect(_url("ifsg_material", authority, pk=saved.pk))
    return render(
        request,
        "ifsg/backoffice/material_form.html",
        _context(request, authority, programme, form=form, language=language, material=material, base=base),
    )


@require_http_methods(["GET", "POST"])
@staff_page(administer=True)
def material_new(request: HttpRequest, authority: Authority, language: str) -> HttpResponse:
    programme = _programme(request, authority)
    if language not in languages.BY_CODE:
        raise Http404
    versions = _materials(request, programme).filter(language=language)
    draft = versions.filter(status=Material.Status.DRAFT).first()
    if draft is not None:
        messages.info(request, _("Es gibt schon einen Entwurf in dieser Sprache; Sie bearbeiten ihn."))
        return HttpResponseRedirect(_url("ifsg_material_edit", authority, pk=draft.pk))
    base = versions.order_by("-version").first()
    return _material_form_page(
        request, authority, programme, language=languages.get(language), material=None, base=base
    )


@require_http_methods(["GET", "POST"])
@staff_page(administer=True)
def material_edit(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    programme = _programme(request, authority)
    material = _material(request, programme, pk, administer=True)
    if material.status != Material.Status.DRAFT:
        messages.error(
            request, _("Veröffentlichte Versionen bleiben unverändert; legen Sie eine neue Version an.")
        )
        return HttpResponseRedirect(_url("ifsg_material", authority, pk=material.pk))
    return _material_form_page(
        request, authority, programme, language=languages.get(material.language), material=material, base=None
    )


@require_safe
@staff_page()
def material_detail(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    programme = _programme(request, authority)
    material = _material(request, programme, pk)
    language = languages.get(material.language)
    return render(
        request,
        "ifsg/backoffice/material_detail.html",
        _context(
            request,
            authority,
            programme,
            material=material,
            language=language,
            html=render_markdown(material.text),
            problems=services_admin.material_publish_problems(material)
            if material.status == Material.Status.DRAFT
            else [],
        ),
    )


@require_POST
@staff_page(administer=True)
def material_publish(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    programme = _programme(request, authority)
    material = _material(request, programme, pk, administer=True)
    try:
        services_admin.material_publish(material=material, actor=_staff(request), channel=CHANNEL)
    except Problem as problem:
        messages.error(request, problem.localized())
    else:
        messages.success(request, _("Die Version ist veröffentlicht; die bisherige ist abgelöst."))
    return HttpResponseRedirect(_url("ifsg_material", authority, pk=material.pk))


@require_safe
@staff_page()
def material_file(request: HttpRequest, authority: Authority, pk: int, kind: str) -> FileResponse:
    if kind not in uploads.KINDS:
        raise Http404
    programme = _programme(request, authority)
    material = _material(request, programme, pk)
    stored = getattr(material, kind)
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    name = stored.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=kind == "leaflet", filename=name)


# --- question pool ---------------------------------------------------------------------------------


@require_safe
@staff_page()
def question_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    programme = _programme(request, authority)
    questions = access.scope(
        Question.objects.filter(programme=programme), request.user, via=VIA_PROGRAMME
    ).order_by("number")
    rows = [
        {
            "question": question,
            "missing": [
                lang for lang in languages.LANGUAGES if not question.texts.get(lang.code, {}).get("text")
            ],
        }
        for question in questions
    ]
    active = [row for row in rows if row["question"].active]  # type: ignore[attr-defined]
    complete = [
        lang
        for lang in languages.LANGUAGES
        if active and all(lang not in row["missing"] for row in active)  # type: ignore[operator]
    ]
    return render(
        request,
        "ifsg/backoffice/question_list.html",
        _context(request, authority, programme, rows=rows, active_count=len(active), complete=complete),
    )


def _question_form_page(
    request: HttpRequest, authority: Authority, programme: Programme, question: Question | None
) -> HttpResponse:
    form = QuestionForm(request.POST or None, question=question)
    if request.method == "POST" and form.is_valid():
        values: dict[str, Any] = {
            "actor": _staff(request),
            "channel": CHANNEL,
            "texts": form.texts(),
            "correct": form.cleaned_data["correct"] - 1,
            "topic": form.cleaned_data["topic"],
            "active": form.cleaned_data["active"],
        }
        try:
            if question is None:
                saved = services_admin.question_create(programme=programme, **values)
            else:
                saved = services_admin.question_update(question=question, **values)
        except services_admin.AdminProblem as problem:
            if "errors" in problem.extra:
                form.add_service_errors(problem.extra["errors"])
            else:
                form.add_error(None, problem.localized())
        except Problem as problem:
            form.add_error(None, problem.localized())
        else:
            messages.success(request, _("Frage %(number)s wurde gespeichert.") % {"number": saved.number})
            return HttpResponseRedirect(_url("ifsg_questions", authority))
    return render(
        request,
        "ifsg/backoffice/question_form.html",
        _context(request, authority, programme, form=form, question=question),
    )


@require_http_methods(["GET", "POST"])
@staff_page(administer=True)
def question_new(request: HttpRequest, authority: Authority) -> HttpResponse:
    return _question_form_page(request, authority, _programme(request, authority), None)


@require_http_methods(["GET", "POST"])
@staff_page(administer=True)
def question_edit(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    programme = _programme(request, authority)
    question = access.get_for_user(
        Question.objects.filter(programme=programme).select_related("programme"),
        request.user,
        channel=CHANNEL,
        via=VIA_PROGRAMME,
        administer=True,
        pk=pk,
    )
    return _question_form_page(request, authority, programme, question)


# --- programme settings ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page(administer=True)
def programme_settings(request: HttpRequest, authority: Authority) -> HttpResponse:
    programme = _programme(request, authority)
    form = ProgrammeForm(
        request.POST or None, authority=authority, initial=ProgrammeForm.initial_from(programme)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services_admin.programme_update(
                programme=programme, actor=_staff(request), channel=CHANNEL, values=form.cleaned_data
            )
        except services_admin.AdminProblem as problem:
            for field, errors in problem.extra.get("errors", {}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except Problem as problem:
            form.add_error(None, problem.localized())
        else:
            messages.success(request, _("Die Einstellungen wurden gespeichert."))
            return HttpResponseRedirect(_url("ifsg_settings", authority))
    return render(
        request, "ifsg/backoffice/settings.html", _context(request, authority, programme, form=form)
    )


# --- certificates ----------------------------------------------------------------------------------


def _certificate(request: HttpRequest, programme: Programme, pk: int) -> Certificate:
    return access.get_for_user(
        Certificate.objects.filter(authority_id=programme.authority_id).select_related(
            "notice", "instruction__material", "instruction__case"
        ),
        request.user,
        channel=CHANNEL,
        pk=pk,
    )


@require_safe
@staff_page()
def certificate_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    programme = _programme(request, authority)
    form = CertificateFilterForm(request.GET or None)
    rows = access.scope(Certificate.objects.filter(authority=authority), request.user).select_related(
        "notice"
    )
    if form.is_bound and form.is_valid():
        if form.cleaned_data["q"]:
            rows = rows.filter(holder_name__icontains=form.cleaned_data["q"].strip())
        if form.cleaned_data["monat"]:
            period = selectors_stats.period_for(form.cleaned_data["monat"])
            rows = rows.filter(issued_at__gte=period.start, issued_at__lt=period.end)
        if form.cleaned_data["status"] == "revoked":
            rows = rows.filter(notice__status=Notice.Status.REVOKED)
        elif form.cleaned_data["status"] == "valid":
            rows = rows.exclude(notice__status=Notice.Status.REVOKED)
    page = Paginator(rows.order_by("-issued_at", "-pk"), 50).get_page(request.GET.get("seite"))
    query = request.GET.copy()
    query.pop("seite", None)
    return render(
        request,
        "ifsg/backoffice/certificate_list.html",
        _context(request, authority, programme, form=form, page=page, query=query.urlencode()),
    )


@require_safe
@staff_page()
def certificate_detail(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    programme = _programme(request, authority)
    certificate = _certificate(request, programme, pk)
    attempts = list(certificate.instruction.attempts.filter(submitted_at__isnull=False).order_by("number"))
    return render(
        request,
        "ifsg/backoffice/certificate_detail.html",
        _context(
            request,
            authority,
            programme,
            certificate=certificate,
            instruction=certificate.instruction,
            attempts=attempts,
            language=languages.get(certificate.language),
            revoked=certificate.notice.status == Notice.Status.REVOKED,
        ),
    )


@require_http_methods(["GET", "POST"])
@staff_page()
def certificate_revoke(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    programme = _programme(request, authority)
    certificate = _certificate(request, programme, pk)
    if certificate.notice.status == Notice.Status.REVOKED:
        messages.info(request, _("Diese Bescheinigung ist bereits widerrufen."))
        return HttpResponseRedirect(_url("ifsg_certificate", authority, pk=certificate.pk))
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_admin.certificate_revoke(
                certificate=certificate,
                actor=_staff(request),
                reason=form.cleaned_data["reason"],
                channel=CHANNEL,
            )
        except Problem as problem:
            form.add_error("reason", problem.localized())
        else:
            messages.success(request, _("Die Bescheinigung ist widerrufen; die Prüfung zeigt das ab sofort."))
            return HttpResponseRedirect(_url("ifsg_certificate", authority, pk=certificate.pk))
    return render(
        request,
        "ifsg/backoffice/certificate_revoke.html",
        _context(request, authority, programme, certificate=certificate, form=form),
    )
