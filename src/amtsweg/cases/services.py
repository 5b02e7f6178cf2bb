"""Writes of the cases module: submission, case creation and every step of working a case.

Each function is one transaction; side effects (PDFs, e-mail) are queued in the outbox inside it.
Callers pass objects they have already looked up through ``tenancy.access`` (staff) or filtered by
applicant (citizens); the functions check the actor's right once more, so a wrong call cannot write.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.levels import TrustLevel, highest
from amtsweg.identity.models import User
from amtsweg.identity.selectors import organisation_for
from amtsweg.outbox.services import OutboxRequest, outbox_enqueue, outbox_enqueue_many
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority, Team

from .checks import run_submission_checks
from .models import (
    Case,
    CaseEvent,
    CaseNote,
    Document,
    InformationRequest,
    Phase,
    PostboxMessage,
    ReferenceCounter,
    StatusDefinition,
    Submission,
)
from .statuses import DEFAULT_STATUSES


class InvalidSubmission(Problem):
    """The draft's answers are incomplete or invalid; ``extra["errors"]`` maps field paths to messages."""

    status_code = 422
    code = "invalid-answers"


class TrustLevelTooLow(Problem):
    """The applicant's login is weaker than the service (or form) requires: log in more strongly first."""

    status_code = 403
    code = "trust-level-too-low"


class TransitionNotAllowed(Problem):
    status_code = 409
    code = "transition-not-allowed"


class CaseClosed(Problem):
    status_code = 409
    code = "case-closed"


# --- status model ------------------------------------------------------------------------------


def status_model_for(service: Service | int) -> list[StatusDefinition]:
    """The statuses of ``service`` in order: its own model, or the default model if it has none."""
    service_id = service if isinstance(service, int) else service.pk
    rows = list(
        StatusDefinition.objects.filter(Q(service_id=service_id) | Q(service__isnull=True)).order_by("order")
    )
    own = [row for row in rows if row.service_id == service_id]
    default = [row for row in rows if row.service_id is None]
    return own or default or ensure_default_status_model()


def ensure_default_status_model() -> list[StatusDefinition]:
    """The default status model; recreated if it was deleted, because every case needs one."""
    default = list(StatusDefinition.objects.filter(service__isnull=True).order_by("order"))
    if default:
        return default
    for key, de, en, phase, order, next_keys in DEFAULT_STATUSES:
        StatusDefinition.objects.get_or_create(
            service=None,
            key=key,
            defaults={"label_de": de, "label_en": en, "phase": phase, "order": order, "next_keys": next_keys},
        )
    return list(StatusDefinition.objects.filter(service__isnull=True).order_by("order"))


def _status_for_phase(statuses: Sequence[StatusDefinition], phase: str) -> StatusDefinition:
    for status in statuses:
        if status.phase == phase:
            return status
    raise Problem(
        f"Das Statusmodell hat keinen Status der Phase „{phase}“.",
        f"The status model has no status of phase {phase!r}.",
        status_code=500,
        code="status-model-incomplete",
    )


# --- submission --------------------------------------------------------------------------------


