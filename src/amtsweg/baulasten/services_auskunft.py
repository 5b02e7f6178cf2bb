"""The online Auskunft: the register side of an Auskunft case, from intake to the caseworker's decision.

An Auskunft is an ordinary application of service 99012004023000 (form ``baulastenauskunft.json``,
reference process ``baulastenauskunft.bpmn``). Its process calls :func:`auskunft_intake` (action
``baulasten.intake``) right after the submission: the requested parcels are resolved and looked up in
the register of the keeping authority. The caseworker then decides on the check page or through the
decision API with :func:`auskunft_decide`: the extract is snapshotted as the register holds it at that
moment, the fee of each parcel is set (``no entry`` → the register's Negativbescheinigung fee; with
entries → the register's suggestion inside its fee frame, or the caseworker's amount inside the frame)
and the process's user task "Berechtigtes Interesse prüfen" is completed with the variables
``interesse_anerkannt`` and ``gebuehr_euro``. The process then requests the fee (accepted) and issues
the notice (``baulasten.notice``, :func:`auskunft_notice_issue`).

Only :func:`auskunft_decide` completes that task: the model's next step ``baulasten.decision`` takes the
decision from the register row, so completing the task through the generic task form without a
decision fails the step and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent

from .flurstueck import Flurstueck, InvalidKennzeichen, build, display, parse_number
from .models import (
    AuskunftParcel,
    AuskunftRequest,
    Baulast,
    BaulastParcel,
    Gemarkung,
    InterestCategory,
    Parcel,
    Register,
)

LEIKA_AUSKUNFT = "99012004023000"
# The user task of the reference model that only auskunft_decide completes.
DECISION_TASK = "Activity_Interesse_pruefen"
MAX_REASON = 4000


class AuskunftProblem(Problem):
    status_code = 422
    code = "auskunft-invalid"


class AuskunftAlreadyDecided(Problem):
    status_code = 409
    code = "auskunft-decided"


# --- the requested parcels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestedParcel:
    """One row of the form's ``flurstuecke`` group: the parsed parcel, or the problem with it."""

    position: int
    gemarkung_key: str
    flur: int | None
    number: str
    flurstueck: Flurstueck | None
    error: InvalidKennzeichen | None = None

    @property
    def label(self) -> str:
        flur = f", Flur {self.flur}" if self.flur is not None else ""
        return f"Gemarkung {self.gemarkung_key[2:]}{flur}, Flurstück {self.number}"


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return None


def requested_parcels(data: dict[str, Any]) -> list[RequestedParcel]:
    """The parcels of an Auskunft's answers (form keys ``flurstuecke[].gemarkung/flur/flurstueck``)."""
    rows: list[RequestedParcel] = []
    items = data.get("flurstuecke") or []
    for position, item in enumerate(items if isinstance(items, list) else [], start=1):
        item = item if isinstance(item, dict) else {}
        key = str(item.get("gemarkung") or "").strip()
        flur = _int_or_none(item.get("flur"))
        number = str(item.get("flurstueck") or "").strip()
        try:
            zaehler, nenner = parse_number(number)
            parsed = build(land=key[:2], gemarkung=key[2:], flur=flur, zaehler=zaehler, nenner=nenner)
        except InvalidKennzeichen as exc:
            rows.append(RequestedParcel(position, key, flur, number, None, exc))
            continue
        rows.append(RequestedParcel(position, key, flur, parsed.number, parsed))
    return rows


def resolve_parcel(flurstueck: Flurstueck) -> Parcel | None:
    """The cadastre's parcel for a requested one: the exact key, or — when the Flur was not given —
    the one parcel of the Gemarkung with that number (none when the number exists in several Fluren)."""
    parcel = Parcel.objects.select_related("gemarkung").filter(kennzeichen=flurstueck.kennzeichen).first()
    if parcel is not None or flurstueck.flur is not None:
        return parcel
    candidates = list(
        Parcel.objects.select_related("gemarkung").filter(
            gemarkung__key=flurstueck.gemarkung_key,
            zaehler=flurstueck.zaehler,
            nenner=flurstueck.nenner,
        )[:2]
    )
    return candidates[0] if len(candidates) == 1 else None


