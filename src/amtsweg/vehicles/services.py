"""Services of the vehicle part of a move at the Zulassungsstelle (Kreis).

* :func:`vehicle_changes_check` (process action ``vehicles.check``): one ``VehicleChange`` per plate
  of the handed-over message, idempotently, each checked against the register adapter;
* :func:`vehicle_change_record` / :func:`vehicle_change_refuse` (staff, from the vehicle-part page or
  the staff API): the address change written to the register exactly once per vehicle — the row is
  locked and ``recorded_at`` set in the same transaction, so a double click or two caseworkers at
  once change the register once;
* :func:`vehicle_part_result`: the reply the town gets (outcome per vehicle, where the label goes).

Selectors of this part are at the end (``vehicle_changes_for``, ``handed_over_message``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amtsweg.cases.models import Case, CaseEvent, Phase
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.processes.models import Handover
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent

from .messages import AddressChangeMessage, InvalidMessage, parse_message
from .models import PlateReservation, VehicleChange
from .registers import RegisterEntry, district_prefixes, get_register

Check = VehicleChange.RegisterCheck
Outcome = VehicleChange.Outcome


class VehiclePartProblem(Problem):
    status_code = 409
    code = "vehicle-change-conflict"


# --- reading the hand-over ---------------------------------------------------------------------


def handover_of(case: Case) -> Handover | None:
    """The hand-over that ``case`` works (the town's part it received), if any."""
    return Handover.objects.filter(receiving_case=case).select_related("from_authority").first()


def handed_over_message(case: Case) -> AddressChangeMessage:
    """The validated message of ``case``'s hand-over; :class:`InvalidMessage` when there is none or
    it does not validate."""
    handover = handover_of(case)
    if handover is None:
        raise InvalidMessage(["Nachricht: Der Vorgang hat keine Übergabe einer Meldebehörde."])
    return parse_message(handover.data)


# --- the register check ------------------------------------------------------------------------


def _name_key(text: str) -> str:
    """Names compared the way the registers write them: case, accents, ß/ss and spacing ignored."""
    text = text.casefold().replace("ß", "ss")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("-", " ").split())


def holder_differences(entry: RegisterEntry, message: AddressChangeMessage) -> list[str]:
    """Which of family name, given names and birth date of the register's holder differ from the
    person who moved (empty: the same person)."""
    differences = []
    if _name_key(entry.holder_family_name) != _name_key(message.familienname):
        differences.append("familienname")
    register_given = set(_name_key(entry.holder_given_names).split())
    moved_given = set(_name_key(message.vornamen).split())
    if register_given and moved_given and not register_given & moved_given:
        differences.append("vornamen")
    if entry.holder_birth_date is not None and entry.holder_birth_date != message.geburtsdatum:
        differences.append("geburtsdatum")
    return differences


def _check(plate: str, message: AddressChangeMessage) -> tuple[str, dict[str, Any]]:
    entry = get_register().find(plate)
    if entry is None:
        return Check.NOT_FOUND, {}
    # Only what the caseworker needs to tell the vehicles apart; the register's holder data stays
    # in the register.
    detail: dict[str, Any] = {
        "make": entry.make,
        "model": entry.model,
        "district_prefix": entry.district_prefix,
    }
    differences = holder_differences(entry, message)
    if differences:
        detail["differences"] = differences
        return Check.HOLDER_MISMATCH, detail
    if not entry.in_district:
        return Check.OTHER_DISTRICT, detail
    return Check.FOUND, detail


