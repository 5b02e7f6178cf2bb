"""Writes to the catalogue: every change of an authority's offering is checked and audited here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from amtsweg.core.problems import Problem
from amtsweg.tenancy.access import Actor, audit, can_access
from amtsweg.tenancy.models import AuditEvent, Office

from .models import ServiceOffering

OFFERING_EDITABLE_FIELDS = ("enabled", "maturity", "online_url", "contact_email", "contact_phone", "office")


def offering_update(
    *, offering: ServiceOffering, actor: Actor, data: dict[str, Any], channel: str
) -> ServiceOffering:
    """Change how ``offering``'s authority offers its service; only its administrators may do so."""
    if not can_access(actor, offering.authority_id, administer=True):
        raise Problem(
            "Nur die Administration der Behörde darf das Angebot ändern.",
            "Only the authority's administrators may change the offering.",
            status_code=403,
            code="permission-denied",
        )
    unknown = set(data) - set(OFFERING_EDITABLE_FIELDS)
    if unknown:
        raise Problem(
            f"Nicht änderbare Felder: {', '.join(sorted(unknown))}.",
            f"Fields that cannot be changed: {', '.join(sorted(unknown))}.",
        )
    office = data.get("office")
    if isinstance(office, Office) and office.authority_id != offering.authority_id:
        raise Problem(
            "Die Dienststelle gehört zu einer anderen Behörde.",
            "The office belongs to another authority.",
            code="office-of-other-authority",
        )
    changes: dict[str, Any] = {}
    with transaction.atomic():
        locked = ServiceOffering.objects.select_for_update().get(pk=offering.pk)
        for field, value in data.items():
            old = getattr(locked, field)
            if old != value:
                changes[field] = [_plain(old), _plain(value)]
                setattr(locked, field, value)
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
            audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                authority_id=locked.authority_id,
                channel=channel,
                changes=changes,
            )
    return locked


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    return value
