"""Back-office pages of process analytics: the analysis of a service's event log (directly-follows
graph, variants, conformance) and its exports as XES and CSV, for the cases the user may read."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.forms_staff import AccessibleForm, PlainSelect
from amtsweg.catalog.models import Service
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from .analytics_svg import dfg_layout
from .eventlog import (
    Analysis,
    LogFilter,
    case_traces,
    csv_stream,
    process_analysis,
    service_versions,
    xes_stream,
)

CHANNEL = "web"
XES_CONTENT_TYPE = "application/xml; charset=utf-8"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8; header=present"
SHOWN_VARIANTS = 50
DEVIATION_KINDS = {
    "unknown": gettext_lazy("nicht im Modell"),
    "unexpected": gettext_lazy("an dieser Stelle nicht vorgesehen"),
    "skipped": gettext_lazy("übersprungen"),
    "ends_early": gettext_lazy("endet vorzeitig nach"),
}


class AnalyticsFilterForm(AccessibleForm):
    """The analysis' query string: period, process version and authority. Invalid values are
    reported on the page and ignored; the exports refuse them."""

    von = forms.DateField(
        label=gettext_lazy("Eingang ab"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bis = forms.DateField(
        label=gettext_lazy("Eingang bis"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.TypedChoiceField(
        label=gettext_lazy("Prozessversion"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    behoerde = forms.ChoiceField(label=gettext_lazy("Behörde"), required=False, widget=PlainSelect)

    def __init__(self, data: Any, *, user: User, service: Service) -> None:
        super().__init__(data)
        self.user = user
        self.service = service
        versions = [
            (
                v.pk,
                f"{v.definition.authority.name if v.definition.authority else _('Referenzmodell')} "
                f"v{v.number} ({v.get_status_display()})",
            )
            for v in service_versions(user=user, service=service)
        ]
        version_field = self.fields["version"]
        assert isinstance(version_field, forms.ChoiceField)
        version_field.choices = [("", _("alle Versionen")), *versions]
        authorities = (
            access.authorities_for(user).filter(offerings__service=service).order_by("name").distinct()
        )
        self.authorities = {a.ags: a for a in authorities}
        authority_field = self.fields["behoerde"]
        assert isinstance(authority_field, forms.ChoiceField)
        authority_field.choices = [("", _("alle meine Behörden"))] + [
            (a.ags, a.name) for a in self.authorities.values()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("von"), cleaned.get("bis")
        if start and end and start > end:
            self.add_error("bis", _("Das Ende des Zeitraums liegt vor seinem Anfang."))
        return cleaned

    def log_filter(self) -> LogFilter:
        """The filter of the valid fields (invalid ones are left out)."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: data.get(name) for name in self.fields if name not in self.errors}
        date_from: date | None = valid.get("von")
        date_to: date | None = valid.get("bis")
        return LogFilter(
            service=self.service,
            date_from=date_from,
            date_to=date_to,
            version_id=valid.get("version"),
            authority=self.authorities.get(valid.get("behoerde") or ""),
        )


def _service(service_id: int) -> Service:
    return get_object_or_404(Service, pk=service_id)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_page lets only staff accounts through
    return user


def _query(request: HttpRequest) -> str:
    kept = {k: v for k, v in request.GET.items() if k in AnalyticsFilterForm.base_fields and v}
    return f"?{urlencode(kept)}" if kept else ""


@require_GET
@staff_page()
def analysis_page(request: HttpRequest, authority: Authority, service_id: int) -> HttpResponse:
    service = _service(service_id)
    user = _user(request)
    form = AnalyticsFilterForm(request.GET or None, user=user, service=service)
    if form.is_bound:
        form.is_valid()
    analysis = process_analysis(user=user, log_filter=form.log_filter())
    base = reverse("backoffice:process-analytics", args=[authority.ags, service.pk])
    context = backoffice_context(
        request,
        authority,
        service=service,
        form=form,
        analysis=analysis,
        graph=dfg_layout(analysis.dfg, label=analysis.label, start_label=_("Beginn"), end_label=_("Ende"))
        if analysis.dfg.activities
        else None,
        activity_rows=_activity_rows(analysis),
        edge_rows=_edge_rows(analysis),
        variant_rows=_variant_rows(analysis),
        variants_hidden=max(len(analysis.variants) - SHOWN_VARIANTS, 0),
        deviation_rows=_deviation_rows(analysis),
        per_activity_rows=[
            {"activity": analysis.label(a), "activity_id": a, "kind": DEVIATION_KINDS[k], "count": n}
            for (a, k), n in sorted(analysis.conformance.per_activity.items(), key=lambda i: (-i[1], i[0]))
        ],
        fitness_percent=round(analysis.conformance.fitness * 100, 1),
        xes_url=base + "export.xes" + _query(request),
        csv_url=base + "export.csv" + _query(request),
    )
    return render(request, "processes/analytics_page.html", context)


