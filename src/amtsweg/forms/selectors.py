"""Reads of form definitions: which form a citizen fills in, and which forms staff may see or change.

Alliance forms (``authority`` empty) are shared by every authority that offers the service; a
variant belongs to one authority and is scoped through ``tenancy.access`` like all its data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import Authority

from .models import FormDefinition, FormVersion


def published_form_for(*, service: Service, authority: Authority | None) -> FormVersion | None:
    """The published form version a citizen of ``authority`` fills in for ``service``.

    The authority's variant wins when it has a published version; otherwise the alliance form.
    """
    condition = Q(definition__authority__isnull=True)
    if authority is not None:
        condition |= Q(definition__authority=authority)
    return (
        FormVersion.objects.filter(
            condition, definition__service=service, status=FormVersion.Status.PUBLISHED
        )
        .select_related("definition__service", "definition__authority")
        .order_by(F("definition__authority").asc(nulls_last=True))
        .first()
    )


def may_change_forms_of(user: Actor, authority: Authority | int | None) -> bool:
    """Variants of ``authority``: its administrators; alliance forms (``None``): alliance administrators."""
    if authority is None:
        return access.administers_alliance(user)
    return access.can_access(user, authority, administer=True)


def may_change_form(user: Actor, definition: FormDefinition) -> bool:
    return may_change_forms_of(user, definition.authority_id)


def _offered_service_ids(user: Actor) -> QuerySet[ServiceOffering, int]:
    return access.scope(ServiceOffering.objects.all(), user).values_list("service_id", flat=True)


def alliance_forms_for(user: Actor) -> QuerySet[FormDefinition]:
    """Alliance forms ``user`` may read: of services their authorities offer (all for alliance admins)."""
    alliance_forms = FormDefinition.objects.filter(authority__isnull=True)
    if access.administers_alliance(user):
        return alliance_forms
    return alliance_forms.filter(service_id__in=_offered_service_ids(user))


def form_definitions_for(user: Actor) -> QuerySet[FormDefinition]:
    """Every form ``user`` may read: the alliance forms of :func:`alliance_forms_for` and own variants."""
    variants = access.scope(FormDefinition.objects.filter(authority__isnull=False), user)
    return FormDefinition.objects.filter(
        Q(pk__in=alliance_forms_for(user).values("pk")) | Q(pk__in=variants.values("pk"))
    )


def form_definition_get(*, user: Actor, pk: int, channel: str) -> FormDefinition:
    """One form ``user`` may read (reads of variants are audited); :class:`Http404` otherwise."""
    queryset = FormDefinition.objects.select_related("service", "authority")
    alliance_form = queryset.filter(pk=pk, pk__in=alliance_forms_for(user).values("pk")).first()
    if alliance_form is not None:
        return alliance_form
    return access.get_for_user(queryset.filter(authority__isnull=False), user, channel=channel, pk=pk)


def form_version_get(*, user: Actor, pk: int, channel: str) -> FormVersion:
    """One form version ``user`` may read (reads of variants are audited); :class:`Http404` otherwise."""
    queryset = FormVersion.objects.select_related("definition__service", "definition__authority")
    alliance_version = queryset.filter(pk=pk, definition__in=alliance_forms_for(user).values("pk")).first()
    if alliance_version is not None:
        return alliance_version
    return access.get_for_user(
        queryset.filter(definition__authority__isnull=False),
        user,
        channel=channel,
        via="definition__authority",
        pk=pk,
    )


def form_version_get_for_authority(
    *, user: Actor, authority: Authority, pk: int, channel: str
) -> FormVersion:
    """A version as seen from ``authority``'s back office: its own variants and the alliance forms of
    services it offers. ``authority`` must already be one ``user`` works for (``staff_page``)."""
    queryset = FormVersion.objects.select_related("definition__service", "definition__authority")
    offered = access.scope(ServiceOffering.objects.filter(authority=authority), user).values("service_id")
    alliance_version = queryset.filter(
        pk=pk, definition__authority__isnull=True, definition__service_id__in=offered
    ).first()
    if alliance_version is not None:
        return alliance_version
    return access.get_for_user(
        queryset.filter(definition__authority=authority),
        user,
        channel=channel,
        via="definition__authority",
        pk=pk,
    )


@dataclass
class OfferingForms:
    """The forms that apply to one offering: the alliance form and the authority's own variant."""

    offering: ServiceOffering
    alliance: FormDefinition | None = None
    variant: FormDefinition | None = None

    @property
    def live(self) -> FormVersion | None:
        """The version citizens get (same rule as :func:`published_form_for`, from prefetched versions)."""
        for definition in (self.variant, self.alliance):
            if definition is not None:
                for version in definition.versions.all():
                    if version.status == FormVersion.Status.PUBLISHED:
                        return version
        return None


def forms_of_authority(*, user: Actor, authority: Authority) -> list[OfferingForms]:
    """For each service ``authority`` offers: its alliance form and the authority's variant, with versions."""
    offerings = list(
        access.scope(ServiceOffering.objects.filter(authority=authority), user)
        .select_related("service")
        .order_by("service__name", "service__leika_key")
    )
    definitions = (
        FormDefinition.objects.filter(service_id__in=[o.service_id for o in offerings])
        .filter(Q(authority__isnull=True) | Q(authority=authority))
        # The list shows numbers and states only; the definitions themselves can be large.
        .prefetch_related(Prefetch("versions", queryset=FormVersion.objects.defer("schema")))
    )
    by_service: dict[int, OfferingForms] = {o.service_id: OfferingForms(offering=o) for o in offerings}
    for definition in definitions:
        entry = by_service[definition.service_id]
        if definition.authority_id is None:
            entry.alliance = definition
        else:
            entry.variant = definition
    return list(by_service.values())
