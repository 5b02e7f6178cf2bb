"""Objects the outbox tests deliver: a case with its applicant, a postbox message, an outbox message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from amtsweg.cases.models import Case, PostboxMessage
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.testing import World


def make_case(world: World) -> Case:
    number = Case.objects.filter(authority=world.neuss).count() + 1
    return Case.objects.create(
        authority=world.neuss,
        service=world.town_service,
        applicant=world.citizen,
        reference=f"NE-2026-{number:05d}",
        year=2026,
        number=number,
        title="Meldebescheinigung Ausstellung",
        applicant_name="Clara Citizen",
        status="received",
        submitted_at=timezone.now(),
    )


def make_postbox_message(world: World, case: Case) -> PostboxMessage:
    return PostboxMessage.objects.create(
        recipient=world.citizen,
        case=case,
        authority=world.neuss,
        kind=PostboxMessage.Kind.INFO_REQUEST,
        subject="Bitte reichen Sie Ihren Personalausweis nach",
        body="Sehr geehrte Frau Citizen, für Ihren Antrag NE-2026-00001 fehlt noch …",
    )


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    authority_id: int | None = None,
    run_after: datetime | None = None,
) -> OutboxMessage:
    with transaction.atomic():
        return outbox_enqueue(
            kind=kind,
            payload=payload or {},
            dedupe_key=key or f"{kind}:{timezone.now().timestamp()}:{OutboxMessage.objects.count()}",
            authority_id=authority_id,
            run_after=run_after,
        )