def current_entries(*, register: Register, parcel: Parcel | None) -> QuerySet[Baulast]:
    """The entries of ``register`` that burden ``parcel`` now (deleted entries excluded)."""
    if parcel is None:
        return Baulast.objects.none()
    return (
        Baulast.objects.filter(
            register=register,
            deleted_on__isnull=True,
            parcel_links__parcel=parcel,
            parcel_links__role=BaulastParcel.Role.BURDENED,
        )
        .distinct()
        .order_by("sheet", "number")
    )


# --- fees ---------------------------------------------------------------------------------------------


def suggested_fee_cents(register: Register, entries: int) -> int:
    """No entry: the Negativbescheinigung fee; n entries: minimum + per entry after the first, clamped."""
    if entries <= 0:
        return register.fee_negative_cents
    fee = register.fee_extract_min_cents + register.fee_extract_per_entry_cents * (entries - 1)
    return max(register.fee_extract_min_cents, min(register.fee_extract_max_cents, fee))


def euros(cents: int) -> str:
    """``3000`` → ``"30.00"`` (the process variable and fee line format)."""
    return f"{Decimal(cents) / 100:.2f}"


@dataclass
class FeeRow:
    """One parcel as the check page shows it: what the register holds and the suggested fee."""

    position: int
    kennzeichen: str
    display: str
    result: str
    entries: list[dict[str, Any]]
    fee_cents: int
    editable: bool  # an extract's fee may be set inside the frame


@dataclass
class FeePreview:
    rows: list[FeeRow] = field(default_factory=list)
    total_cents: int = 0
    min_cents: int = 0
    max_cents: int = 0
    negative_cents: int = 0
    legal_basis: str = ""


def _entry_snapshot(entry: Baulast) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "sheet": entry.sheet,
        "number": entry.number,
        "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()),
        "text": entry.text,
        "entered_on": entry.entered_on.isoformat(),
    }


def _parcel_display(row: AuskunftParcel) -> str:
    name = row.parcel.gemarkung.name if row.parcel_id and row.parcel else None
    if name is None:
        name = Gemarkung.objects.filter(key=row.kennzeichen[:6]).values_list("name", flat=True).first()
    return display(row.kennzeichen, gemarkung_name=name)


def _lookup(request: AuskunftRequest, row: AuskunftParcel) -> tuple[str, list[dict[str, Any]]]:
    """Result and entries of one requested parcel as the register holds them now."""
    gemarkung_key = row.kennzeichen[:6]
    in_area = Gemarkung.objects.filter(
        key=gemarkung_key, town__baulasten_area__register_id=request.register_id
    ).exists()
    if not in_area:
        return AuskunftParcel.Result.UNKNOWN_PARCEL, []
    entries = [_entry_snapshot(e) for e in current_entries(register=request.register, parcel=row.parcel)]
    return (AuskunftParcel.Result.ENTRIES if entries else AuskunftParcel.Result.NO_ENTRY), entries


def auskunft_fee_preview(request: AuskunftRequest) -> FeePreview:
    """What the check page shows: each parcel with the register's entries now and the suggested fee."""
    register = request.register
    preview = FeePreview(
        min_cents=register.fee_extract_min_cents,
        max_cents=register.fee_extract_max_cents,
        negative_cents=register.fee_negative_cents,
        legal_basis=register.fee_legal_basis,
    )
    for row in request.parcels.select_related("parcel__gemarkung").order_by("position"):
        result, entries = _lookup(request, row)
        fee = (
            0
            if result == AuskunftParcel.Result.UNKNOWN_PARCEL
            else suggested_fee_cents(register, len(entries))
        )
        preview.rows.append(
            FeeRow(
                position=row.position,
                kennzeichen=row.kennzeichen,
                display=_parcel_display(row),
                result=result,
                entries=entries,
                fee_cents=fee,
                editable=result == AuskunftParcel.Result.ENTRIES,
            )
        )
        preview.total_cents += fee
    return preview