def vehicle_changes_check(*, case: Case, message: AddressChangeMessage) -> list[VehicleChange]:
    """One ``VehicleChange`` per plate of ``message`` (created once; a repeated run finds them) and
    the register check of each row that is still open. In the caller's transaction."""
    existing = {row.plate: row for row in VehicleChange.objects.filter(case=case)}
    now = timezone.now()
    rows: list[VehicleChange] = []
    for position, plate in enumerate(message.plates):
        row = existing.get(plate)
        if row is None:
            row, _created = VehicleChange.objects.get_or_create(
                case=case, plate=plate, defaults={"position": position}
            )
        if row.outcome == Outcome.OPEN:
            row.register_check, row.check_detail = _check(plate, message)
            row.checked_at = now
            row.save(update_fields=["register_check", "check_detail", "checked_at"])
        rows.append(row)
    return rows


# --- recording (staff) -------------------------------------------------------------------------


def _require_staff(actor: User, case: Case) -> None:
    if not access.can_access(actor, case.authority_id):
        raise Problem("Keine Berechtigung.", "Not allowed.", status_code=403, code="forbidden")


def _locked(change: VehicleChange) -> VehicleChange:
    locked = VehicleChange.objects.select_for_update(of=("self",)).select_related("case").get(pk=change.pk)
    if locked.case.phase == Phase.CLOSED:
        raise VehiclePartProblem("Der Vorgang ist abgeschlossen.", "The case is closed.", code="case-closed")
    return locked


def _new_plate(text: str, *, applicant_id: int) -> str:
    from .plates import PlateInvalid, parse

    if not text.strip():
        raise VehiclePartProblem(
            "Ohne Kennzeichenmitnahme braucht das Fahrzeug ein neues Kennzeichen.",
            "Without keeping the plate the vehicle needs a new plate.",
            status_code=422,
            code="new-plate-required",
        )
    try:
        plate = parse(text).text
    except PlateInvalid as exc:
        raise VehiclePartProblem(
            exc.detail_de, exc.detail_en, status_code=422, code="new-plate-invalid"
        ) from None
    prefix = plate.split("-", 1)[0]
    if prefix not in district_prefixes():
        raise VehiclePartProblem(
            f"Das neue Kennzeichen muss mit einem Unterscheidungszeichen dieses Bezirks beginnen "
            f"({', '.join(district_prefixes())}).",
            f"The new plate must start with a prefix of this district ({', '.join(district_prefixes())}).",
            status_code=422,
            code="new-plate-wrong-district",
        )
    if get_register().plate_issued(plate):
        raise VehiclePartProblem(
            f"Das Kennzeichen {plate} ist bereits vergeben.",
            f"The plate {plate} is already issued.",
            code="plate-issued",
        )
    if (
        PlateReservation.objects.filter(
            plate=plate, status=PlateReservation.Status.ACTIVE, expires_at__gt=timezone.now()
        )
        .exclude(holder_id=applicant_id)
        .exists()
    ):
        raise VehiclePartProblem(
            f"Das Kennzeichen {plate} ist für eine andere Person reserviert.",
            f"The plate {plate} is reserved for another person.",
            code="plate-reserved",
        )
    return plate


def _work_started(case: Case, actor: User, channel: str) -> None:
    """The first vehicle decided moves a new case to "in progress", so the applicant sees it."""
    from amtsweg.cases.services import case_change_status, status_model_for

    if case.phase != Phase.NEW:
        return
    statuses = status_model_for(case.service_id)
    current = next((s for s in statuses if s.key == case.status), None)
    target = next((s for s in statuses if s.phase == Phase.IN_PROGRESS), None)
    if current is not None and target is not None and target.key in current.next_keys:
        case_change_status(case=case, status_key=target.key, actor=actor, channel=channel)


def _history(change: VehicleChange, actor: User, channel: str, changes: dict[str, Any]) -> None:
    CaseEvent.objects.create(
        case=change.case,
        actor=actor,
        kind=CaseEvent.Kind.NOTE,
        status=change.case.status,
        detail={"vehicle_change": change.pk, "plate": change.plate, **changes},
    )
    access.audit(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=change,
        authority_id=change.case.authority_id,
        channel=channel,
        changes=changes,
    )


