"""Back-office pages for form definitions: list, version preview, XDatenfelder upload, publish.

Thin views: the authority comes from ``staff_page`` (``tenancy.access``), reads from ``selectors``,
writes from ``services``; who may change what is decided there, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from pydantic import ValidationError

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import FormVersion
from .schema import FieldType, FormField, FormSchema
from .selectors import (
    form_version_get_for_authority,
    forms_of_authority,
    may_change_form,
)
from .services import form_import_xdatenfelder, form_version_publish
from .xdatenfelder import MAX_FILE_BYTES, SourceError, XDatenfelderError

CHANNEL = "web"
UPLOAD_OVERHEAD_BYTES = 64 * 1024
TARGET_VARIANT = "variant"
TARGET_ALLIANCE = "alliance"

FIELD_TYPE_LABELS = {
    FieldType.TEXT: gettext_lazy("Text (einzeilig)"),
    FieldType.TEXTAREA: gettext_lazy("Text (mehrzeilig)"),
    FieldType.NUMBER: gettext_lazy("Zahl"),
    FieldType.MONEY: gettext_lazy("Geldbetrag"),
    FieldType.DATE: gettext_lazy("Datum"),
    FieldType.CHOICE: gettext_lazy("Auswahl"),
    FieldType.MULTICHOICE: gettext_lazy("Mehrfachauswahl"),
    FieldType.YESNO: gettext_lazy("Ja/Nein"),
    FieldType.EMAIL: gettext_lazy("E-Mail-Adresse"),
    FieldType.PHONE: gettext_lazy("Telefonnummer"),
    FieldType.ADDRESS: gettext_lazy("Anschrift"),
    FieldType.FILE: gettext_lazy("Datei-Upload"),
    FieldType.GROUP: gettext_lazy("Gruppe"),
    FieldType.INFO: gettext_lazy("Hinweis"),
}


class XDatenfelderUploadForm(forms.Form):
    """Upload of one XDatenfelder file for one service offered by the authority."""

    service = forms.ChoiceField(label=gettext_lazy("Leistung"))
    target = forms.ChoiceField(label=gettext_lazy("Formular"), widget=forms.RadioSelect)
    file = forms.FileField(
        label=gettext_lazy("XDatenfelder-Datei"),
        help_text=gettext_lazy(
            "XDatenfelder 2.0 oder 3.0.0 (Stammdatenschema oder Datenfeldgruppe), XML, höchstens 5 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def __init__(
        self, *args: Any, authority: Authority, services: list[Service], alliance_allowed: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.ChoiceField)
        service_field.choices = [("", _("Bitte wählen"))] + [
            (s.leika_key, f"{s.name} ({s.leika_key})") for s in services
        ]
        target_field = self.fields["target"]
        assert isinstance(target_field, forms.ChoiceField)
        choices = [(TARGET_VARIANT, _("Variante für %(name)s") % {"name": authority.name})]
        if alliance_allowed:
            choices.append((TARGET_ALLIANCE, _("Formular des Verbunds (für alle Behörden)")))
        target_field.choices = choices
        target_field.initial = TARGET_VARIANT

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("Die Datei ist zu groß (höchstens 5 MB)."))
        if not str(upload.name or "").lower().endswith(".xml"):
            raise forms.ValidationError(_("Bitte eine XML-Datei (Endung .xml) hochladen."))
        head = upload.read(512)
        upload.seek(0)
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and not head.startswith(
            (b"\xff\xfe", b"\xfe\xff")
        ):
            raise forms.ValidationError(_("Die Datei ist keine XML-Datei."))
        return upload


@dataclass
class FieldPreview:
    """One field of the read-only preview, with its constraints spelled out for reviewers."""

    key: str
    label: str
    type_label: str
    required: bool
    help: str
    details: list[str]
    children: list[FieldPreview] = field(default_factory=list)


def _preview(fields: list[FormField]) -> list[FieldPreview]:
    return [
        FieldPreview(
            key=f.key,
            label=str(f.label),
            type_label=str(FIELD_TYPE_LABELS.get(f.type, f.type)),
            required=f.required,
            help=str(f.help) if f.help else "",
            details=_details(f),
            children=_preview(f.fields or []),
        )
        for f in fields
    ]


def _details(f: FormField) -> list[str]:
    details: list[str] = []
    if f.min_length is not None:
        details.append(_("mindestens %(n)s Zeichen") % {"n": f.min_length})
    if f.max_length is not None:
        details.append(_("höchstens %(n)s Zeichen") % {"n": f.max_length})
    if f.pattern:
        details.append(_("Muster: %(p)s") % {"p": f.pattern})
    if f.minimum is not None:
        details.append(_("ab %(v)s") % {"v": f.minimum})
    if f.maximum is not None:
        details.append(_("bis %(v)s") % {"v": f.maximum})
    if f.type == FieldType.NUMBER and f.decimals:
        details.append(_("bis zu %(n)s Nachkommastellen") % {"n": f.decimals})
    if f.options:
        shown = ", ".join(f"{o.value} = {o.label}" for o in f.options[:12])
        more = len(f.options) - 12
        details.append(_("Werte: %(values)s") % {"values": shown} + (f" … (+{more})" if more > 0 else ""))
    if f.type == FieldType.FILE:
        details.append(_("bis zu %(n)s Dateien") % {"n": f.max_files})
        if f.accept:
            details.append(_("Dateitypen: %(types)s") % {"types": ", ".join(f.accept)})
        if f.max_size_mb:
            details.append(_("höchstens %(n)s MB je Datei") % {"n": f.max_size_mb})
    if f.type == FieldType.GROUP:
        details.append(_("%(low)s bis %(high)s Mal") % {"low": f.min_items, "high": f.max_items})
    if f.source.get("fim_id"):
        version = f.source.get("fim_version")
        details.append(f"FIM {f.source['fim_id']}" + (f" v{version}" if version else ""))
    return details


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/error.html", {"status": 403, "message": message}, status=403)


@staff_page()
def form_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    entries = forms_of_authority(user=request.user, authority=authority)
    context = backoffice_context(
        request,
        authority,
        entries=entries,
        can_import=access.can_access(request.user, authority, administer=True),
    )
    return render(request, "forms/staff/form_list.html", context)


@staff_page()
def form_version_detail(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    version = form_version_get_for_authority(user=request.user, authority=authority, pk=pk, channel=CHANNEL)
    definition = version.definition
    schema: FormSchema | None
    try:
        schema = version.parsed
    except ValidationError:
        schema = None
    steps = [(step, _preview(step.fields)) for step in schema.steps] if schema else []
    context = backoffice_context(
        request,
        authority,
        version=version,
        definition=definition,
        versions=list(definition.versions.all()),
        schema=schema,
        steps=steps,
        can_publish=may_change_form(request.user, definition)
        and version.status != FormVersion.Status.PUBLISHED,
    )
    return render(request, "forms/staff/version_detail.html", context)


@require_http_methods(["GET", "POST"])
@staff_page(administer=True)
def form_import(request: HttpRequest, authority: Authority) -> HttpResponse:
    services = [
        offering.service
        for offering in access.scope(ServiceOffering.objects.filter(authority=authority), request.user)
        .select_related("service")
        .order_by("service__name")
    ]
    alliance_allowed = access.administers_alliance(request.user)
    import_errors: list[SourceError] = []
    status = 200
    if (
        request.method == "POST"
        and int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FILE_BYTES + UPLOAD_OVERHEAD_BYTES
    ):
        form = XDatenfelderUploadForm(
            authority=authority, services=services, alliance_allowed=alliance_allowed
        )
        form.add_error(None, _("Die Datei ist zu groß (höchstens 5 MB)."))
        status = 413
    elif request.method == "POST":
        form = XDatenfelderUploadForm(
            request.POST,
            request.FILES,
            authority=authority,
            services=services,
            alliance_allowed=alliance_allowed,
        )
        if form.is_valid():
            service = next(s for s in services if s.leika_key == form.cleaned_data["service"])
            upload = form.cleaned_data["file"]
            try:
                result = form_import_xdatenfelder(
                    service=service,
                    authority=authority if form.cleaned_data["target"] == TARGET_VARIANT else None,
                    data=upload.read(MAX_FILE_BYTES + 1),
                    filename=str(upload.name)[:100],
                    actor=request.user,
                    channel=CHANNEL,
                )
            except XDatenfelderError as exc:
                import_errors = exc.errors
                status = 400
            except Problem as problem:
                form.add_error(None, problem.localized())
                status = problem.status_code
            else:
                version = result.version
                if result.created:
                    messages.success(
                        request,
                        _(
                            "Version %(number)s wurde als Entwurf angelegt. "
                            "Bitte prüfen und dann veröffentlichen."
                        )
                        % {"number": version.number},
                    )
                else:
                    messages.info(
                        request,
                        _(
                            "Die Datei ist unverändert: sie entspricht Version %(number)s. "
                            "Es wurde keine neue Version angelegt."
                        )
                        % {"number": version.number},
                    )
                return HttpResponseRedirect(
                    reverse("backoffice:form-version", kwargs={"ags": authority.ags, "pk": version.pk})
                )
        else:
            status = 400
    else:
        form = XDatenfelderUploadForm(
            authority=authority, services=services, alliance_allowed=alliance_allowed
        )
    context = backoffice_context(request, authority, form=form, import_errors=import_errors)
    return render(request, "forms/staff/import.html", context, status=status)


@require_POST
@staff_page()
def form_version_publish_view(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    version = form_version_get_for_authority(user=request.user, authority=authority, pk=pk, channel=CHANNEL)
    try:
        published = form_version_publish(version=version, actor=request.user, channel=CHANNEL)
    except Problem as problem:
        if problem.status_code == 403:
            return _forbidden(request, problem.localized())
        messages.error(request, problem.localized())
    else:
        messages.success(
            request,
            _("Version %(number)s ist veröffentlicht; neue Anträge verwenden diese Version.")
            % {"number": published.number},
        )
    return HttpResponseRedirect(
        reverse("backoffice:form-version", kwargs={"ags": authority.ags, "pk": version.pk})
    )