# --- intake -------------------------------------------------------------------------------------------


_SOURCES = {"xbau": AuskunftRequest.Source.XBAU, "api": AuskunftRequest.Source.API}


def auskunft_intake(*, case: Case) -> AuskunftRequest:
    """Create the Auskunft of a submitted case with its parcels, resolved and looked up (idempotent:
    a second call returns the existing one)."""
    existing = AuskunftRequest.objects.filter(case=case).first()
    if existing is not None:
        return existing
    submission = case.submission
    data: dict[str, Any] = dict(submission.data) if submission is not None else {}
    register = Register.objects.filter(authority_id=case.authority_id).first()
    if register is None:
        raise AuskunftProblem(
            f"{case.authority} führt kein Baulastenverzeichnis.",
            f"{case.authority} keeps no register of building encumbrances.",
            code="baulasten-no-register",
        )
    interest = str(data.get("interesse") or "")
    with transaction.atomic():
        request, created = AuskunftRequest.objects.get_or_create(
            case=case,
            defaults={
                "register": register,
                "authority_id": case.authority_id,
                "source": _SOURCES.get(
                    submission.channel if submission else "", AuskunftRequest.Source.PORTAL
                ),
                "interest_category": interest
                if interest in InterestCategory.values
                else InterestCategory.OTHER,
                "interest_text": str(data.get("begruendung") or "")[:MAX_REASON],
            },
        )
        if not created:
            return request
        rows = []
        for requested in requested_parcels(data):
            if requested.flurstueck is None:
                continue  # the submission check refuses these; a model without it skips them
            parcel = resolve_parcel(requested.flurstueck)
            rows.append(
                AuskunftParcel(
                    request=request,
                    position=requested.position,
                    kennzeichen=parcel.kennzeichen if parcel else requested.flurstueck.kennzeichen,
                    parcel=parcel,
                )
            )
        AuskunftParcel.objects.bulk_create(rows)
        for row in request.parcels.select_related("parcel__gemarkung"):
            result, entries = _lookup(request, row)
            row.result, row.entries_found = result, len(entries)
            row.save(update_fields=["result", "entries_found"])
    return request


# --- the decision -------------------------------------------------------------------------------------


def _clean_fees(extract_fees: dict[Any, Any] | None) -> dict[int, int]:
    cleaned: dict[int, int] = {}
    for key, value in (extract_fees or {}).items():
        try:
            position, cents = int(key), int(value)
        except (TypeError, ValueError):
            raise AuskunftProblem(
                "Die Gebühren je Flurstück müssen ganze Cent-Beträge sein.",
                "The fees per parcel must be whole amounts in cents.",
                code="auskunft-fee-invalid",
            ) from None
        cleaned[position] = cents
    return cleaned


