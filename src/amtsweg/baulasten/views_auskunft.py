"""Pages of the online Auskunft.

Portal ``/baulasten/auskunft/`` (public): what the Auskunft is, who may ask, the fees of each register,
the choice of the town — which names the keeping authority — and the button that starts the normal
form draft at that authority (a citizen account, at the trust level the service needs).

Back office ``<ags>/baulasten/auskuenfte/`` lists the open requests; ``…/<case_id>/`` is the check page:
the parcels with what the register holds now, the stated interest and the proof, the fee preview with
the fee inputs for extracts, accept / refuse with reason (``services_auskunft.auskunft_decide``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.models import Document
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.forms import services as form_services
from amtsweg.forms.selectors import published_form_for
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.levels import TrustLevel, highest
from amtsweg.identity.models import User
from amtsweg.identity.views import step_up_url
from amtsweg.processes.models import ProcessTask
from amtsweg.tenancy.models import Authority

from .models import AuskunftRequest, InterestCategory, RegisterArea
from .selectors_auskunft import auskunft_for_case, auskunft_requests, keeping_areas, registers_with_fees
from .services_auskunft import DECISION_TASK, LEIKA_AUSKUNFT, auskunft_decide, auskunft_fee_preview, euros

CHANNEL = "web"


# --- portal ---------------------------------------------------------------------------------------------


def _area(ags: str) -> RegisterArea | None:
    if not ags:
        return None
    return keeping_areas().filter(town__ags=ags, town__is_active=True).first()


@require_http_methods(["GET", "POST"])
def auskunft_start(request: HttpRequest) -> HttpResponse:
    service = Service.objects.filter(leika_key=LEIKA_AUSKUNFT).first()
    ags = (request.POST.get("gemeinde") or request.GET.get("gemeinde") or "").strip()
    area = _area(ags)
    keeper: Authority | None = area.register.authority if area else None
    offered = bool(
        service
        and keeper
        and ServiceOffering.objects.filter(service=service, authority=keeper, enabled=True).exists()
        and published_form_for(service=service, authority=keeper) is not None
    )
    here = reverse("portal:baulasten_auskunft_start") + ("?" + urlencode({"gemeinde": ags}) if ags else "")
    if request.method == "POST":
        if service is None or keeper is None or not offered:
            return redirect(here)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(here)
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
        version = published_form_for(service=service, authority=keeper)
        needed = highest(
            service.required_trust_level, (version.parsed.trust_level if version else None) or "none"
        )
        if not assurance_of(request).satisfies(needed):
            return redirect(step_up_url(here, needed))
        try:
            draft = form_services.draft_start(service=service, authority=keeper, applicant=user)
        except Problem as problem:
            return render(
                request,
                "portal/error.html",
                {"status": problem.status_code, "message": problem.localized()},
                status=422,
            )
        return redirect("portal:draft_step", draft.id, draft.current_step)
    needed_level = service.required_trust_level if service else "none"
    return render(
        request,
        "baulasten/auskunft_start.html",
        {
            "service": service,
            "areas": keeping_areas().filter(town__is_active=True),
            "registers": registers_with_fees(),
            "area": area,
            "keeper": keeper,
            "offered": offered,
            "ags": ags,
            "unknown_town": bool(ags) and area is None,
            "interests": InterestCategory.choices,
            "needed_text": str(TrustLevel(needed_level).label)
            if needed_level not in ("none", "normal")
            else "",
        },
    )


# --- back office ----------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_page lets only staff accounts through
    return request.user


@require_safe
@staff_page()
def auskunft_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    show_all = request.GET.get("alle") == "1"
    requests_ = auskunft_requests(user=_staff(request), authority=authority, open_only=not show_all)
    if show_all:
        requests_ = requests_.order_by("-created_at", "-pk")
    return render(
        request,
        "baulasten/auskunft_list.html",
        backoffice_context(request, authority, requests=requests_[:200], show_all=show_all),
    )


def _cents(raw: str) -> int | None:
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def _render_check(
    request: HttpRequest,
    authority: Authority,
    auskunft: AuskunftRequest,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    case = auskunft.case
    pending = auskunft.decision == AuskunftRequest.Decision.PENDING
    preview = auskunft_fee_preview(auskunft) if pending else None
    data = case.submission.data if case.submission_id and case.submission else {}
    documents = Document.objects.filter(case=case, pk__in=[str(d) for d in data.get("nachweis") or []])
    task = ProcessTask.objects.filter(case=case, bpmn_id=DECISION_TASK, state=ProcessTask.State.OPEN).first()
    shown = values or {}
    rows = [
        {
            "row": row,
            "euros": euros(row.fee_cents).replace(".", ","),
            "value": shown.get(f"gebuehr_{row.position}", euros(row.fee_cents).replace(".", ",")),
            "error": (errors or {}).get(f"gebuehr_{row.position}", ""),
        }
        for row in (preview.rows if preview else [])
    ]
    return render(
        request,
        "baulasten/auskunft_check.html",
        backoffice_context(
            request,
            authority,
            auskunft=auskunft,
            case=case,
            preview=preview,
            rows=rows,
            total_euros=euros(preview.total_cents).replace(".", ",") if preview else "",
            fee_euros=euros(auskunft.fee_cents).replace(".", ",") if auskunft.fee_cents else "",
            location=data.get("lage") or "",
            documents=documents,
            pending=pending,
            task=task,
            errors=errors or {},
            values=values or {},
            min_euros=euros(auskunft.register.fee_extract_min_cents),
            max_euros=euros(auskunft.register.fee_extract_max_cents),
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_page()
def auskunft_check(request: HttpRequest, authority: Authority, case_id: int) -> HttpResponse:
    auskunft = auskunft_for_case(user=_staff(request), authority=authority, case_id=case_id, channel=CHANNEL)
    if request.method != "POST":
        return _render_check(request, authority, auskunft)
    decision = request.POST.get("entscheidung", "")
    reason = request.POST.get("begruendung", "")
    values: dict[str, Any] = {"begruendung": reason, "entscheidung": decision}
    errors: dict[str, str] = {}
    fees: dict[int, int] = {}
    if decision not in ("annehmen", "ablehnen"):
        errors["entscheidung-annehmen"] = _("Bitte wählen Sie: Auskunft erteilen oder ablehnen.")
    for key in request.POST:
        raw = str(request.POST.get(key, ""))
        if not key.startswith("gebuehr_") or not raw.strip():
            continue
        values[key] = raw
        position = key.removeprefix("gebuehr_")
        cents = _cents(raw)
        if not position.isdigit() or cents is None:
            errors[key] = _("Bitte einen Betrag in Euro angeben, z. B. 75,00.")
        else:
            fees[int(position)] = cents
    if not errors:
        try:
            auskunft_decide(
                request=auskunft,
                actor=_staff(request),
                accepted=decision == "annehmen",
                reason=reason,
                extract_fees=fees if decision == "annehmen" else None,
                channel=CHANNEL,
            )
        except Problem as problem:
            at = problem.extra.get("position")
            field = (
                f"gebuehr_{at}"
                if at
                else ("begruendung" if "reason" in problem.code else "entscheidung-annehmen")
            )
            errors[field] = problem.localized()
            return _render_check(
                request, authority, auskunft, errors=errors, values=values, status=problem.status_code
            )
        if decision == "annehmen":
            messages.success(
                request,
                _("Auskunft erteilt: Die Gebühr ist angefordert; der Bescheid folgt nach der Zahlung."),
            )
        else:
            messages.success(request, _("Antrag abgelehnt: Der Bescheid mit den Gründen wird zugestellt."))
        return HttpResponseRedirect(reverse("backoffice:baulasten_auskunft", args=[authority.ags, case_id]))
    return _render_check(request, authority, auskunft, errors=errors, values=values, status=422)
