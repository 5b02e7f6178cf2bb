"""XBau downloads in the back office (0703 of an entry, 0713 of a decided Auskunft) and the portal's
bulk Auskunft page for professional users (CSV upload → preview with per-line errors → confirm →
cases with the client's references)."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.views import citizen_required, citizen_user, step_up_url
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import intake, xbau
from .models import AuskunftRequest, Baulast, InterestCategory

CHANNEL_WEB = "web"
CSV_MAX_BYTES = 1024 * 1024
COLUMNS = ["reference", "gemarkung", "flur", "flurstueck", "interesse", "begruendung"]
SESSION_BULK = "baulasten_bulk"
_FIELD_COLUMN = {
    "reference": "reference",
    "interest": "interesse",
    "reason": "begruendung",
    "location": "lage",
}


def _xml(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@staff_page()
def baulasten_entry_xbau(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    """The entry as ``baulasten.eintragung.0703`` (validated; stored as sent)."""
    entry = access.get_for_user(
        Baulast.objects.filter(authority=authority).select_related("authority"),
        request.user,
        channel=CHANNEL_WEB,
        pk=pk,
    )
    try:
        message = xbau.eintragung_message(baulast=entry, actor=request.user)
    except Problem as problem:
        return _staff_problem(request, authority, problem)
    return _xml(message.xml, f"eintragung-0703-blatt{entry.sheet}-nr{entry.number}.xml")


def _staff_problem(request: HttpRequest, authority: Authority, problem: Problem) -> HttpResponse:
    return render(
        request,
        "baulasten/bulk_staff_error.html",
        backoffice_context(request, authority, message=problem.localized(), status=problem.status_code),
        status=problem.status_code,
    )


@require_safe
@staff_page()
def baulasten_auskunft_xbau(request: HttpRequest, authority: Authority, case_id: int) -> HttpResponse:
    """The decided Auskunft as ``baulastenverzeichnis.auskunft.0713`` (409 page while undecided)."""
    auskunft = access.get_for_user(
        AuskunftRequest.objects.filter(authority=authority).select_related("case", "authority", "register"),
        request.user,
        channel=CHANNEL_WEB,
        case_id=case_id,
    )
    try:
        message = xbau.auskunft_message(request=auskunft)
    except Problem as problem:
        return _staff_problem(request, authority, problem)
    return _xml(message.xml, f"auskunft-0713-{auskunft.case.reference.replace('/', '-')}.xml")


# --- the bulk page ------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    datei = forms.FileField(
        label=gettext_lazy("CSV-Datei"),
        help_text=gettext_lazy(
            "Spalten: reference; gemarkung; flur; flurstueck; interesse; begruendung. "
            "Mehrere Zeilen mit demselben Zeichen (reference) ergeben einen Antrag mit mehreren Flurstücken."
        ),
    )


@dataclass
class Line:
    number: int  # line in the file (the header is line 1)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    lines: list[Line]
    items: list[intake.BatchItem]
    item_lines: list[list[int]]  # per item: the file line of each parcel
    file_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(line.errors for line in self.lines)


def _interest(value: str) -> str:
    text = value.strip()
    for choice in InterestCategory:
        if text.lower() in (choice.value, str(choice.label).lower()):
            return choice.value
    return text


def parse_csv(data: bytes) -> Parsed:
    """Rows of the upload grouped into requests by reference (file order); errors per line."""
    parsed = Parsed(lines=[], items=[], item_lines=[])
    if len(data) > CSV_MAX_BYTES:
        parsed.file_errors.append(_("Die Datei ist größer als 1 MB."))
        return parsed
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's default export in Germany
    sample = text[:2048]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        parsed.file_errors.append(_("Die Datei ist leer."))
        return parsed
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        parsed.file_errors.append(_("Es fehlen die Spalten: %(columns)s.") % {"columns": ", ".join(missing)})
        return parsed
    groups: dict[str, tuple[intake.BatchItem, list[int], Line]] = {}
    limit = settings.BAULASTEN_AUSKUNFT_BATCH_MAX
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {
            name: (row[header.index(name)].strip() if header.index(name) < len(row) else "")
            for name in header
        }
        line = Line(number=number, values=values)
        parsed.lines.append(line)
        reference = values["reference"]
        parcel = intake.ParcelInput(
            gemarkung=values["gemarkung"], flur=values["flur"] or None, flurstueck=values["flurstueck"]
        )
        if reference and reference in groups:
            item, item_lines, first = groups[reference]
            if (_interest(values["interesse"]), values["begruendung"]) not in (
                (item.interest, item.reason),
                (item.interest, ""),
            ):
                line.errors.append(
                    _("Interesse und Begründung weichen von Zeile %(line)d mit demselben Zeichen ab.")
                    % {"line": first.number}
                )
            item.parcels.append(parcel)
            item_lines.append(number)
            continue
        item = intake.BatchItem(
            reference=reference,
            parcels=[parcel],
            interest=_interest(values["interesse"]),
            reason=values["begruendung"],
            location=values.get("lage", ""),
        )
        groups[reference or f"\0{number}"] = (item, [number], line)
        parsed.items.append(item)
        parsed.item_lines.append(groups[reference or f"\0{number}"][1])
    if not parsed.items and not parsed.file_errors:
        parsed.file_errors.append(_("Die Datei enthält keine Anträge."))
    elif len(parsed.items) > limit:
        parsed.file_errors.append(
            _("Ein Sammelantrag umfasst höchstens %(limit)d Anträge (hier %(count)d).")
            % {"limit": limit, "count": len(parsed.items)}
        )
    if not parsed.has_errors:
        try:
            intake.batch_check(parsed.items)
        except intake.BatchInvalid as problem:
            by_line = {line.number: line for line in parsed.lines}
            for error in problem.extra.get("errors", []):
                lines = parsed.item_lines[error["index"]]
                path = str(error["field"]).split(".")
                if path[0] == "parcels" and len(path) > 1 and path[1].isdigit():
                    target = lines[int(path[1])]
                    column = path[2] if len(path) > 2 else "flurstueck"
                else:
                    target = lines[0]
                    column = _FIELD_COLUMN.get(path[0], path[0])
                by_line[target].errors.append(f"{column}: {error['detail']}")
    return parsed


def _bulk_gate(request: HttpRequest) -> HttpResponse | None:
    user = citizen_user(request)
    assert user is not None  # citizen_required
    # The level the Auskunft service asks for (the same the submission of each request checks).
    needed = TrustLevel(
        Service.objects.filter(leika_key=intake.LEIKA_AUSKUNFT)
        .values_list("required_trust_level", flat=True)
        .first()
        or TrustLevel.NORMAL
    )
    if not assurance_of(request).satisfies(needed):
        return redirect(step_up_url(request.get_full_path(), needed))
    try:
        intake.professional_organisation(user, assurance_of(request))
    except intake.NotProfessional as problem:
        return render(
            request, "portal/error.html", {"status": 403, "message": problem.localized()}, status=403
        )
    return None


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "columns": COLUMNS,
        "batch_max": settings.BAULASTEN_AUSKUNFT_BATCH_MAX,
        "breadcrumbs": [(_("Startseite"), "/"), (_("Baulastenauskunft: Sammelantrag"), None)],
        **extra,
    }


@require_http_methods(["GET", "POST"])
@citizen_required
def baulasten_auskunft_bulk(request: HttpRequest) -> HttpResponseBase:
    """Upload → preview (per-line errors, nothing filed) → confirm (all requests filed at once)."""
    gate = _bulk_gate(request)
    if gate is not None:
        return gate
    user = citizen_user(request)
    assert user is not None
    if request.method == "POST" and request.POST.get("aktion") == "einreichen":
        stored = request.session.get(SESSION_BULK)
        token = request.POST.get("token", "")
        if (
            not isinstance(stored, dict)
            or not token
            or not secrets.compare_digest(stored.get("token", ""), token)
        ):
            return render(
                request,
                "baulasten/bulk_upload.html",
                _context(form=UploadForm(), expired=True),
                status=409,
            )
        items = [
            intake.BatchItem(
                reference=i["reference"],
                parcels=[intake.ParcelInput(**p) for p in i["parcels"]],
                interest=i["interest"],
                reason=i["reason"],
                location=i.get("location", ""),
            )
            for i in stored["items"]
        ]
        try:
            results = intake.auskunft_file_batch(
                applicant=user,
                items=items,
                channel=CHANNEL_WEB,
                assurance=assurance_of(request),
                idempotency_key=f"bulk-page:{token}",  # a double click files nothing twice
            )
        except Problem as problem:
            return render(
                request,
                "baulasten/bulk_upload.html",
                _context(form=UploadForm(), problem=problem.localized()),
                status=problem.status_code if problem.status_code < 500 else 422,
            )
        return render(request, "baulasten/bulk_result.html", _context(results=results))
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["datei"]
            parsed = parse_csv(upload.read(CSV_MAX_BYTES + 1))
            token = ""
            if not parsed.has_errors:
                token = secrets.token_urlsafe(16)
                request.session[SESSION_BULK] = {
                    "token": token,
                    "items": [
                        {
                            "reference": item.reference,
                            "parcels": [
                                {"gemarkung": p.gemarkung, "flur": p.flur, "flurstueck": p.flurstueck}
                                for p in item.parcels
                            ],
                            "interest": item.interest,
                            "reason": item.reason,
                            "location": item.location,
                        }
                        for item in parsed.items
                    ],
                }
            status = 422 if parsed.has_errors else 200
            return render(
                request,
                "baulasten/bulk_preview.html",
                _context(parsed=parsed, token=token, requests=len(parsed.items)),
                status=status,
            )
        error_links = [
            {"message": str(e), "target": form["datei"].auto_id} for e in form.errors.get("datei", [])
        ]
        return render(
            request, "baulasten/bulk_upload.html", _context(form=form, error_links=error_links), status=422
        )
    return render(request, "baulasten/bulk_upload.html", _context(form=UploadForm()))


@require_safe
def baulasten_auskunft_bulk_template(request: HttpRequest) -> HttpResponse:
    """A CSV template with the columns and two example rows (one request with two parcels)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    reason = "Beurkundung eines Grundstückskaufvertrags"
    writer.writerow(["UR-2026-0001", "053359", "3", "119/2", "notar", reason])
    writer.writerow(["UR-2026-0001", "Neuss", "7", "200", "notar", reason])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sammelantrag-baulastenauskunft.csv"'
    return response
