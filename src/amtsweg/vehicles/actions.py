"""Process actions of the Kreis road-traffic office (registered on import).

``vehicles.check`` reads the hand-over (the town's ``kfz-adressaenderung`` message), validates it,
creates one ``VehicleChange`` per plate and checks each against the register. It sets the process
variables ``nachricht_gueltig`` (the model routes an invalid message to its rejection) and
``fahrzeuge_anzahl``. An invalid message is answered at once: the reply the town will get says what
is wrong (``processes.services.handover_reply_set``); deciding "rejected" needs a caseworker (a
notice is signed by a person), so the model puts a user task before ``notice.issue``.

``vehicles.fee`` runs when the caseworker has recorded or refused every vehicle: it sets the reply
for the town (outcome per vehicle, whether the label goes to the town office), the variable
``entscheidung`` (granted, partially, rejected) and ``bescheid_text`` (the outcome and the reasons
per vehicle) for ``notice.issue``, and asks one payment of the fee per recorded vehicle
(``gebuehr_angefordert``); with no vehicle recorded there is nothing to pay.

The notice's text comes from ``bescheid_text`` (the model passes it as ``body``): a notice template
sees the case and the handed-over data, not the outcome and the reasons per vehicle, which would
otherwise be missing from the notice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amtsweg.processes.actions import Outcome, action


@action("vehicles.check", label="Fahrzeuge im Register prüfen")
def vehicles_check(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.processes.services import handover_reply_set

    from .messages import InvalidMessage
    from .services import handed_over_message, invalid_message_notice_text, vehicle_changes_check

    try:
        message = handed_over_message(run.case)
    except InvalidMessage as exc:
        errors = exc.errors[:20]
        handover_reply_set(
            case=run.case,
            reply="Die Übergabe kann nicht bearbeitet werden: " + "; ".join(errors),
            data={"error": "invalid-message", "errors": errors},
        )
        return Outcome(
            data={
                "nachricht_gueltig": False,
                "nachricht_fehler": "; ".join(errors)[:2000],
                "bescheid_text": invalid_message_notice_text(errors),
            }
        )
    rows = vehicle_changes_check(case=run.case, message=message)
    return Outcome(
        data={
            "nachricht_gueltig": True,
            "fahrzeuge_anzahl": len(rows),
            "fahrzeuge_gefunden": sum(1 for r in rows if r.register_check != "not_found"),
        }
    )


@action("vehicles.fee", label="Ergebnis festhalten und Gebühr anfordern")
def vehicles_fee(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.payments.actions import payment_request_action
    from amtsweg.processes.engine import WorkflowError
    from amtsweg.processes.services import handover_reply_set

    from .messages import InvalidMessage
    from .services import (
        VehiclePartProblem,
        address_change_fee_cents,
        handed_over_message,
        vehicle_notice_text,
        vehicle_part_result,
    )

    try:
        message = handed_over_message(run.case)
    except InvalidMessage:
        message = None
    try:
        result = vehicle_part_result(case=run.case, message=message)
    except VehiclePartProblem as exc:
        raise WorkflowError(task, exc.detail_de) from None
    handover_reply_set(case=run.case, reply=result.reply, data=result.data)
    data: dict[str, Any] = {
        "entscheidung": result.decision,
        "fahrzeuge_eingetragen": result.recorded,
        "gebuehr_angefordert": False,
        "aufkleber_buergerbuero": result.data["aufkleber_buergerbuero"],
        "bescheid_text": vehicle_notice_text(case=run.case, message=message),
    }
    if result.recorded:
        cents = address_change_fee_cents(run.case) * result.recorded
        euros = f"{Decimal(cents) / 100:.2f}"
        vehicles = "Fahrzeug" if result.recorded == 1 else "Fahrzeuge"
        outcome = payment_request_action(
            run=run,
            task=task,
            params={
                "amount": euros,
                "purpose": f"Adressänderung Zulassungsbescheinigung, {result.recorded} {vehicles}",
            },
        )
        data.update(outcome.data)
        data["gebuehr_angefordert"] = True
    return Outcome(data=data)