def submission_submit(
    *, draft: Draft, actor: User, channel: str, assurance: Assurance, entered_by: User | None = None
) -> Submission:
    """Submit ``draft``: validate it once more, store the submission and create the case.

    ``actor`` is the applicant; ``entered_by`` the clerk who entered it at the counter for them (the
    case history and the process start name the clerk).

    ``assurance`` is how the applicant logged in (``identity.assurance.assurance_of``): below the
    level the service and its form need, nothing is stored (``TrustLevelTooLow``, the caller asks
    for a stronger login); otherwise level and method are recorded on the submission.

    Atomic and idempotent: the draft row is locked first, so a double click, a retry after a
    timeout or twenty concurrent requests produce exactly one submission and one case; every
    repeat returns the same submission. Nothing is stored when validation fails.
    """
    # Imported here: forms.services imports cases.documents, which imports this module's models.
    from amtsweg.forms.engine import clean_all
    from amtsweg.forms.services import draft_uploads
    from amtsweg.payments.services import payment_required_check, payments_attach
    from amtsweg.processes.services import process_start  # processes depend on cases' models

    if draft.applicant_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = Draft.objects.select_for_update().select_related("form_version", "service").get(pk=draft.pk)
        if locked.submitted_at is not None:
            return Submission.objects.select_related("case").get(draft=locked)
        version: FormVersion = locked.form_version
        # The final gate: everything validated again; answers of steps or fields hidden by later
        # changes are dropped (data minimisation), and file answers must be this draft's documents.
        uploads = draft_uploads(locked)
        data, errors = clean_all(version.parsed, locked.data, uploads=uploads)
        if errors:
            raise InvalidSubmission(
                "Der Antrag ist noch nicht vollständig. Bitte prüfen Sie die markierten Angaben.",
                "The application is not complete yet. Please check the marked answers.",
                extra={"errors": errors},
            )
        needed = highest(locked.service.required_trust_level, version.parsed.trust_level or TrustLevel.NONE)
        if not assurance.satisfies(needed):
            raise TrustLevelTooLow(
                f"Für diese Leistung ist eine Anmeldung mit dem Vertrauensniveau „{needed.label}“ nötig. "
                "Bitte melden Sie sich mit einem passenden Verfahren an (z. B. Online-Ausweis).",
                f"This service needs a login at trust level '{needed.value}'. Please log in with a "
                "suitable method (e.g. the online ID card).",
                extra={"required": needed.value, "current": assurance.level.value},
            )
        payment_required_check(locked)  # a fee due before submission must be paid (or waived) first
        run_submission_checks(locked)  # a specialised service's own preconditions (cases.checks)
        organisation = organisation_for(actor, assurance.organisation_id)
        offering = (
            ServiceOffering.objects.select_related("authority", "service")
            .filter(service_id=locked.service_id, authority_id=locked.authority_id, enabled=True)
            .first()
        )
        if offering is None:
            raise InvalidSubmission(
                "Diese Leistung wird von der zuständigen Behörde derzeit nicht online angeboten.",
                "The responsible authority does not currently offer this service online.",
                code="service-not-offered",
            )
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        submission = Submission.objects.create(
            draft=locked,
            applicant=actor,
            form_version=version,
            data=data,
            data_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
            channel=channel,
            trust_level=assurance.level.value,
            login_method=assurance.method,
            organisation=organisation,
        )
        case = _case_create(
            submission=submission, offering=offering, draft=locked, actor=actor, entered_by=entered_by
        )
        payments_attach(locked, case)
        # Only files the submitted answers refer to become part of the case; an upload to a field
        # that is hidden now stays with the draft.
        referenced = [pk for pk in uploads if pk in canonical]
        if referenced:
            Document.objects.filter(draft=locked, pk__in=referenced).update(case=case)
        locked.submitted_at = submission.submitted_at
        locked.save(update_fields=["submitted_at", "updated_at"])
        outbox_enqueue_many(
            [
                OutboxRequest(kind, {"case": case.pk}, f"{kind}:{case.pk}", authority_id=case.authority_id)
                for kind in ("receipt.render", "email.receipt")
            ]
        )
        process_start(case=case, actor=entered_by or actor, channel=channel)
        _case_number(case)
    return submission


def _case_create(
    *, submission: Submission, offering: ServiceOffering, draft: Draft, actor: User, entered_by: User | None
) -> Case:
    authority = offering.authority
    service = offering.service
    now = submission.submitted_at
    year = timezone.localdate(now).year
    initial = _status_for_phase(status_model_for(service), Phase.NEW)
    case = Case.objects.create(
        authority=authority,
        service=service,
        submission=submission,
        applicant=actor,
        reference=f"~{submission.pk.hex}",  # replaced by the number before the transaction ends
        year=year,
        number=None,
        title=service.name[:300],
        applicant_name=(actor.get_full_name() or actor.email)[:200],
        status=initial.key,
        phase=initial.phase,
        team_id=offering.team_id or _default_team_id(authority),
        submitted_at=now,
    )
    CaseEvent.objects.create(
        case=case,
        actor=entered_by or actor,
        kind=CaseEvent.Kind.SUBMITTED,
        status=initial.key,
        visible_to_applicant=True,
    )
    return case


