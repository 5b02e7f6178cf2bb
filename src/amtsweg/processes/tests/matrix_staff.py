"""Isolation-matrix rows of process models, tasks and hand-overs (pages and staff API).

A task belongs to its case's authority: its readers may read and complete it, staff of another town get
404. A hand-over belongs to the receiving authority: only its staff (and the alliance administrator)
read and answer it; the sending case stays invisible to them. Process models are shared in the
alliance (see matrix_viewer.model_read); publishing a variant needs its authority's administrator.
"""

from __future__ import annotations

from django.utils import timezone

from amtsweg.cases.tests.factories import submit_case
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_ADMINS, NEUSS_READERS, Route, World, page_read, staff_list, staff_read

from ..models import Handover, ProcessTask
from ..services import process_version_import
from .factories import model, publish_model
from .matrix_viewer import model_read


def _task(w: World, a: Authority) -> str:
    publish_model(w, model("review.bpmn"), filename="review.bpmn")
    case = submit_case(w, authority=a)
    return str(ProcessTask.objects.get(case=case, bpmn_id="pruefen").pk)


def _handover(w: World, a: Authority) -> str:
    """A hand-over received by ``a`` from a case of the other town."""
    sender = w.dormagen if a == w.neuss else w.neuss
    case = submit_case(w, authority=sender)
    task = ProcessTask.objects.create(
        case=case,
        authority=sender,
        service=case.service,
        bpmn_id="uebergabe",
        name="Prüfung",
        kind=ProcessTask.Kind.HANDOVER,
        state=ProcessTask.State.WAITING,
        created_at=timezone.now(),
    )
    handover = Handover.objects.create(
        case=case,
        task=task,
        from_authority=sender,
        to_authority=a,
        subject="Prüfung",
        data={"remark": "x"},
        created_at=timezone.now(),
    )
    return str(handover.pk)


def _draft_version(w: World, a: Authority) -> int:
    return process_version_import(
        service=w.town_service, authority=a, xml=model("review.bpmn"), filename="review.bpmn", actor=None
    ).pk


def page_action(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def page_publish(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    if role in NEUSS_ADMINS:
        return {302}
    return {403} if role in NEUSS_READERS else {404}


def api_publish(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {200} if role in NEUSS_ADMINS else {403}


ROUTES: list[Route] = [
    Route("backoffice:processes", lambda w, a: f"/backoffice/{a.ags}/prozesse/", page_read),
    Route(
        "backoffice:process-version-publish",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/versionen/{_draft_version(w, a)}/veroeffentlichen/",
        page_publish,
        method="post",
    ),
    Route("backoffice:tasks", lambda w, a: f"/backoffice/{a.ags}/aufgaben/", page_read),
    Route("backoffice:task", lambda w, a: f"/backoffice/{a.ags}/aufgaben/{_task(w, a)}/", page_read),
    Route("backoffice:handovers", lambda w, a: f"/backoffice/{a.ags}/uebergaben/", page_read),
    Route(
        "backoffice:handover", lambda w, a: f"/backoffice/{a.ags}/uebergaben/{_handover(w, a)}/", page_read
    ),
    Route(
        "backoffice:handover",
        lambda w, a: f"/backoffice/{a.ags}/uebergaben/{_handover(w, a)}/",
        page_action,
        method="post",
        data={"status": "accepted", "reply": "Matrix"},
    ),
    Route("api-staff-process-list", lambda w, a: "/api/v1/staff/processes", staff_list),
    Route(
        "api-staff-process-version",
        lambda w, a: f"/api/v1/staff/process-versions/{_draft_version(w, a)}",
        model_read,
    ),
    Route(
        "api-staff-process-version-publish",
        lambda w, a: f"/api/v1/staff/process-versions/{_draft_version(w, a)}/publish",
        api_publish,
        method="post",
    ),
    Route("api-staff-task-list", lambda w, a: "/api/v1/staff/tasks", staff_list),
    Route("api-staff-task-detail", lambda w, a: f"/api/v1/staff/tasks/{_task(w, a)}", staff_read),
    Route(
        "api-staff-task-claim",
        lambda w, a: f"/api/v1/staff/tasks/{_task(w, a)}/claim",
        staff_read,
        method="post",
    ),
    Route(
        "api-staff-task-complete",
        lambda w, a: f"/api/v1/staff/tasks/{_task(w, a)}/complete",
        staff_read,
        method="post",
        data={"data": {"vollstaendig": True}},
    ),
    Route("api-staff-handover-list", lambda w, a: "/api/v1/staff/handovers", staff_list),
    Route("api-staff-handover-detail", lambda w, a: f"/api/v1/staff/handovers/{_handover(w, a)}", staff_read),
    Route(
        "api-staff-handover-answer",
        lambda w, a: f"/api/v1/staff/handovers/{_handover(w, a)}/answer",
        staff_read,
        method="post",
        data={"status": "accepted"},
    ),
]
