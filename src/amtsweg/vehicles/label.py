"""The new address label (Adressaufkleber) for the Zulassungsbescheinigung Teil I.

After an address change the Zulassungsbehörde does not issue a new certificate: it sticks a label
with the new address into the certificate's address field. One label per recorded vehicle, as a
PDF/A page of the label's size (rendered like the notices, by ``notices.rendering``), printed from
the vehicle-part page and sent by post or handed out at the town office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.core.problems import Problem

from .messages import AddressChangeMessage
from .models import VehicleChange


@dataclass(frozen=True)
class Label:
    plate: str
    holder: str
    street: str
    postcode: str
    city: str
    recorded_on: date


def labels_for(*, case: Case, message: AddressChangeMessage) -> list[Label]:
    """One label per vehicle of ``case`` whose address change is recorded (with its new plate)."""
    holder = " ".join(part for part in (message.vornamen, message.familienname) if part)
    return [
        Label(
            plate=str(change.check_detail.get("new_plate") or change.plate),
            holder=holder,
            street=message.street_line,
            postcode=message.neue_plz,
            city=message.neuer_ort,
            recorded_on=timezone.localdate(change.recorded_at or timezone.now()),
        )
        for change in VehicleChange.objects.filter(
            case=case, outcome=VehicleChange.Outcome.RECORDED
        ).order_by("position")
    ]


def address_labels_pdf(*, case: Case, message: AddressChangeMessage) -> bytes:
    """The labels of ``case`` as one PDF (a page per label); 409 while no vehicle is recorded."""
    from amtsweg.notices.rendering import render_pdf

    labels = labels_for(case=case, message=message)
    if not labels:
        raise Problem(
            "Es ist noch kein Fahrzeug eingetragen; es gibt keinen Adressaufkleber.",
            "No vehicle is recorded yet; there is no address label.",
            status_code=409,
            code="no-label",
        )
    return render_pdf(
        template_name="vehicles/staff_label_pdf.html",
        context={"labels": labels, "authority_name": case.authority.name, "reference": case.reference},
        title=f"Adressaufkleber {case.reference}",
    )