def case_open(
    *,
    authority: Authority,
    service: Service,
    applicant: User,
    title: str,
    channel: str,
    actor: User | None,
    applicant_name: str = "",
) -> Case:
    """Open a case without an online submission, in the caller's transaction: the part of an
    application another authority handed over, or a case an authority starts itself (a plate
    reservation). Numbered, in the initial status, in the offering's team; no process is started
    here (``processes.services.process_start`` does that, with the caller's process variables)."""
    offering = ServiceOffering.objects.filter(service=service, authority=authority).first()
    if offering is None:
        raise InvalidSubmission(
            f"Die Behörde „{authority.name}“ bietet die Leistung „{service.name}“ nicht an.",
            f"The authority {authority.name!r} does not offer the service {service.name!r}.",
            code="service-not-offered",
        )
    now = timezone.now()
    initial = _status_for_phase(status_model_for(service), Phase.NEW)
    with transaction.atomic():
        case = Case.objects.create(
            authority=authority,
            service=service,
            applicant=applicant,
            reference=f"~{uuid.uuid4().hex}",  # replaced by the number before the transaction ends
            year=timezone.localdate(now).year,
            number=None,
            title=(title or service.name)[:300],
            applicant_name=(applicant_name or applicant.get_full_name() or applicant.email)[:200],
            status=initial.key,
            phase=initial.phase,
            team_id=offering.team_id or _default_team_id(authority),
            submitted_at=now,
        )
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.SUBMITTED,
            status=initial.key,
            detail={"channel": channel},
            visible_to_applicant=True,
        )
        _case_number(case)
    return case


def _case_number(case: Case) -> None:
    """Give ``case`` its gap-free number and reference, as the last write of its transaction.

    The counter row stays locked until the commit, so every other submission to the same authority
    waits here; drawing the number last keeps that wait to two statements and the commit.
    """
    case.number = _next_number(authority_id=case.authority_id, year=case.year)
    case.reference = f"{case.authority.ags[-3:]}-{case.year}-{case.number:06d}"
    Case.objects.filter(pk=case.pk).update(number=case.number, reference=case.reference)