def vehicle_change_record(
    *,
    change: VehicleChange,
    keep_plate: bool,
    actor: User,
    channel: str,
    new_plate: str = "",
    holder_verified: bool = False,
) -> VehicleChange:
    """Record the new address of one vehicle in the register, exactly once.

    The row is locked for the transaction: a second call (a double click, a colleague at the same
    moment) waits, then finds the change recorded and returns it without writing the register again.
    A vehicle from another district keeps its plate with ``keep_plate`` (Kennzeichenmitnahme), else
    it gets ``new_plate`` (this district's prefix, not issued, not reserved for someone else). A
    vehicle whose holder data differ needs ``holder_verified`` (the caseworker checked that it is the
    same person, e.g. a new family name after marriage); one not in the register cannot be recorded.
    """
    _require_staff(actor, change.case)
    with transaction.atomic():
        locked = _locked(change)
        if locked.outcome == Outcome.RECORDED:
            return locked
        if locked.outcome == Outcome.REFUSED:
            raise VehiclePartProblem(
                f"Die Adressänderung für {locked.plate} ist bereits abgelehnt.",
                f"The address change for {locked.plate} has already been refused.",
                code="already-refused",
            )
        if locked.register_check in (Check.NOT_FOUND, Check.PENDING):
            raise VehiclePartProblem(
                f"{locked.plate} ist nicht im Register; die Adressänderung kann nur abgelehnt werden.",
                f"{locked.plate} is not in the register; the address change can only be refused.",
                status_code=422,
                code="vehicle-not-found",
            )
        if locked.register_check == Check.HOLDER_MISMATCH and not holder_verified:
            raise VehiclePartProblem(
                "Die Halterdaten im Register weichen ab. Bestätigen Sie, dass Sie die Identität geprüft "
                "haben, oder lehnen Sie die Änderung ab.",
                "The holder data in the register differ. Confirm that you checked the identity, or "
                "refuse the change.",
                status_code=422,
                code="holder-not-verified",
            )
        entry = get_register().find(locked.plate)
        in_district = entry is not None and entry.in_district
        if in_district:
            keep_plate, new_plate = True, ""
        elif keep_plate:
            new_plate = ""
        else:
            new_plate = _new_plate(new_plate, applicant_id=locked.case.applicant_id)
        try:
            message = handed_over_message(locked.case)
        except InvalidMessage as exc:
            raise VehiclePartProblem(
                f"Die übergebene Nachricht ist ungültig: {exc}",
                f"The handed-over message is invalid: {exc}",
                status_code=422,
                code="message-invalid",
            ) from None
        now = timezone.now()
        result = get_register().change_address(
            plate=locked.plate,
            street=message.street_line,
            postcode=message.neue_plz,
            city=message.neuer_ort,
            moved_on=message.einzugsdatum,
            keep_plate=keep_plate,
            new_plate=new_plate or None,
            actor=actor,
        )
        if new_plate:
            # The applicant's own reservation of the plate (Wunschkennzeichen) is now allotted.
            PlateReservation.objects.filter(
                plate=result.plate, holder_id=locked.case.applicant_id, status=PlateReservation.Status.ACTIVE
            ).update(status=PlateReservation.Status.USED, ended_at=now)
        locked.keep_plate = keep_plate
        locked.outcome = Outcome.RECORDED
        locked.recorded_at = now
        locked.recorded_by = actor
        locked.reason = ""
        detail = dict(locked.check_detail)
        if result.plate != locked.plate:
            detail["new_plate"] = result.plate
        if holder_verified and locked.register_check == Check.HOLDER_MISMATCH:
            detail["holder_verified"] = True
        locked.check_detail = detail
        locked.save(
            update_fields=["keep_plate", "outcome", "recorded_at", "recorded_by", "reason", "check_detail"]
        )
        changes: dict[str, Any] = {"outcome": Outcome.RECORDED, "keep_plate": keep_plate}
        if result.plate != locked.plate:
            changes["new_plate"] = result.plate
        _history(locked, actor, channel, changes)
        _work_started(locked.case, actor, channel)
    return locked


