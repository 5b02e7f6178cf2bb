"""Writes of the Heimaufsicht's facility registry: facilities (create, update, deactivate), their care
offers' capacity, operator organisations and their member accounts, and the finder's settings.

Each function is one transaction and records an audit event; callers have reached the authority (and
the facility) through ``tenancy.access``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from amtsweg.core.problems import Problem
from amtsweg.identity.models import Organisation, OrganisationMembership, User
from amtsweg.tenancy.access import Actor, audit
from amtsweg.tenancy.models import AuditEvent, Authority

from .models import CareFinder, CareOffer, CareType, Facility

CHANNEL_WEB = "web"
FACILITY_FIELDS = (
    "name",
    "street",
    "postcode",
    "town",
    "latitude",
    "longitude",
    "geocoded_from",
    "phone",
    "email",
    "report_email",
    "website",
)
FINDER_FIELDS = (
    "enabled",
    "stale_after_hours",
    "report_due_time",
    "reminders_enabled",
    "escalate_after_days",
    "contact_email",
)


class RegistryInvalid(Problem):
    """A registry change that cannot be made (400, code ``care-registry-invalid``)."""

    def __init__(self, detail_de: str, detail_en: str, *, field: str = "") -> None:
        super().__init__(
            detail_de, detail_en, code="care-registry-invalid", extra={"field": field} if field else None
        )


@dataclass(frozen=True)
class FacilityData:
    name: str
    street: str
    postcode: str
    town: str
    latitude: float
    longitude: float
    geocoded_from: str
    phone: str = ""
    email: str = ""
    report_email: str = ""
    website: str = ""


def operator_resolve(*, name: str, identifier: str, actor: Actor, authority: Authority) -> Organisation:
    """The organisation with register/tax ``identifier`` (one identifier, one organisation); created with
    ``name`` when none exists yet."""
    identifier = identifier.strip()
    if not identifier or not name.strip():
        raise RegistryInvalid(
            "Für einen neuen Träger sind Name und Register- oder Steuerkennung nötig.",
            "A new operator needs a name and a register or tax identifier.",
            field="operator_identifier",
        )
    with transaction.atomic():
        organisation, created = Organisation.objects.get_or_create(
            identifier=identifier, defaults={"name": name.strip()}
        )
        if created:
            audit(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=organisation,
                authority_id=authority.pk,
                channel=CHANNEL_WEB,
            )
    return organisation


def _check_offers(offers: dict[str, int]) -> None:
    for care_type, capacity in offers.items():
        if care_type not in CareType.values:
            raise RegistryInvalid("Unbekannte Versorgungsart.", "Unknown care type.", field=care_type)
        if capacity < 1:
            raise RegistryInvalid(
                "Ein Angebot hat mindestens einen Platz.", "An offer has at least one place.", field=care_type
            )


def facility_create(
    *,
    authority: Authority,
    actor: Actor,
    data: FacilityData,
    operator: Organisation,
    offers: dict[str, int],
) -> Facility:
    """A new facility supervised by ``authority`` with one offer per care type (capacity)."""
    if not offers:
        raise RegistryInvalid(
            "Geben Sie mindestens eine Versorgungsart mit Plätzen an.",
            "Give at least one care type with places.",
            field="offers",
        )
    _check_offers(offers)
    with transaction.atomic():
        facility = Facility.objects.create(
            authority=authority, operator=operator, **{f: getattr(data, f) for f in FACILITY_FIELDS}
        )
        CareOffer.objects.bulk_create(
            [CareOffer(facility=facility, care_type=t, capacity=c) for t, c in sorted(offers.items())]
        )
        audit(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=facility,
            authority_id=authority.pk,
            channel=CHANNEL_WEB,
            changes={"offers": offers},
        )
    return facility


def facility_update(
    *, facility: Facility, actor: Actor, data: FacilityData, operator: Organisation | None = None
) -> Facility:
    """Change the registry data of ``facility`` (and its operator); audited with the changed fields."""
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        changes: dict[str, Any] = {}
        for name in FACILITY_FIELDS:
            value = getattr(data, name)
            if getattr(locked, name) != value:
                changes[name] = [str(getattr(locked, name)), str(value)]
                setattr(locked, name, value)
        if operator is not None and operator.pk != locked.operator_id:
            changes["operator"] = [locked.operator_id, operator.pk]
            locked.operator = operator
        if changes:
            locked.save()
            audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                authority_id=locked.authority_id,
                channel=CHANNEL_WEB,
                changes=changes,
            )
    return locked


def facility_set_active(*, facility: Facility, actor: Actor, active: bool) -> Facility:
    """Deactivate (closed: hidden from search, open data and reminders; history kept) or reactivate."""
    with transaction.atomic():
        updated = Facility.objects.filter(pk=facility.pk).exclude(active=active).update(active=active)
        if updated:
            audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=facility,
                authority_id=facility.authority_id,
                channel=CHANNEL_WEB,
                changes={"active": [not active, active]},
            )
    facility.active = active
    return facility


def facility_deactivate(*, facility: Facility, actor: Actor) -> Facility:
    return facility_set_active(facility=facility, actor=actor, active=False)


def offer_set_capacity(*, facility: Facility, actor: Actor, care_type: str, capacity: int) -> CareOffer:
    """Add the care type to ``facility`` or change its capacity. A capacity below the places reported
    free right now is refused (the report would contradict it): the facility reports first."""
    _check_offers({care_type: capacity})
    with transaction.atomic():
        offer = CareOffer.objects.select_for_update().filter(facility=facility, care_type=care_type).first()
        if offer is None:
            offer = CareOffer.objects.create(facility=facility, care_type=care_type, capacity=capacity)
            changes: dict[str, Any] = {"offer": care_type, "capacity": [None, capacity]}
        else:
            if offer.free_now is not None and capacity < offer.free_now:
                raise RegistryInvalid(
                    f"Die Einrichtung meldet derzeit {offer.free_now} freie Plätze; weniger Plätze insgesamt "
                    "sind erst nach einer neuen Meldung möglich.",
                    f"The facility currently reports {offer.free_now} free places; a lower capacity needs "
                    "a new report first.",
                    field="capacity",
                )
            changes = {"offer": care_type, "capacity": [offer.capacity, capacity]}
            offer.capacity = capacity
            offer.save(update_fields=["capacity"])
        audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=facility,
            authority_id=facility.authority_id,
            channel=CHANNEL_WEB,
            changes=changes,
        )
    return offer


def operator_member_add(*, facility: Facility, actor: Actor, email: str) -> OrganisationMembership:
    """Link the portal account with ``email`` to the facility's operator: it may then report for all of
    the operator's facilities. The account registers itself in the portal first; staff accounts are
    refused (an operator account is a portal account)."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None or not user.is_active:
        raise RegistryInvalid(
            "Es gibt kein aktives Konto mit dieser E-Mail-Adresse. Die Person registriert sich zuerst im "
            "Portal.",
            "There is no active account with this e-mail address. The person registers in the portal first.",
            field="email",
        )
    if user.is_staff_account:
        raise RegistryInvalid(
            "Dienstkonten können nicht für einen Träger melden.",
            "Staff accounts cannot report for an operator.",
            field="email",
        )
    with transaction.atomic():
        membership, created = OrganisationMembership.objects.get_or_create(
            organisation_id=facility.operator_id, user=user
        )
        if created:
            audit(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=membership,
                authority_id=facility.authority_id,
                channel=CHANNEL_WEB,
            )
    return membership


def operator_member_remove(*, facility: Facility, actor: Actor, membership_id: int) -> None:
    with transaction.atomic():
        membership = OrganisationMembership.objects.filter(
            pk=membership_id, organisation_id=facility.operator_id
        ).first()
        if membership is None:
            return
        audit(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            obj=membership,
            authority_id=facility.authority_id,
            channel=CHANNEL_WEB,
        )
        membership.delete()


def finder_save(*, authority: Authority, actor: Actor, values: dict[str, Any]) -> CareFinder:
    """Create the authority's finder or change its settings (``FINDER_FIELDS``)."""
    with transaction.atomic():
        finder, created = CareFinder.objects.select_for_update().get_or_create(authority=authority)
        changes = {
            k: [str(getattr(finder, k)), str(v)]
            for k, v in values.items()
            if k in FINDER_FIELDS and getattr(finder, k) != v
        }
        for key in changes:
            setattr(finder, key, values[key])
        if changes or created:
            finder.full_clean()
            finder.save()
            audit(
                actor=actor,
                action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
                obj=finder,
                authority_id=authority.pk,
                channel=CHANNEL_WEB,
                changes=changes,
            )
    return finder
