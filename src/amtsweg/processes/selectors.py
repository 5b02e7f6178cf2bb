"""Reads of the processes module for staff: process models, tasks in team inboxes, hand-overs received.

Tasks are read through ``tenancy.access`` by the task's authority; hand-overs by the receiving
authority (the sender sees them through its case). Process models: see selectors_viewer.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

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