def vehicle_change_refuse(*, change: VehicleChange, reason: str, actor: User, channel: str) -> VehicleChange:
    """Refuse the address change of one vehicle, with the reason the citizen and the town are told.
    Refusing again changes nothing; a recorded change cannot be refused any more."""
    _require_staff(actor, change.case)
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise VehiclePartProblem(
            "Bitte geben Sie eine Begründung an.",
            "Please give a reason.",
            status_code=422,
            code="reason-missing",
        )
    with transaction.atomic():
        locked = _locked(change)
        if locked.outcome == Outcome.REFUSED:
            return locked
        if locked.outcome == Outcome.RECORDED:
            raise VehiclePartProblem(
                f"Die Adressänderung für {locked.plate} ist bereits im Register eingetragen.",
                f"The address change for {locked.plate} is already recorded in the register.",
                code="already-recorded",
            )
        locked.outcome = Outcome.REFUSED
        locked.reason = reason
        locked.recorded_at = timezone.now()
        locked.recorded_by = actor
        locked.save(update_fields=["outcome", "reason", "recorded_at", "recorded_by"])
        _history(locked, actor, channel, {"outcome": Outcome.REFUSED})
        _work_started(locked.case, actor, channel)
    return locked


# --- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartResult:
    """What the Kreis answers: the decision of the case, the reply text and data for the town."""

    decision: str  # granted, partially, rejected
    recorded: int
    reply: str
    data: dict[str, Any]


def vehicle_part_result(*, case: Case, message: AddressChangeMessage | None) -> PartResult:
    """The outcome of all vehicles of ``case`` (all must be decided) as decision and reply."""
    rows = list(VehicleChange.objects.filter(case=case).order_by("position"))
    if not rows or any(r.outcome == Outcome.OPEN for r in rows):
        raise VehiclePartProblem(
            "Es sind noch nicht alle Fahrzeuge bearbeitet (eintragen oder ablehnen).",
            "Not all vehicles have been dealt with yet (record or refuse each).",
            code="vehicles-open",
        )
    recorded = [r for r in rows if r.outcome == Outcome.RECORDED]
    decision = "granted" if len(recorded) == len(rows) else "partially" if recorded else "rejected"
    at_town_office = bool(recorded) and message is not None and message.aufkleber_zustellung == "buergerbuero"
    vehicles = []
    lines = []
    for row in rows:
        item: dict[str, Any] = {"plate": row.plate, "outcome": row.outcome}
        if row.outcome == Outcome.RECORDED:
            new_plate = row.check_detail.get("new_plate")
            if new_plate:
                item["new_plate"] = new_plate
                lines.append(f"{row.plate}: Adresse geändert, neues Kennzeichen {new_plate}")
            else:
                lines.append(f"{row.plate}: Adresse geändert")
        else:
            item["reason"] = row.reason
            lines.append(f"{row.plate}: abgelehnt ({row.reason})")
        vehicles.append(item)
    if recorded:
        lines.append(
            "Die Adressaufkleber liegen zur Abholung im Bürgerbüro bereit."
            if at_town_office
            else "Die Adressaufkleber werden per Post zugestellt."
        )
    reply = f"{case.reference}: " + "; ".join(lines)
    return PartResult(
        decision=decision,
        recorded=len(recorded),
        reply=reply,
        data={"vehicles": vehicles, "aufkleber_buergerbuero": at_town_office, "reference": case.reference},
    )


