"""The register's back-office pages: search with results, an entry with its parcels, documents and
full history (diffs between versions), and the forms to enter, change, delete (Löschung) and restore.

Thin views: reads through ``selectors`` (scoped by ``tenancy.access``; an entry's read is audited),
writes through ``services_register``; a refused write shows the problem in the form's error summary.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import Authority

from . import selectors, services_register
from .forms_register import BaseParcelFormSet, DeleteForm, EntryForm, RestoreForm, SearchForm, parcel_formset
from .models import Baulast, BaulastKind, BaulastParcel, Register

CHANNEL = "web"
PAGE_SIZE = 25
FIELD_LABELS: dict[str, Any] = {
    "sheet": gettext_lazy("Baulastenblatt"),
    "number": gettext_lazy("lfd. Nr."),
    "kind": gettext_lazy("Art"),
    "text": gettext_lazy("Inhalt"),
    "obligors": gettext_lazy("Verpflichtete"),
    "entered_on": gettext_lazy("eingetragen am"),
    "deleted_on": gettext_lazy("gelöscht am"),
    "deletion_reason": gettext_lazy("Grund der Löschung"),
    "file_reference": gettext_lazy("Aktenzeichen"),
    "parcels": gettext_lazy("Flurstücke"),
}


def _register(request: HttpRequest, authority: Authority) -> Register:
    register = selectors.register_for_user(request.user, authority)
    if register is None:
        raise Http404
    return register


def _entry(request: HttpRequest, authority: Authority, pk: int) -> Baulast:
    return selectors.entry_for_user(request.user, authority, pk, channel=CHANNEL)


def _problem_to_form(form: forms.Form, problem: Problem, fields: dict[str, str] | None = None) -> None:
    name = str(problem.extra.get("field") or problem.extra.get("part") or "")
    name = (fields or {}).get(name, name)
    form.add_error(name if name in form.fields else None, problem.localized())


@require_safe
@staff_page()
def register(request: HttpRequest, authority: Authority) -> HttpResponse:
    the_register = _register(request, authority)
    form = SearchForm(request.GET or None, gemarkungen=selectors.gemarkungen_of(the_register))
    page = None
    status = 200
    try:
        number = max(1, int(request.GET.get("seite", "1")))
    except ValueError:
        number = 1
    if form.is_bound and form.is_valid():
        try:
            page = selectors.register_search(
                request.user,
                authority,
                limit=PAGE_SIZE,
                offset=(number - 1) * PAGE_SIZE,
                channel=CHANNEL,
                **form.criteria(),
            )
        except Problem as problem:
            _problem_to_form(
                form, problem, {"kennzeichen": "parcel", "zaehler": "parcel", "nenner": "parcel"}
            )
            status = 400
    elif form.is_bound:
        status = 400
    else:
        page = selectors.register_search(request.user, authority, limit=PAGE_SIZE, channel=CHANNEL)
    query = {k: v for k, v in request.GET.items() if k != "seite" and v}
    pages = {}
    if page is not None:
        base = "?" + urlencode(query) + ("&" if query else "")
        if number > 1:
            pages["previous"] = f"{base}seite={number - 1}"
        if page.has_next:
            pages["next"] = f"{base}seite={number + 1}"
    context = backoffice_context(
        request, authority, register=the_register, form=form, page=page, pages=pages, page_number=number
    )
    return render(request, "baulasten/register_search.html", context, status=status)


def _documents(entry: Baulast) -> list[tuple[Any, str]]:
    rows = []
    for scan in entry.documents.order_by("created_at", "pk"):
        try:
            url = reverse("backoffice:baulasten_scan", args=[entry.authority.ags, scan.pk])
        except NoReverseMatch:  # the capture part is not installed
            url = ""
        rows.append((scan, url))
    return rows


def _history(entry: Baulast) -> list[dict[str, Any]]:
    kinds = dict(BaulastKind.choices)
    roles = dict(BaulastParcel.Role.choices)
    rows = selectors.history(entry)
    for row in rows:
        for change in row["diff"]:  # type: ignore[attr-defined]
            name = change["field"]
            change["label"] = FIELD_LABELS.get(name, name)
            for side in ("before", "after"):
                value = change[side]
                if name == "kind" and value:
                    value = kinds.get(value, value)
                elif name == "parcels" and isinstance(value, list):
                    from .flurstueck import display

                    value = "; ".join(
                        f"{display(p['kennzeichen'])} ({roles.get(p['role'], p['role'])})" for p in value
                    )
                change[side] = "" if value is None else value
    return rows


def _detail(request: HttpRequest, authority: Authority, entry: Baulast, **forms_: Any) -> HttpResponse:
    context = backoffice_context(
        request,
        authority,
        entry=entry,
        links=list(entry.parcel_links.all()),
        documents=_documents(entry),
        history=_history(entry),
        delete_form=forms_.get("delete_form")
        or DeleteForm(
            initial={"deleted_on": timezone.localdate(), "version": entry.version}, prefix="delete"
        ),
        restore_form=RestoreForm(initial={"version": entry.version}, prefix="restore"),
    )
    status = 400 if any(f.errors for f in forms_.values()) else 200
    return render(request, "baulasten/register_entry.html", context, status=status)


@require_safe
@staff_page()
def entry(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _detail(request, authority, _entry(request, authority, pk))


def _form_page(
    request: HttpRequest,
    authority: Authority,
    form: EntryForm,
    parcels: BaseParcelFormSet,
    entry: Baulast | None,
) -> HttpResponse:
    status = 400 if form.errors or parcels.total_error_count() else 200
    context = backoffice_context(request, authority, form=form, parcels=parcels, entry=entry)
    return render(request, "baulasten/register_form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_page()
def entry_new(request: HttpRequest, authority: Authority) -> HttpResponse:
    the_register = _register(request, authority)
    data = request.POST if request.method == "POST" else None
    form = EntryForm(data)
    parcels = parcel_formset(data, initial=[{"role": BaulastParcel.Role.BURDENED}])
    if data is not None and form.is_valid() and parcels.is_valid():
        burdened, benefiting, locations = parcels.parcels()
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            created = services_register.baulast_create(
                register=the_register,
                actor=request.user,
                channel=CHANNEL,
                burdened=burdened,
                benefiting=benefiting,
                locations=locations,
                **values,
            )
        except Problem as problem:
            _problem_to_form(form, problem)
        else:
            messages.success(request, _("Die Baulast ist eingetragen."))
            return HttpResponseRedirect(
                reverse("backoffice:baulasten_entry", args=[authority.ags, created.pk])
            )
    return _form_page(request, authority, form, parcels, None)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_page()
def entry_edit(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    current = _entry(request, authority, pk)
    if current.is_deleted:
        messages.error(
            request, _("Eine gelöschte Baulast wird nicht geändert; heben Sie zuerst die Löschung auf.")
        )
        return HttpResponseRedirect(reverse("backoffice:baulasten_entry", args=[authority.ags, pk]))
    data = request.POST if request.method == "POST" else None
    initial = {name: getattr(current, name) for name in services_register.ENTRY_FIELDS}
    form = EntryForm(data, initial=initial | {"version": current.version})
    parcels = parcel_formset(
        data,
        initial=[
            {"role": link.role, "kennzeichen": link.parcel.kennzeichen, "location": link.parcel.location}
            for link in current.parcel_links.all()
        ],
    )
    if data is not None and form.is_valid() and parcels.is_valid():
        burdened, benefiting, locations = parcels.parcels()
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services_register.baulast_update(
                baulast=current,
                actor=request.user,
                channel=CHANNEL,
                expected_version=form.cleaned_data["version"] or current.version,
                burdened=burdened,
                benefiting=benefiting,
                locations=locations,
                **values,
            )
        except Problem as problem:
            _problem_to_form(form, problem)
        else:
            messages.success(request, _("Die Änderung ist gespeichert."))
            return HttpResponseRedirect(reverse("backoffice:baulasten_entry", args=[authority.ags, pk]))
    return _form_page(request, authority, form, parcels, current)


@require_POST
@staff_page()
def entry_delete(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    current = _entry(request, authority, pk)
    form = DeleteForm(request.POST, prefix="delete")
    if form.is_valid():
        try:
            services_register.baulast_delete(
                baulast=current,
                actor=request.user,
                channel=CHANNEL,
                deleted_on=form.cleaned_data["deleted_on"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except Problem as problem:
            _problem_to_form(form, problem)
        else:
            messages.success(
                request, _("Die Baulast ist gelöscht; sie bleibt mit ihrer Geschichte im Verzeichnis.")
            )
            return HttpResponseRedirect(reverse("backoffice:baulasten_entry", args=[authority.ags, pk]))
    return _detail(request, authority, current, delete_form=form)


@require_POST
@staff_page()
def entry_restore(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    current = _entry(request, authority, pk)
    form = RestoreForm(request.POST, prefix="restore")
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        services_register.baulast_restore(
            baulast=current, actor=request.user, channel=CHANNEL, expected_version=version
        )
    except Problem as problem:
        messages.error(request, problem.localized())
    else:
        messages.success(request, _("Die Löschung ist aufgehoben."))
    return HttpResponseRedirect(reverse("backoffice:baulasten_entry", args=[authority.ags, pk]))
