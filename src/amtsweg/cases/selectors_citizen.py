"""Reads for the citizen's own account: their cases, drafts, documents and postbox.

Citizens are scoped by ownership, never by authority: every query here filters by the applicant or
recipient, so another person's id yields "not found" (404), the same as an id that does not exist.
Internal documents and internal history entries never leave this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from amtsweg.forms.models import Draft
from amtsweg.identity.models import User
from amtsweg.processes.selectors import CasePart, case_origin

from .models import (
    OPEN_PHASES,
    Case,
    CaseEvent,
    Document,
    InformationRequest,
    Phase,
    PostboxMessage,
    StatusDefinition,
)

# Whitelist, not "everything but internal": a kind added later stays hidden until decided here.
CITIZEN_DOCUMENT_KINDS = (
    Document.Kind.ATTACHMENT,
    Document.Kind.REPLY,
    Document.Kind.RECEIPT,
    Document.Kind.NOTICE,
)


# --- status labels -----------------------------------------------------------------------------


class StatusLabels:
    """Citizen-facing status labels for cases of many services, loaded in one query.

    The same rule as ``services.status_model_for``: a service's own model, or the default model when
    it has none. A status hidden from applicants shows as its phase ("in Bearbeitung") instead.
    """

    def __init__(self, service_ids: Iterable[int]) -> None:
        ids = set(service_ids)
        self._own: dict[int, dict[str, StatusDefinition]] = {}
        self._default: dict[str, StatusDefinition] = {}
        rows = StatusDefinition.objects.filter(Q(service_id__in=ids) | Q(service__isnull=True))
        for status in rows:
            if status.service_id is None:
                self._default[status.key] = status
            else:
                self._own.setdefault(status.service_id, {})[status.key] = status

    def label(self, case: Case) -> str:
        return self.label_for(service_id=case.service_id, key=case.status, phase=case.phase)

    def label_for(self, *, service_id: int, key: str, phase: str = "") -> str:
        status = (self._own.get(service_id) or self._default).get(key)
        if status is not None:
            return status.label if status.visible_to_applicant else _phase_label(status.phase)
        return _phase_label(phase) if phase else key


def _phase_label(phase: str) -> str:
    return str(Phase(phase).label) if phase in Phase.values else phase


def status_label_for(case: Case) -> str:
    return StatusLabels([case.service_id]).label(case)


# --- cases and drafts --------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    case: Case
    status_label: str
    open_requests: int
    # The parts other authorities work as cases of their own (one application, several parts).
    parts: list[CasePart] = field(default_factory=list)


def cases_for_citizen(*, user: User) -> QuerySet[Case]:
    """The citizen's own applications, newest first, unevaluated. A case that is another authority's
    part of one of them is listed under that application (``CaseRow.parts``), not on its own."""
    from amtsweg.processes.models import Handover

    return (
        Case.objects.filter(applicant=user)
        .exclude(handover_received__case__applicant=user)
        .annotate(has_parts=Exists(Handover.objects.filter(case=OuterRef("pk"), service__isnull=False)))
        .select_related("authority", "service")
        .order_by("-submitted_at", "-id")
    )


def case_rows(cases: Iterable[Case]) -> list[CaseRow]:
    """Cases with their live status label, number of open information requests and their parts
    (four queries for any number of cases)."""
    cases = list(cases)
    labels = StatusLabels(c.service_id for c in cases)
    open_counts: dict[int, int] = {}
    if cases:
        for case_id in InformationRequest.objects.filter(
            case__in=cases, answered_at__isnull=True
        ).values_list("case_id", flat=True):
            open_counts[case_id] = open_counts.get(case_id, 0) + 1
    parts = parts_of_cases(cases)
    return [CaseRow(c, labels.label(c), open_counts.get(c.pk, 0), parts.get(c.pk, [])) for c in cases]


def parts_of_cases(cases: list[Case]) -> dict[int, list[CasePart]]:
    """The parts of each case (``processes.selectors.case_parts`` for many cases at once), with the
    status labels the applicant sees (a status hidden from applicants shows as its phase)."""
    from amtsweg.processes.models import Handover

    # Listed cases say whether they have parts (``cases_for_citizen``): most have none, no query then.
    cases = [c for c in cases if getattr(c, "has_parts", True)]
    if not cases:
        return {}
    handovers = list(
        Handover.objects.filter(case__in=cases, service__isnull=False)
        .select_related("receiving_case", "to_authority")
        .order_by("created_at")
    )
    if not handovers:
        return {}
    labels = StatusLabels(h.receiving_case.service_id for h in handovers if h.receiving_case is not None)
    parts: dict[int, list[CasePart]] = {}
    for handover in handovers:
        received = handover.receiving_case
        parts.setdefault(handover.case_id, []).append(
            CasePart(
                handover_id=handover.pk,
                authority_name=handover.to_authority.name,
                subject=handover.subject,
                status=handover.status,
                status_label=str(handover.get_status_display()),
                case_id=received.pk if received else None,
                case_reference=received.reference if received else "",
                case_status_label=labels.label(received) if received else "",
                case_phase=received.phase if received else "",
                delivered_at=handover.delivered_at,
                answered_at=handover.answered_at,
                reply=handover.reply if handover.answered_at else "",
            )
        )
    return parts


def origin_for_citizen(*, user: User, case: Case) -> CasePart | None:
    """For the citizen's case that is a part of another application of theirs: that application."""
    origin = case_origin(case)
    if origin is None or origin.case_id is None:
        return None
    if not Case.objects.filter(pk=origin.case_id, applicant=user).exists():
        return None
    return origin