def vehicle_notice_text(*, case: Case, message: AddressChangeMessage | None) -> str:
    """The body of the notice: what was done for each vehicle and, for a refused one, why (a notice
    states its reasons, § 39 VwVfG NRW), and where the address labels go."""
    rows = list(VehicleChange.objects.filter(case=case).order_by("position"))
    lines = ["Sehr geehrte Damen und Herren,", ""]
    if message is not None:
        lines.append(
            f"die Meldebehörde {message.origin.authority_name} hat uns Ihre Anmeldung einer neuen Wohnung "
            f"in {message.neue_plz} {message.neuer_ort} (Aktenzeichen {message.origin.reference}) mit "
            "Ihren Fahrzeugen übermittelt. Über die Änderung der Anschrift in der Zulassungsbescheinigung "
            "Teil I entscheiden wir wie folgt:"
        )
    else:
        lines.append(
            "über die Änderung der Anschrift in der Zulassungsbescheinigung Teil I entscheiden wir wie folgt:"
        )
    lines.append("")
    new_plates = False
    for row in rows:
        if row.outcome == Outcome.RECORDED:
            new_plate = row.check_detail.get("new_plate")
            if new_plate:
                new_plates = True
                lines.append(
                    f"- {row.plate}: Die neue Anschrift ist eingetragen; "
                    f"das neue Kennzeichen ist {new_plate}."
                )
            elif row.register_check == Check.OTHER_DISTRICT:
                lines.append(
                    f"- {row.plate}: Die neue Anschrift ist eingetragen; das bisherige Kennzeichen bleibt "
                    "(Kennzeichenmitnahme)."
                )
            else:
                lines.append(f"- {row.plate}: Die neue Anschrift ist eingetragen.")
        else:
            lines.append(f"- {row.plate}: Die Änderung wird abgelehnt. Begründung: {row.reason}")
    if any(r.outcome == Outcome.RECORDED for r in rows):
        lines.append("")
        if message is not None and message.aufkleber_zustellung == "buergerbuero":
            lines.append(
                f"Die Adressaufkleber liegen im Bürgerbüro der Meldebehörde {message.origin.authority_name} "
                "für Sie bereit."
            )
        else:
            lines.append("Die Adressaufkleber senden wir Ihnen per Post.")
        lines.append(
            "Bitte kleben Sie jeden Aufkleber in das Anschriftenfeld der Zulassungsbescheinigung Teil I "
            "des jeweiligen Fahrzeugs."
        )
        if new_plates:
            lines.append(
                "Für ein neues Kennzeichen lassen Sie bitte Kennzeichenschilder prägen und bringen Sie "
                "sie zur Abstempelung zu uns."
            )
    return "\n".join(lines)


def invalid_message_notice_text(errors: list[str]) -> str:
    """The body of the rejection when the town's message cannot be processed."""
    return "\n".join(
        [
            "Sehr geehrte Damen und Herren,",
            "",
            "Ihre Meldebehörde hat uns nach Ihrer Anmeldung Angaben zu Ihren Fahrzeugen übermittelt, "
            "die wir nicht verarbeiten können. Die Anschrift in der Zulassungsbescheinigung kann daher "
            "nicht geändert werden. Begründung:",
            "",
            *(f"- {line}" for line in errors),
            "",
            "Bitte beantragen Sie die Änderung bei uns direkt oder wenden Sie sich an Ihre Meldebehörde.",
        ]
    )


def address_change_fee_cents(case: Case) -> int:
    """The fee per recorded vehicle: a ``payments.Fee`` of the service at the authority (or the
    alliance), else ``settings.VEHICLES_ADDRESS_CHANGE_FEE_CENTS``."""
    from amtsweg.payments.fees import fee_amount, fee_for
    from amtsweg.payments.models import Fee

    fee = fee_for(case.service_id, case.authority_id, timing=Fee.Timing.ON_REQUEST)
    if fee is not None:
        return fee_amount(fee, {"anzahl_fahrzeuge": "1"})
    return int(settings.VEHICLES_ADDRESS_CHANGE_FEE_CENTS)


# --- selectors ---------------------------------------------------------------------------------


def vehicle_changes_for(case: Case) -> list[VehicleChange]:
    return list(VehicleChange.objects.filter(case=case).select_related("recorded_by").order_by("position"))