def _activity_rows(analysis: Analysis) -> list[dict[str, Any]]:
    dfg = analysis.dfg
    return [
        {
            "id": a,
            "label": analysis.label(a),
            "count": n,
            "starts": dfg.starts.get(a, 0),
            "ends": dfg.ends.get(a, 0),
        }
        for a, n in sorted(dfg.activities.items(), key=lambda i: (-i[1], analysis.label(i[0])))
    ]


def _edge_rows(analysis: Analysis) -> list[dict[str, Any]]:
    dfg = analysis.dfg
    rows = [
        {"source": _("Beginn"), "target": analysis.label(a), "count": n} for a, n in dfg.starts.most_common()
    ]
    rows += [
        {"source": analysis.label(a), "target": analysis.label(b), "count": n}
        for a, b, n in dfg.sorted_edges()
    ]
    rows += [
        {"source": analysis.label(a), "target": _("Ende"), "count": n} for a, n in dfg.ends.most_common()
    ]
    return rows


def _variant_rows(analysis: Analysis) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "steps": [analysis.label(a) for a in variant.activities],
            "count": variant.count,
            "percent": round(variant.share * 100, 1),
            "examples": variant.examples,
            "deviating": analysis.deviating_per_variant[variant.activities],
        }
        for rank, variant in enumerate(analysis.variants[:SHOWN_VARIANTS], start=1)
    ]


def _deviation_rows(analysis: Analysis) -> list[dict[str, Any]]:
    rows = []
    for reference, deviation in analysis.conformance.deviating:
        pk, ags = analysis.deviating_cases[reference]
        rows.append(
            {
                "reference": reference,
                "url": reverse("backoffice:case-detail", args=[ags, pk]),
                "kind": DEVIATION_KINDS[deviation.kind],
                "activity": analysis.label(deviation.activity) if deviation.activity else _("Beginn"),
                "missing": analysis.label(deviation.missing) if deviation.missing else "",
                "expected": [analysis.label(a) for a in deviation.expected],
                "position": deviation.position + 1,
            }
        )
    return rows


def _export(request: HttpRequest, authority: Authority, service_id: int, *, kind: str) -> HttpResponseBase:
    service = _service(service_id)
    user = _user(request)
    form = AnalyticsFilterForm(request.GET or None, user=user, service=service)
    if form.is_bound and not form.is_valid():
        message = "; ".join(
            f"{form.fields[n].label}: {' '.join(str(m) for m in e)}"
            for n, e in form.errors.items()
            if n in form.fields
        )
        return render(request, "portal/error.html", {"status": 400, "message": message}, status=400)
    log_filter = form.log_filter()
    return export_response(
        user=user, log_filter=log_filter, kind=kind, authority_id=authority.pk, channel=CHANNEL
    )


def export_response(
    *, user: User, log_filter: LogFilter, kind: str, authority_id: int | None, channel: str
) -> StreamingHttpResponse:
    """The log as a streamed download (``kind`` xes or csv); the export is recorded in the audit."""
    access.audit(
        actor=user,
        action=AuditEvent.Action.READ,
        obj=log_filter.service,
        authority_id=authority_id,
        channel=channel,
        changes={
            "export": kind,
            "from": log_filter.date_from.isoformat() if log_filter.date_from else "",
            "to": log_filter.date_to.isoformat() if log_filter.date_to else "",
            "version": log_filter.version_id,
            "authority": log_filter.authority.ags if log_filter.authority else "",
        },
    )
    traces = case_traces(user=user, log_filter=log_filter)
    if kind == "xes":
        stream, content_type = xes_stream(traces, service=log_filter.service), XES_CONTENT_TYPE
    else:
        stream, content_type = csv_stream(traces), CSV_CONTENT_TYPE
    filename = f"ereignisprotokoll-{log_filter.service.leika_key}-{timezone.localdate():%Y-%m-%d}.{kind}"
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# staff_page() is typed for HttpResponse; a streamed download is an HttpResponseBase (see the report).
@require_GET
@staff_page()
def export_xes(request: HttpRequest, authority: Authority, service_id: int) -> HttpResponseBase:
    return _export(request, authority, service_id, kind="xes")


@require_GET
@staff_page()
def export_csv(request: HttpRequest, authority: Authority, service_id: int) -> HttpResponseBase:
    return _export(request, authority, service_id, kind="csv")
