"""Back-office pages of the process comparison: how the towns run a service side by side, its export as
a report (HTML, PDF) for the alliance's IT working group, and the heat map of waiting times per step.

Only aggregated figures and process models are shown, never a case, so every staff member of the
alliance may compare every authority of it (design4.md); the authorities outside it are no choice.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.catalog.models import Service
from amtsweg.notices.rendering import render_pdf
from amtsweg.tenancy.models import Authority

from .comparison import (
    HEAT_LEVELS,
    Comparison,
    Step,
    comparable_authorities,
    comparable_services,
    compare,
    format_duration,
    heat_legend,
    heat_markers,
    versions_in_use,
    waiting_heat,
)
from .forms_comparison import ComparisonForm
from .metrics import activity_metrics
from .models import ProcessVersion
from .steps import ordered_steps

REPORT_CSS = Path(__file__).resolve().parent / "static" / "processes" / "comparison_report.css"
FORMATS = ("", "html", "pdf")


@cache
def _report_css() -> tuple[str, str]:
    """The report's stylesheet (embedded: the downloaded file stands alone) and its CSP hash."""
    css = REPORT_CSS.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def bpmn_url(ags: str, version: ProcessVersion) -> str:
    """Where the viewer fetches the model's XML (the viewer's route, under the page's authority)."""
    return (
        reverse("backoffice:dashboard", kwargs={"ags": ags})
        + f"prozesse/versionen/{version.pk}/bpmn/?inline=1"
    )


def _diagrams(ags: str, comparison: Comparison) -> list[dict[str, Any]]:
    diagrams = []
    for column in comparison.columns:
        version = column.version.version
        if version is None:
            continue
        diagrams.append(
            {
                "column": column,
                "canvas_id": f"diagramm-{column.authority.ags}",
                "bpmn_url": bpmn_url(ags, version),
                "markers": heat_markers(version.parsed, comparison.metrics[column.authority.pk]),
                "heat_legend": heat_legend(version.parsed, comparison.metrics[column.authority.pk]),
                "title": _("Prozessmodell von %(name)s") % {"name": column.authority.name},
            }
        )
    return diagrams


def report_context(comparison: Comparison, *, generated_at: datetime | None = None) -> dict[str, Any]:
    return {
        "comparison": comparison,
        "generated_at": timezone.localtime(generated_at or timezone.now()),
        "lang": get_language() or "de",
    }


def report_html(comparison: Comparison, *, generated_at: datetime | None = None) -> str:
    """The comparison as one standalone HTML document (styles embedded, no scripts, no requests)."""
    css, _hash = _report_css()
    return render_to_string(
        "processes/comparison_report.html",
        {
            **report_context(comparison, generated_at=generated_at),
            "style": css,
            "lang": get_language() or "de",
        },
    )


def _filename(comparison: Comparison, extension: str) -> str:
    return f"prozessvergleich-{comparison.service.leika_key}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _export(comparison: Comparison, fmt: str, authority: Authority) -> HttpResponse:
    title = _("Prozessvergleich: %(service)s") % {"service": comparison.service.name}
    if fmt == "pdf":
        alliance = authority.alliance
        pdf = render_pdf(
            template_name="processes/comparison_report_pdf.html",
            context={
                **report_context(comparison),
                "sender": {"name": alliance.name if alliance else authority.name},
            },
            title=title,
            lang=get_language() or "de",
        )
        response = HttpResponse(pdf, content_type="application/pdf")
    else:
        response = HttpResponse(report_html(comparison), content_type="text/html; charset=utf-8")
        # The report embeds its stylesheet; allow exactly that one and nothing else.
        response["Content-Security-Policy"] = (
            f"default-src 'none'; style-src {_report_css()[1]}; base-uri 'none'; form-action 'none'"
        )
    response["Content-Disposition"] = f'attachment; filename="{_filename(comparison, fmt)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_page()
def comparison_page(request: HttpRequest, authority: Authority) -> HttpResponse:
    """Pick a service and two or more authorities: diagrams side by side, the structural comparison
    and the figures per step; ``format=html`` or ``format=pdf`` downloads it as a report."""
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        message = _("Das Format %(format)s gibt es nicht; möglich sind html und pdf.") % {"format": fmt[:20]}
        return render(request, "portal/error.html", {"status": 400, "message": message}, status=400)
    authorities = comparable_authorities(request.user, alliance_of=authority)
    form = ComparisonForm(
        request.GET if "leistung" in request.GET or "behoerde" in request.GET else None,
        services=comparable_services(authorities),
        authorities=authorities,
    )
    result: Comparison | None = None
    if form.is_bound and form.is_valid():
        chosen = sorted(form.cleaned_data["behoerde"], key=lambda a: (a.name, a.ags))
        result = compare(service=form.cleaned_data["leistung"], authorities=chosen)
        if fmt:
            return _export(result, fmt, authority)
    query = request.GET.copy()
    query.pop("format", None)
    context = backoffice_context(
        request,
        authority,
        form=form,
        comparison=result,
        diagrams=_diagrams(authority.ags, result) if result else [],
        export_query=query.urlencode(),
    )
    return render(request, "processes/comparison_page.html", context, status=400 if form.errors else 200)


class HeatRow:
    """One activity of the heat map table."""

    def __init__(self, step: Step, level: int | None) -> None:
        self.step = step
        self.level = level

    @property
    def level_label(self) -> str:
        return "–" if self.level is None else f"{self.level + 1} / {HEAT_LEVELS}"


@require_GET
@staff_page()
def heatmap_page(request: HttpRequest, authority: Authority, service_id: int) -> HttpResponse:
    """The model the authority uses for a service, coloured by the median waiting time per step."""
    service = get_object_or_404(Service, pk=service_id)
    in_use = versions_in_use(service=service, authorities=[authority])[authority.pk]
    metrics = activity_metrics(service=service, authorities=[authority])[authority.pk]
    rows: list[HeatRow] = []
    diagram: dict[str, Any] | None = None
    structure = in_use.structure
    if structure is not None and in_use.version is not None:
        levels = waiting_heat(structure, metrics)
        rows = [
            HeatRow(Step(node=node, metric=metrics.get(node.id)), levels.get(node.id))
            for node in ordered_steps(structure)
            if node.is_activity
        ]
        diagram = {
            "canvas_id": "heatmap",
            "bpmn_url": bpmn_url(authority.ags, in_use.version),
            "markers": heat_markers(structure, metrics),
            "heat_legend": heat_legend(structure, metrics),
            "title": _("Prozessmodell %(service)s mit Wartezeiten") % {"service": service.name},
        }
    context = backoffice_context(
        request,
        authority,
        service=service,
        in_use=in_use,
        rows=rows,
        diagram=diagram,
        unmeasured=format_duration(None),
    )
    return render(request, "processes/comparison_heatmap.html", context)