def drafts_open_for_citizen(*, user: User) -> QuerySet[Draft]:
    """Applications the citizen started but has not submitted yet, last saved first."""
    return (
        Draft.objects.filter(applicant=user, submitted_at__isnull=True)
        .select_related("service", "authority")
        .order_by("-updated_at")
    )


def case_get_for_citizen(*, user: User, pk: int) -> Case:
    """One of the citizen's own cases; 404 for any other."""
    try:
        return Case.objects.select_related("authority", "service", "submission__form_version").get(
            pk=pk, applicant=user
        )
    except Case.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    text: str


@dataclass
class CaseView:
    """Everything the citizen may see of one case."""

    case: Case
    status_label: str
    history: list[HistoryEntry]
    documents: list[Document]
    open_requests: list[InformationRequest]
    answered_requests: list[InformationRequest]
    summary: list[tuple[str, str]] = field(default_factory=list)
    parts: list[CasePart] = field(default_factory=list)
    origin: CasePart | None = None  # the application this case is a part of


def _history_text(event: CaseEvent, labels: StatusLabels, case: Case) -> str:
    if event.kind == CaseEvent.Kind.DECIDED:
        decision = dict(Case._meta.get_field("decision").flatchoices).get(
            event.detail.get("decision", ""), ""
        )
        return _("Entschieden: %(decision)s") % {"decision": decision} if decision else _("Entschieden")
    if event.kind in (CaseEvent.Kind.STATUS, CaseEvent.Kind.SUBMITTED) and event.status:
        label = labels.label_for(service_id=case.service_id, key=event.status)
        if event.kind == CaseEvent.Kind.SUBMITTED:
            return _("Antrag eingegangen (Status: %(status)s)") % {"status": label}
        return _("Neuer Status: %(status)s") % {"status": label}
    if event.kind == CaseEvent.Kind.INFO_REQUESTED:
        return _("Die Behörde hat Angaben oder Unterlagen nachgefordert.")
    if event.kind == CaseEvent.Kind.INFO_RECEIVED:
        return _("Ihre Antwort auf die Nachforderung ist eingegangen.")
    if event.kind == CaseEvent.Kind.NOTICE and event.detail.get("revoked"):
        return _("Bescheid aufgehoben")
    return str(CaseEvent.Kind(event.kind).label) if event.kind in CaseEvent.Kind.values else event.kind