def _default_team_id(authority: Authority) -> int | None:
    """Without a team set on the offering, a town with exactly one team gets the case there."""
    ids = list(Team.objects.filter(authority=authority).values_list("pk", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


def _next_number(*, authority_id: int, year: int) -> int:
    """The next gap-free number: the counter row is locked until the case's transaction ends.

    A rolled-back submission rolls the counter back too, so no number is ever skipped. One
    ``UPDATE … RETURNING`` both locks and counts (PostgreSQL, and SQLite from 3.35).
    """
    table = ReferenceCounter._meta.db_table
    sql = f"UPDATE {table} SET last = last + 1 WHERE authority_id = %s AND year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [authority_id, year])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    try:
        with transaction.atomic():  # the first case of the year at this authority
            ReferenceCounter.objects.create(authority_id=authority_id, year=year, last=1)
            return 1
    except IntegrityError:
        pass  # a concurrent first submission created it (and holds its lock until it commits)
    with connection.cursor() as cursor:
        cursor.execute(sql, [authority_id, year])
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


# --- working a case (staff) --------------------------------------------------------------------


def _require_staff(actor: User, case: Case) -> None:
    if not access.can_access(actor, case.authority_id):
        raise PermissionDenied


def _require_open(case: Case) -> None:
    if case.phase == Phase.CLOSED:
        raise CaseClosed("Der Vorgang ist abgeschlossen.", "The case is closed.")


def _audit(actor: User | None, case: Case, channel: str, changes: dict[str, Any]) -> None:
    access.audit(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=case,
        authority_id=case.authority_id,
        channel=channel,
        changes=changes,
    )


def _set_status(case: Case, status: StatusDefinition) -> None:
    case.status = status.key
    case.phase = status.phase


def case_change_status(*, case: Case, status_key: str, actor: User, channel: str, comment: str = "") -> Case:
    """Move ``case`` to ``status_key`` if the service's status model allows that transition.

    The applicant sees the new status in "Meine Anträge"; the postbox (and its e-mail) is kept for
    what needs their attention: receipts, requests and notices.
    """
    _require_staff(actor, case)
    return _change_status(case=case, status_key=status_key, actor=actor, channel=channel, comment=comment)


def _change_status(
    *, case: Case, status_key: str, actor: User | None, channel: str, comment: str = ""
) -> Case:
    """``case_change_status`` after the actor's right was checked; ``actor`` is None for a step of
    the case's own process model (the authority's configuration), which the history shows as such."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        statuses = {s.key: s for s in status_model_for(case.service_id)}
        current = statuses.get(case.status)
        target = statuses.get(status_key)
        if target is None or current is None or status_key not in current.next_keys:
            allowed = ", ".join(current.next_keys) if current else ""
            raise TransitionNotAllowed(
                f"Von „{current.label_de if current else case.status}“ geht es nicht nach „{status_key}“ "
                f"(erlaubt: {allowed or 'keiner'}).",
                f"The case cannot move from {case.status!r} to {status_key!r} "
                f"(allowed: {allowed or 'none'}).",
                extra={"allowed": current.next_keys if current else []},
            )
        # A decision needs its notice and waiting needs a request the applicant can answer: both
        # have their own service, so a bare status change can never skip them.
        if target.phase == Phase.DECIDED:
            raise TransitionNotAllowed(
                "Entscheiden Sie den Vorgang mit „Entscheiden“; dabei entsteht der Bescheid.",
                "Decide the case with the decision action, which issues the notice.",
                code="use-decision",
            )
        if target.phase == Phase.WAITING:
            raise TransitionNotAllowed(
                "Fordern Sie fehlende Unterlagen mit „Unterlagen nachfordern“ an.",
                "Request missing information with the information request action.",
                code="use-information-request",
            )
        before = case.status
        _set_status(case, target)
        case.save(update_fields=["status", "phase", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.STATUS,
            status=target.key,
            detail={"from": before, "comment": comment[:500]} if comment else {"from": before},
            visible_to_applicant=target.visible_to_applicant,
        )
        if actor is not None:
            _audit(actor, case, channel, {"status": [before, target.key]})
        if target.phase == Phase.CLOSED:
            _closed(case)
    return case


def _closed(case: Case) -> None:
    """A closed case that is another authority's part of an application answers that hand-over
    (through the outbox, so the sender's process runs in its own transaction)."""
    from amtsweg.processes.models import Handover  # processes depend on cases' models

    handover_id = Handover.objects.filter(receiving_case=case).values_list("pk", flat=True).first()
    if handover_id is not None:
        outbox_enqueue(
            kind="processes.handover_return",
            payload={"handover": str(handover_id)},
            dedupe_key=f"handover_return:{handover_id}",
            authority_id=case.authority_id,
        )


def case_assign(*, case: Case, assignee: User | None, actor: User, channel: str) -> Case:
    """Give ``case`` to ``assignee`` (a member of the case's authority), or take it back (None)."""
    _require_staff(actor, case)
    if assignee is not None and (
        not assignee.is_staff_account or not access.can_access(assignee, case.authority_id)
    ):
        raise Problem(
            "Diese Person arbeitet nicht für die zuständige Behörde.",
            "This person does not work for the responsible authority.",
            status_code=400,
            code="assignee-not-member",
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        before = case.assignee_id
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.ASSIGNED,
            status=case.status,
            detail={"assignee": assignee.pk if assignee else None},
        )
        _audit(actor, case, channel, {"assignee": [before, assignee.pk if assignee else None]})
    return case


class AlreadyClaimed(Problem):
    status_code = 409
    code = "already-claimed"


def case_claim(*, case: Case, actor: User, channel: str) -> Case:
    """Take ``case`` into one's own work; if it is new, it goes into "in progress".

    Refused when a colleague has it already: of two people claiming at once, one gets it and the
    other is told, instead of the second silently taking it over.
    """
    _require_staff(actor, case)
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=case.pk)
        if locked.assignee_id is not None and locked.assignee_id != actor.pk:
            assert locked.assignee is not None
            raise AlreadyClaimed(
                f"{locked.assignee.get_full_name() or locked.assignee.email} bearbeitet den Vorgang bereits.",
                "A colleague is already working on this case.",
            )
        case = locked
        if case.assignee_id != actor.pk:
            case = case_assign(case=case, assignee=actor, actor=actor, channel=channel)
        if case.phase == Phase.NEW:
            statuses = status_model_for(case.service_id)
            target = _status_for_phase(statuses, Phase.IN_PROGRESS)
            current = next((s for s in statuses if s.key == case.status), None)
            if current is not None and target.key in current.next_keys:
                case = case_change_status(case=case, status_key=target.key, actor=actor, channel=channel)
    return case


def case_move_to_team(*, case: Case, team: Team | None, actor: User, channel: str) -> Case:
    """Move ``case`` to another team's inbox of the same authority."""
    _require_staff(actor, case)
    if team is not None and team.authority_id != case.authority_id:
        raise Problem(
            "Das Team gehört nicht zur zuständigen Behörde.",
            "The team does not belong to the responsible authority.",
            code="team-not-of-authority",
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        before = case.team_id
        case.team = team
        case.save(update_fields=["team", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.ASSIGNED,
            status=case.status,
            detail={"team": team.pk if team else None},
        )
        _audit(actor, case, channel, {"team": [before, team.pk if team else None]})
    return case


def cases_bulk_update(
    *,
    cases: Iterable[Case],
    actor: User,
    channel: str,
    assignee: User | None = None,
    unassign: bool = False,
    status_key: str | None = None,
) -> tuple[int, list[tuple[Case, Problem]]]:
    """Apply one action to many cases; each case on its own, so one refusal does not stop the rest.

    Returns the number of changed cases and the refusals with their reasons.
    """
    done = 0
    refused: list[tuple[Case, Problem]] = []
    for case in cases:
        try:
            if assignee is not None or unassign:
                case_assign(case=case, assignee=None if unassign else assignee, actor=actor, channel=channel)
            if status_key:
                case_change_status(case=case, status_key=status_key, actor=actor, channel=channel)
            done += 1
        except Problem as problem:
            refused.append((case, problem))
    return done, refused


def case_add_note(*, case: Case, text: str, actor: User, channel: str) -> CaseNote:
    """Add an internal note (Aktenvermerk) to ``case``."""
    _require_staff(actor, case)
    text = text.strip()
    if not text:
        raise Problem("Die Notiz ist leer.", "The note is empty.", code="empty-note")
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=actor, text=text[:10_000])
        CaseEvent.objects.create(
            case=case, actor=actor, kind=CaseEvent.Kind.NOTE, status=case.status, detail={"note": note.pk}
        )
        _audit(actor, case, channel, {"note": note.pk})
    return note


def case_request_information(
    *, case: Case, message: str, actor: User, channel: str, due_date: date | None = None
) -> InformationRequest:
    """Ask the applicant for missing information; the case waits until the answer arrives."""
    _require_staff(actor, case)
    message = message.strip()
    if not message:
        raise Problem(
            "Bitte beschreiben Sie, was fehlt.", "Please describe what is missing.", code="empty-request"
        )
    if due_date is not None and due_date < timezone.localdate():
        raise Problem(
            "Die Frist liegt in der Vergangenheit.", "The deadline is in the past.", code="due-date-past"
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _require_open(case)  # checked on the locked row: a colleague may have just decided it
        if case.phase == Phase.DECIDED:
            raise TransitionNotAllowed(
                "Der Vorgang ist bereits entschieden.",
                "The case has already been decided.",
                code="already-decided",
            )
        waiting = _status_for_phase(status_model_for(case.service_id), Phase.WAITING)
        request = InformationRequest.objects.create(
            case=case, message=message[:5000], requested_by=actor, due_date=due_date
        )
        before = case.status
        _set_status(case, waiting)
        case.save(update_fields=["status", "phase", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.INFO_REQUESTED,
            status=waiting.key,
            detail={"request": request.pk, "from": before},
            visible_to_applicant=True,
        )
        postbox_deliver(
            recipient_id=case.applicant_id,
            case=case,
            kind=PostboxMessage.Kind.INFO_REQUEST,
            subject=f"{case.title}: Unterlagen nachgefordert",
            body=request.message,
            information_request=request,
        )
        _audit(actor, case, channel, {"information_request": request.pk, "status": [before, waiting.key]})
    return request


def information_request_answer(
    *, request: InformationRequest, answer: str, documents: Sequence[Document], actor: User, channel: str
) -> InformationRequest:
    """The applicant answers a request (text and/or documents already stored for it); the case resumes,
    and its process, if it waits for the answer, goes on."""
    from amtsweg.processes.services import process_message_deliver  # processes depend on cases' models

    with transaction.atomic():
        request = InformationRequest.objects.select_for_update().select_related("case").get(pk=request.pk)
        case = request.case
        if case.applicant_id != actor.pk:
            raise PermissionDenied
        if request.answered_at is not None:
            raise Problem(
                "Diese Nachforderung ist bereits beantwortet.",
                "This request has already been answered.",
                status_code=409,
                code="already-answered",
            )
        _require_open(case)
        answer = answer.strip()
        if not answer and not documents:
            raise Problem(
                "Bitte schreiben Sie eine Antwort oder laden Sie Unterlagen hoch.",
                "Please write an answer or upload documents.",
                code="empty-answer",
            )
        for document in documents:
            if document.information_request_id != request.pk or document.case_id != case.pk:
                raise PermissionDenied
        request.answer = answer[:10_000]
        request.answered_at = timezone.now()
        request.save(update_fields=["answer", "answered_at"])
        case = Case.objects.select_for_update().get(pk=case.pk)
        before = case.status
        if (
            case.phase == Phase.WAITING
            and not case.information_requests.filter(answered_at__isnull=True).exists()
        ):
            resumed = _status_for_phase(status_model_for(case.service_id), Phase.IN_PROGRESS)
            _set_status(case, resumed)
        case.save(update_fields=["status", "phase", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.INFO_RECEIVED,
            status=case.status,
            detail={"request": request.pk, "documents": [str(d.pk) for d in documents], "from": before},
            visible_to_applicant=True,
        )
        process_message_deliver(
            case=case,
            name="information_received",
            payload={"request": request.pk},
            actor=actor,
            channel=channel,
        )
    return request


def case_decide(
    *,
    case: Case,
    decision: str,
    actor: User,
    channel: str,
    body: str | None = None,
    fee_lines: list[dict[str, Any]] | None = None,
    context: dict[str, Any] | None = None,
) -> Case:
    """Decide ``case`` (granted, partially, rejected) and issue the notice, in one transaction.

    ``context`` adds plain values the notice template may use (``notices.services.notice_issue``)."""
    _require_staff(actor, case)
    return _decide(
        case=case,
        decision=decision,
        actor=actor,
        channel=channel,
        body=body,
        fee_lines=fee_lines,
        context=context,
    )


def case_decide_automated(
    *,
    case: Case,
    decision: str,
    channel: str,
    context: dict[str, Any] | None = None,
    holder: dict[str, Any] | None = None,
) -> Case:
    """Decide ``case`` without a caseworker: a fully automated notice (§ 35a VwVfG).

    Only for a service whose process decides without discretion once its preconditions are proven
    (e.g. the certificate of an instruction under § 43 IfSG after a passed quiz); the notice is
    marked as automated and prints no signature. ``context`` and ``holder`` go to ``notice_issue``.
    """
    return _decide(case=case, decision=decision, actor=None, channel=channel, context=context, holder=holder)


def _decide(
    *,
    case: Case,
    decision: str,
    actor: User | None,
    channel: str,
    body: str | None = None,
    fee_lines: list[dict[str, Any]] | None = None,
    context: dict[str, Any] | None = None,
    holder: dict[str, Any] | None = None,
) -> Case:
    from amtsweg.notices.services import notice_issue  # notices depend on cases, not the reverse

    _require_open(case)
    if decision not in {"granted", "partially", "rejected"}:
        raise Problem("Unbekannte Entscheidung.", "Unknown decision.", code="unknown-decision")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _require_open(case)
        if case.phase == Phase.DECIDED:
            raise TransitionNotAllowed(
                "Der Vorgang ist bereits entschieden.",
                "The case has already been decided.",
                code="already-decided",
            )
        if case.phase == Phase.WAITING:
            raise TransitionNotAllowed(
                "Der Vorgang wartet noch auf eine Antwort der antragstellenden Person.",
                "The case is still waiting for the applicant's answer.",
                code="waiting-for-applicant",
            )
        decided = _status_for_phase(status_model_for(case.service_id), Phase.DECIDED)
        before = case.status
        _set_status(case, decided)
        case.decision = decision
        case.decided_at = timezone.now()
        if case.assignee_id is None:
            case.assignee = actor
        case.save(update_fields=["status", "phase", "decision", "decided_at", "assignee", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.DECIDED,
            status=decided.key,
            detail={"decision": decision, "from": before},
            visible_to_applicant=True,
        )
        notice_issue(
            case=case,
            decision=decision,
            actor=actor,
            body=body,
            fee_lines=fee_lines,
            context=context,
            holder=holder,
            channel=channel,
        )
        _audit(actor, case, channel, {"decision": decision, "status": [before, decided.key]})
    return case


def case_status_set_by_process(*, case: Case, status_key: str, channel: str) -> Case:
    """The process model's own ``status.set`` step: the status model's transitions apply, no staff
    check (the model is the authority's configuration; the history shows no person)."""
    return _change_status(case=case, status_key=status_key, actor=None, channel=channel)


def case_close_by_process(*, case: Case, channel: str) -> Case:
    """The process model's own ``case.close`` step: move ``case`` to its closed status (the process
    ends with it; no staff check: the model is the authority's configuration)."""
    closed = _status_for_phase(status_model_for(case.service_id), Phase.CLOSED)
    return _change_status(case=case, status_key=closed.key, actor=None, channel=channel)


def case_close(*, case: Case, actor: User, channel: str) -> Case:
    """Close a decided case (or withdraw an open one) by moving it to the closed status."""
    from amtsweg.processes.services import process_cancel  # processes depend on cases' models

    closed = _status_for_phase(status_model_for(case.service_id), Phase.CLOSED)
    with transaction.atomic():
        case = case_change_status(case=case, status_key=closed.key, actor=actor, channel=channel)
        process_cancel(case=case, actor=actor, channel=channel)
    return case


# --- postbox -------------------------------------------------------------------------------------


def postbox_deliver(
    *,
    recipient_id: int,
    case: Case | None,
    kind: str,
    subject: str,
    body: str,
    authority_id: int | None = None,
    document: Document | None = None,
    information_request: InformationRequest | None = None,
) -> PostboxMessage:
    """Put a message into a citizen's postbox and queue the e-mail that tells them about it."""
    authority = authority_id if authority_id is not None else (case.authority_id if case else None)
    if authority is None:
        raise ValueError("a postbox message needs a sending authority")
    message = PostboxMessage.objects.create(
        recipient_id=recipient_id,
        case=case,
        authority_id=authority,
        kind=kind,
        subject=subject[:300],
        body=body,
        document=document,
        information_request=information_request,
    )
    outbox_enqueue(
        kind="email.postbox",
        payload={"message": message.pk},
        dedupe_key=f"email.postbox:{message.pk}",
        authority_id=authority,
    )
    return message


def postbox_mark_read(*, message: PostboxMessage, actor: User) -> PostboxMessage:
    if message.recipient_id != actor.pk:
        raise PermissionDenied
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message
