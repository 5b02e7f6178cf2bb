"""Isolation-matrix rows for this module's routes (collected by amtsweg/tests/test_isolation_matrix.py)."""

from django.utils import timezone

from amtsweg.outbox.models import OutboxMessage
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_list, staff_read


def _failed_delivery(w: World, a: Authority) -> int:
    message, _created = OutboxMessage.objects.get_or_create(
        dedupe_key=f"matrix:{a.ags}",
        defaults={
            "kind": "email.receipt",
            "payload": {"case": 0},
            "authority": a,
            "status": OutboxMessage.Status.FAILED,
            "attempts": 8,
            "next_attempt_at": timezone.now(),
            "last_error": "SMTPServerDisconnected: Connection unexpectedly closed",
        },
    )
    return message.pk


def page_post(role: str, target: str) -> set[int]:
    """A form POST in the back office: done and redirected for the town's staff, 404 for other towns."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


ROUTES: list[Route] = [
    Route("backoffice:deliveries", lambda w, a: f"/backoffice/{a.ags}/zustellungen/", page_read),
    Route(
        "backoffice:delivery-retry",
        lambda w, a: f"/backoffice/{a.ags}/zustellungen/{_failed_delivery(w, a)}/wiederholen/",
        page_post,
        method="post",
    ),
    Route("api-staff-delivery-list", lambda w, a: "/api/v1/staff/deliveries?status=failed", staff_list),
    Route(
        "api-staff-delivery-retry",
        lambda w, a: f"/api/v1/staff/deliveries/{_failed_delivery(w, a)}/retry",
        staff_read,
        method="post",
    ),
]