def auskunft_decide(
    *,
    request: AuskunftRequest,
    actor: User,
    accepted: bool,
    reason: str = "",
    extract_fees: dict[int, int] | None = None,
    channel: str,
) -> AuskunftRequest:
    """Decide an Auskunft: accept (extract snapshotted, fees set) or refuse (a reason is required).

    ``extract_fees`` maps a parcel's position to the caseworker's fee in cents; only parcels with
    entries take one, and only inside the register's frame (else 422). Deciding twice is refused
    (409). Completes the process's user task "Berechtigtes Interesse prüfen" in the same transaction,
    so the fee request (accepted) or the notice (refused) follows at once."""
    from amtsweg.processes.models import ProcessTask
    from amtsweg.processes.services import process_task_complete

    if not access.can_access(actor, request.authority_id):
        raise Problem("Keine Berechtigung.", "Not allowed.", status_code=403, code="forbidden")
    reason = (reason or "").strip()
    fees = _clean_fees(extract_fees)
    if not accepted and not reason:
        raise AuskunftProblem(
            "Bitte begründen Sie die Ablehnung: Warum ist ein berechtigtes Interesse nicht dargelegt?",
            "Please give the reason for the refusal: why is no legitimate interest shown?",
            code="auskunft-reason-required",
            extra={"errors": {"reason": "required"}},
        )
    if len(reason) > MAX_REASON:
        raise AuskunftProblem(
            f"Die Begründung ist zu lang (höchstens {MAX_REASON} Zeichen).",
            f"The reason is too long (at most {MAX_REASON} characters).",
            code="auskunft-reason-too-long",
        )
    with transaction.atomic():
        locked = (
            AuskunftRequest.objects.select_for_update().select_related("register", "case").get(pk=request.pk)
        )
        if locked.decision != AuskunftRequest.Decision.PENDING:
            raise AuskunftAlreadyDecided(
                "Über diese Auskunft ist bereits entschieden.",
                "This request has already been decided.",
            )
        task = (
            ProcessTask.objects.filter(
                case_id=locked.case_id, bpmn_id=DECISION_TASK, state=ProcessTask.State.OPEN
            )
            .order_by("created_at")
            .first()
        )
        if task is None:
            raise AuskunftAlreadyDecided(
                "Die Prüfaufgabe dieser Auskunft ist nicht offen (Vorgang ohne Prozess oder abgebrochen).",
                "The check task of this request is not open (case without a process, or cancelled).",
                code="auskunft-task-not-open",
            )
        register = locked.register
        total = 0
        extract: list[dict[str, Any]] = []
        rows = list(locked.parcels.select_related("parcel__gemarkung").order_by("position"))
        known = {row.position for row in rows}
        unknown_positions = sorted(set(fees) - known)
        if unknown_positions:
            raise AuskunftProblem(
                f"Kein Flurstück an Position {unknown_positions[0]}.",
                f"No parcel at position {unknown_positions[0]}.",
                code="auskunft-fee-invalid",
            )
        for row in rows:
            result, entries = _lookup(locked, row)
            row.result, row.entries_found = result, len(entries)
            fee: int | None = None
            if accepted:
                if result == AuskunftParcel.Result.UNKNOWN_PARCEL:
                    fee = 0
                else:
                    fee = suggested_fee_cents(register, len(entries))
                if row.position in fees:
                    override = fees[row.position]
                    if result != AuskunftParcel.Result.ENTRIES:
                        if override != fee:
                            raise AuskunftProblem(
                                f"Flurstück {row.position}: Nur die Gebühr eines Auszugs kann festgesetzt "
                                "werden; ohne Eintragung gilt die Gebühr der Negativbescheinigung.",
                                f"Parcel {row.position}: only an extract's fee can be set; without an "
                                "entry the certificate's fee applies.",
                                code="auskunft-fee-not-extract",
                                extra={"position": row.position},
                            )
                    elif not register.fee_extract_min_cents <= override <= register.fee_extract_max_cents:
                        raise AuskunftProblem(
                            f"Flurstück {row.position}: Die Gebühr für einen Auszug liegt zwischen "
                            f"{euros(register.fee_extract_min_cents)} € und "
                            f"{euros(register.fee_extract_max_cents)} €.",
                            f"Parcel {row.position}: the fee for an extract lies between "
                            f"{euros(register.fee_extract_min_cents)} € and "
                            f"{euros(register.fee_extract_max_cents)} €.",
                            code="auskunft-fee-outside-frame",
                            extra={
                                "position": row.position,
                                "min_cents": register.fee_extract_min_cents,
                                "max_cents": register.fee_extract_max_cents,
                            },
                        )
                    else:
                        fee = override
                total += fee
            row.fee_cents = fee
            extract.append(
                {
                    "position": row.position,
                    "kennzeichen": row.kennzeichen,
                    "display": _parcel_display(row),
                    "result": result,
                    "entries": entries,
                    "fee_cents": fee,
                }
            )
        if accepted and total <= 0:
            raise AuskunftProblem(
                "Keines der Flurstücke liegt im Gebiet dieses Verzeichnisses; bitte lehnen Sie den "
                "Antrag mit Hinweis auf die zuständige Behörde ab.",
                "None of the parcels lies in this register's area; please refuse the request and "
                "name the responsible authority.",
                code="auskunft-nothing-to-grant",
            )
        AuskunftParcel.objects.bulk_update(rows, ["result", "entries_found", "fee_cents"])
        locked.decision = AuskunftRequest.Decision.ACCEPTED if accepted else AuskunftRequest.Decision.REFUSED
        locked.refusal_reason = "" if accepted else reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.fee_cents = total if accepted else 0
        locked.extract = extract if accepted else []
        locked.save(
            update_fields=["decision", "refusal_reason", "decided_by", "decided_at", "fee_cents", "extract"]
        )
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            authority_id=locked.authority_id,
            channel=channel,
            changes={"decision": locked.decision, "fee_cents": locked.fee_cents},
        )
        process_task_complete(task=task, data=decision_variables(locked), actor=actor, channel=channel)
    return locked


