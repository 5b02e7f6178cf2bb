"""Reads of the processes module for staff: process models, tasks in team inboxes, hand-overs received.

Tasks are read through ``tenancy.access`` by the task's authority; hand-overs by the receiving
authority (the sender sees them through its case). Process models: see selectors_viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from amtsweg.cases.models import Case
from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import Authority

from .models import Handover, ProcessDefinition, ProcessTask


def process_definitions_for(user: Actor) -> QuerySet[ProcessDefinition]:
    """The process models ``user`` may read: the reference models, and the variants of every authority
    of the alliances ``user`` works in (the same rule as for their versions, see selectors_viewer)."""
    visible = access.visible_authority_ids(user)
    if not visible:
        return ProcessDefinition.objects.none()
    alliances = Authority.objects.filter(pk__in=visible).values("alliance_id")
    return (
        ProcessDefinition.objects.filter(Q(authority__isnull=True) | Q(authority__alliance_id__in=alliances))
        .select_related("service", "authority")
        .order_by("service__name", "authority__name")
    )


def open_tasks_for(
    user: Actor, *, authority_id: int | None = None, team_id: int | None = None
) -> QuerySet[ProcessTask]:
    """Open tasks (user, manual and external tasks) of the authorities ``user`` works for."""
    tasks = access.scope(ProcessTask.objects.filter(state=ProcessTask.State.OPEN), user).select_related(
        "case", "team", "assignee"
    )
    if authority_id is not None:
        tasks = tasks.filter(authority_id=authority_id)
    if team_id is not None:
        tasks = tasks.filter(team_id=team_id)
    return tasks.order_by("due_at", "created_at", "id")


def task_get_for_user(user: Actor, pk: UUID, *, channel: str) -> ProcessTask:
    """One task of an authority ``user`` works for (audited as a read of the case's data); else 404."""
    return access.get_for_user(
        ProcessTask.objects.select_related("case", "team", "instance__version", "authority"),
        user,
        channel=channel,
        pk=pk,
    )


def handovers_received(user: Actor, *, authority_id: int | None = None) -> QuerySet[Handover]:
    handovers = access.scope(Handover.objects.all(), user, via="to_authority").select_related(
        "from_authority", "to_authority", "to_team", "case"
    )
    if authority_id is not None:
        handovers = handovers.filter(to_authority_id=authority_id)
    return handovers.order_by("-created_at")


def handover_get_for_user(user: Actor, pk: UUID, *, channel: str) -> Handover:
    """A hand-over the user's authority received; the sending case itself stays invisible."""
    return access.get_for_user(
        Handover.objects.select_related("from_authority", "to_authority", "to_team", "case"),
        user,
        channel=channel,
        via="to_authority",
        pk=pk,
    )


@dataclass(frozen=True)
class CasePart:
    """One authority's part of an application: a hand-over worked as a case of its own. Carries what
    the applicant and the other authority may see of it (status, reference, dates, reply), never the
    other case's data."""

    handover_id: UUID
    authority_name: str
    subject: str
    status: str
    status_label: str
    case_id: int | None
    case_reference: str
    case_status_label: str
    case_phase: str
    delivered_at: datetime | None
    answered_at: datetime | None
    reply: str


def _part(handover: Handover, authority_name: str, labels: dict[tuple[int, str], str]) -> CasePart:
    case = handover.receiving_case
    return CasePart(
        handover_id=handover.pk,
        authority_name=authority_name,
        subject=handover.subject,
        status=handover.status,
        status_label=str(handover.get_status_display()),
        case_id=case.pk if case else None,
        case_reference=case.reference if case else "",
        case_status_label=labels.get((case.service_id, case.status), case.status) if case else "",
        case_phase=case.phase if case else "",
        delivered_at=handover.delivered_at,
        answered_at=handover.answered_at,
        reply=handover.reply if handover.answered_at else "",
    )


def _status_labels(cases: list[Case]) -> dict[tuple[int, str], str]:
    from amtsweg.cases.services import status_model_for

    labels: dict[tuple[int, str], str] = {}
    for service_id in {c.service_id for c in cases}:
        for status in status_model_for(service_id):
            labels[(service_id, status.key)] = status.label
    return labels


def case_parts(case: Case) -> list[CasePart]:
    """The parts of ``case`` other authorities work as cases of their own, in hand-over order. The
    caller has already checked that the reader may see ``case`` (its applicant or its staff)."""
    handovers = list(
        Handover.objects.filter(case=case, service__isnull=False)
        .select_related("receiving_case", "to_authority")
        .order_by("created_at")
    )
    labels = _status_labels([h.receiving_case for h in handovers if h.receiving_case is not None])
    return [_part(h, h.to_authority.name, labels) for h in handovers]


def case_origin(case: Case) -> CasePart | None:
    """For a case that is another authority's part of an application: that application (sender's
    authority and reference; the hand-over's status)."""
    handover = (
        Handover.objects.filter(receiving_case=case)
        .select_related("receiving_case", "from_authority", "case")
        .first()
    )
    if handover is None:
        return None
    origin = handover.case
    return CasePart(
        handover_id=handover.pk,
        authority_name=handover.from_authority.name,
        subject=origin.title,
        status=handover.status,
        status_label=str(handover.get_status_display()),
        case_id=origin.pk,
        case_reference=origin.reference,
        case_status_label=_status_labels([origin]).get((origin.service_id, origin.status), origin.status),
        case_phase=origin.phase,
        delivered_at=handover.delivered_at,
        answered_at=handover.answered_at,
        reply=handover.reply if handover.answered_at else "",
    )
