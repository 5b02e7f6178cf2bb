"""Back-office pages of the process handbook: read it in flow order, change one step's entry, print it
as PDF. Thin: who may read and change what is decided in :mod:`amtsweg.processes.handbook`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.notices.rendering import render_pdf
from amtsweg.tenancy.models import Authority

from .handbook import (
    MAX_LENGTHS,
    handbook_definition_get,
    handbook_entry_save,
    handbook_for,
    handbook_step,
    handbook_version,
    may_edit_handbook,
)
from .models import ProcessDefinition, ProcessVersion

CHANNEL = "web"


class HandbookEntryForm(forms.Form):
    """The know-how of one step; plain text (shown with line breaks, never as HTML)."""

    instructions = forms.CharField(
        label=gettext_lazy("Arbeitsanweisung"),
        required=False,
        max_length=MAX_LENGTHS["instructions"],
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("Wie der Schritt erledigt wird; Zeilenumbrüche bleiben erhalten."),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Rechtsgrundlage"),
        required=False,
        max_length=MAX_LENGTHS["legal_basis"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    templates = forms.CharField(
        label=gettext_lazy("Vorlagen"),
        required=False,
        max_length=MAX_LENGTHS["templates"],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Eine Vorlage je Zeile (Name oder Ablageort)."),
    )
    contact = forms.CharField(
        label=gettext_lazy("Ansprechperson"),
        required=False,
        max_length=MAX_LENGTHS["contact"],
        help_text=gettext_lazy("Wen man fragen kann, z. B. Team und Telefonnummer."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string: only the quote, the backslash, line breaks and angle brackets
    (which would end the <style> element) need escaping."""
    return '"' + "".join(f"\\{ord(char):x} " if char in '"\\\n\r<>' else char for char in text) + '"'


def _page_css(footer: str) -> SafeString:
    """The footer of every PDF page: version and date on the left, "Seite n von m" on the right."""
    page, of = _("Seite"), pgettext("page counter: page 1 of 2", "von")
    return mark_safe(  # noqa: S308  (every text is escaped by _css_string)
        f"@page {{ @bottom-left {{ content: {_css_string(footer)}; }} "
        f"@bottom-right {{ content: {_css_string(page + ' ')} counter(page) {_css_string(' ' + of + ' ')} "
        "counter(pages); } }"
    )


def _version_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("version", "")
    return int(raw) if raw.isdigit() else None


def _context(
    request: HttpRequest, authority: Authority, definition: ProcessDefinition, version: ProcessVersion | None
) -> dict[str, Any]:
    return backoffice_context(
        request,
        authority,
        definition=definition,
        version=version,
        steps=handbook_for(definition, version),
        can_edit=may_edit_handbook(request.user, definition),
    )


@require_GET
@staff_page()
def handbook_page(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    definition = handbook_definition_get(user=request.user, pk=pk, authority=authority)
    version = handbook_version(definition, _version_id(request))
    context = _context(request, authority, definition, version)
    context["versions"] = list(definition.versions.order_by("-number").only("pk", "number", "status"))
    return render(request, "processes/handbook_page.html", context)


@require_http_methods(["GET", "POST"])
@staff_page()
def handbook_edit(request: HttpRequest, authority: Authority, pk: int, bpmn_id: str) -> HttpResponse:
    definition = handbook_definition_get(user=request.user, pk=pk, authority=authority)
    if not may_edit_handbook(request.user, definition):
        message = (
            _("Nur die Administration des Verbunds darf das Handbuch des Referenzmodells ändern.")
            if definition.authority_id is None
            else _("Nur die Administration der Behörde darf das Handbuch ihrer Variante ändern.")
        )
        return render(request, "portal/error.html", {"status": 403, "message": message}, status=403)
    step = handbook_step(definition, handbook_version(definition), bpmn_id)
    initial = {name: getattr(step.entry, name) for name in MAX_LENGTHS} if step.entry else {}
    form = HandbookEntryForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            handbook_entry_save(
                definition=definition,
                bpmn_id=bpmn_id,
                actor=request.user,
                channel=CHANNEL,
                **form.cleaned_data,
            )
        except Problem as problem:
            form.add_error(None, problem.localized())
        else:
            messages.success(request, _("Der Handbucheintrag wurde gespeichert."))
            url = reverse("backoffice:process-handbook", kwargs={"ags": authority.ags, "pk": definition.pk})
            return HttpResponseRedirect(f"{url}#{step.anchor}")
    context = backoffice_context(request, authority, definition=definition, step=step, form=form)
    return render(request, "processes/handbook_edit.html", context, status=400 if form.errors else 200)


@require_GET
@staff_page()
def handbook_pdf(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    definition = handbook_definition_get(user=request.user, pk=pk, authority=authority)
    version = handbook_version(definition, _version_id(request))
    generated = timezone.localtime()
    title = _("Prozesshandbuch: %(name)s") % {"name": definition.name}
    version_label = (
        _("Version %(number)s (%(status)s)")
        % {"number": version.number, "status": version.get_status_display()}
        if version
        else _("ohne Version")
    )
    pdf = render_pdf(
        template_name="processes/handbook_pdf.html",
        context={
            "definition": definition,
            "version": version,
            "steps": handbook_for(definition, version),
            "generated_at": generated,
            "sender": {
                "name": definition.authority.name
                if definition.authority
                else _("Referenzmodell des Verbunds")
            },
            "page_css": _page_css(
                _("%(version)s · Stand %(date)s")
                % {"version": version_label, "date": f"{generated:%d.%m.%Y}"}
            ),
        },
        title=title,
        lang=get_language() or "de",
        created=generated,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"prozesshandbuch-{definition.service.leika_key}-{definition.pk}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
