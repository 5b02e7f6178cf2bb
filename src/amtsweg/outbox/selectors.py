"""Reads of the outbox: deliveries that need a person's attention, scoped to the acting user's authorities."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor

from . import conf
from .models import OutboxMessage

# What the staff lists may filter by: the stored states plus "attention" (failed, or pending too long).
ATTENTION = "attention"


def deliveries_for_user(
    user: Actor, *, status: str = ATTENTION, authority_id: int | None = None
) -> QuerySet[OutboxMessage]:
    """Outbox messages of the authorities ``user`` works for, newest first.

    ``status`` is a stored status or ``"attention"``: failed messages and pending ones that have waited
    longer than ``OUTBOX_OVERDUE_SECONDS`` or failed at least once: what the failed-deliveries page shows.
    """
    messages = access.scope(OutboxMessage.objects.all(), user, via="authority")
    if authority_id is not None:
        messages = messages.filter(authority_id=authority_id)
    if status == ATTENTION:
        overdue = timezone.now() - conf.overdue()
        messages = messages.filter(
            Q(status=OutboxMessage.Status.FAILED)
            | Q(status=OutboxMessage.Status.PENDING, created_at__lte=overdue)
            | (Q(status=OutboxMessage.Status.PENDING) & ~Q(last_error=""))
        )
    else:
        messages = messages.filter(status=status)
    return messages.select_related("authority").order_by("-created_at", "-id")
