"""Reading appointments: by the secret token of the manage link."""

from __future__ import annotations

from .models import Appointment
from .services import reference_of_token, token_matches


def appointment_by_token(token: str, *, follow: bool = True) -> Appointment | None:
    """The appointment of a manage-link token, or ``None``; a moved one leads to its new time."""
    reference = reference_of_token(token)
    if reference is None:
        return None
    appointment = (
        Appointment.objects.select_related("office__office__authority", "counter")
        .filter(reference=reference)
        .first()
    )
    if appointment is None or not token_matches(appointment, token):
        return None
    seen = 0
    while follow and appointment.rescheduled_to_id is not None and seen < 50:
        appointment = Appointment.objects.select_related("office__office__authority", "counter").get(
            pk=appointment.rescheduled_to_id
        )
        seen += 1
    return appointment