def case_view_for_citizen(*, user: User, pk: int) -> CaseView:
    """The citizen's case with visible history, own documents, requests and the submitted data."""
    case = case_get_for_citizen(user=user, pk=pk)
    labels = StatusLabels([case.service_id])
    # Only the status model's label, never an internal comment or the name of a member of staff.
    events = list(case.events.filter(visible_to_applicant=True).order_by("at", "id"))
    history = [HistoryEntry(e.at, e.kind, _history_text(e, labels, case)) for e in events]
    requests = list(case.information_requests.order_by("requested_at", "id"))
    documents = list(documents_of_case_for_citizen(case=case))
    return CaseView(
        case=case,
        status_label=labels.label(case),
        history=history,
        documents=documents,
        open_requests=[r for r in requests if r.answered_at is None],
        answered_requests=[r for r in requests if r.answered_at is not None],
        summary=submission_summary(case, documents),
        parts=parts_of_cases([case]).get(case.pk, []),
        origin=origin_for_citizen(user=user, case=case),
    )


def documents_of_case_for_citizen(*, case: Case) -> QuerySet[Document]:
    return case.documents.filter(kind__in=CITIZEN_DOCUMENT_KINDS).order_by("created_at", "filename")


def information_request_get_for_citizen(*, user: User, case_pk: int, pk: int) -> InformationRequest:
    """An information request on one of the citizen's own cases; 404 for any other."""
    try:
        return InformationRequest.objects.select_related("case__authority", "case__service").get(
            pk=pk, case_id=case_pk, case__applicant=user
        )
    except InformationRequest.DoesNotExist as exc:
        raise Http404 from exc


def open_information_requests_for_citizen(*, user: User) -> QuerySet[InformationRequest]:
    """Requests still waiting for the citizen's answer, on cases that are still open."""
    return (
        InformationRequest.objects.filter(
            case__applicant=user, answered_at__isnull=True, case__phase__in=OPEN_PHASES
        )
        .select_related("case__authority")
        .order_by("requested_at", "id")
    )


def submission_summary(case: Case, documents: Iterable[Document] = ()) -> list[tuple[str, str]]:
    """The submitted answers as (question, answer) rows, as the form engine renders them.

    Repeating groups are flattened to "Kind 2 – Vorname"; file answers show the file names.
    """
    from amtsweg.forms.rendering import summary_rows  # late: the forms engine imports cases modules

    submission = case.submission
    if submission is None:
        return []
    names = {str(d.pk): d.filename for d in documents}
    rows = summary_rows(submission.form_version.parsed, submission.data, documents=names)
    return _flatten(rows, "")


def _flatten(rows: Iterable[Any], prefix: str) -> list[tuple[str, str]]:
    flat: list[tuple[str, str]] = []
    for row in rows:
        label = f"{prefix}{row.label}"
        if row.entries:
            for number, entry in enumerate(row.entries, start=1):
                flat += _flatten(entry, f"{label} {number} – " if len(row.entries) > 1 else f"{label} – ")
        else:
            flat.append((label, row.value))
    return flat


# --- documents ---------------------------------------------------------------------------------


def document_get_for_citizen(*, user: User, pk: uuid.UUID) -> Document:
    """A document of the citizen's own cases or postbox; never an internal one (404 otherwise)."""
    mine = Q(case__applicant=user) | Q(
        pk__in=PostboxMessage.objects.filter(recipient=user, document__isnull=False).values("document_id")
    )
    try:
        return Document.objects.filter(mine, kind__in=CITIZEN_DOCUMENT_KINDS).get(pk=pk)
    except Document.DoesNotExist as exc:
        raise Http404 from exc


# --- postbox -----------------------------------------------------------------------------------


def postbox_for_citizen(*, user: User) -> QuerySet[PostboxMessage]:
    """The citizen's postbox, newest first."""
    return (
        PostboxMessage.objects.filter(recipient=user)
        .select_related("authority", "case", "document")
        .order_by("-created_at", "-id")
    )


def postbox_unread_count(*, user: User) -> int:
    return PostboxMessage.objects.filter(recipient=user, read_at__isnull=True).count()


def postbox_message_get_for_citizen(*, user: User, pk: int) -> PostboxMessage:
    """One message of the citizen's own postbox; 404 for any other."""
    try:
        return PostboxMessage.objects.select_related(
            "authority", "case", "document", "information_request"
        ).get(pk=pk, recipient=user)
    except PostboxMessage.DoesNotExist as exc:
        raise Http404 from exc