def decision_variables(request: AuskunftRequest) -> dict[str, Any]:
    """The process variables of a decided Auskunft (the gateway and ``payment.request`` read them)."""
    accepted = request.decision == AuskunftRequest.Decision.ACCEPTED
    return {
        "interesse_anerkannt": accepted,
        "gebuehr_euro": euros(request.fee_cents or 0) if accepted else "0.00",
    }


# --- the notice ---------------------------------------------------------------------------------------


def _result_line(item: dict[str, Any]) -> str:
    entries = len(item.get("entries") or [])
    if item["result"] == AuskunftParcel.Result.ENTRIES:
        what = "1 Baulast eingetragen" if entries == 1 else f"{entries} Baulasten eingetragen"
        return f"– {item['display']}: {what} (Auszug)"
    if item["result"] == AuskunftParcel.Result.NO_ENTRY:
        return f"– {item['display']}: keine Baulast eingetragen (Negativbescheinigung)"
    return f"– {item['display']}: liegt nicht im Gebiet dieses Verzeichnisses"


def notice_fee_lines(request: AuskunftRequest) -> list[dict[str, Any]]:
    lines = []
    for item in request.extract:
        if not item.get("fee_cents"):
            continue
        if item["result"] == AuskunftParcel.Result.ENTRIES:
            count = len(item["entries"])
            entries = "1 Baulast" if count == 1 else f"{count} Baulasten"
            label = f"Auszug aus dem Baulastenverzeichnis, {item['display']} ({entries})"
        else:
            label = f"Negativbescheinigung, {item['display']}"
        lines.append(
            {
                "label": label[:300],
                "legal_basis": request.register.fee_legal_basis,
                "amount": euros(item["fee_cents"]),
            }
        )
    return lines


def auskunft_notice_issue(*, case: Case, channel: str) -> Case:
    """Issue the notice of a decided Auskunft (granted: extract and fee lines; refused: the reasons)
    through ``cases.services.case_decide``, signed by the person who decided."""
    from amtsweg.cases.services import case_decide

    request = AuskunftRequest.objects.select_related("register", "decided_by").filter(case=case).first()
    if request is None or request.decision == AuskunftRequest.Decision.PENDING or request.decided_by is None:
        raise AuskunftProblem(
            "Über die Auskunft ist noch nicht entschieden.",
            "The request has not been decided yet.",
            status_code=409,
            code="auskunft-pending",
        )
    decided_on: date = timezone.localdate(request.decided_at)
    context = {
        "verzeichnis": request.register.name,
        "stand": decided_on.strftime("%d.%m.%Y"),
        "ergebnis": "\n".join(_result_line(item) for item in request.extract),
        "ablehnungsgruende": request.refusal_reason,
    }
    if request.decision == AuskunftRequest.Decision.ACCEPTED:
        return case_decide(
            case=case,
            decision="granted",
            actor=request.decided_by,
            channel=channel,
            fee_lines=notice_fee_lines(request),
            context=context,
        )
    return case_decide(
        case=case,
        decision="rejected",
        actor=request.decided_by,
        channel=channel,
        fee_lines=[],
        context=context,
    )
