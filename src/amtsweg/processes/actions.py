"""Platform actions that a service task of a process model runs (``camunda:topic="amtsweg:<name>"``).

Each action is a function registered under its name; it gets the run (case, actor, time) and the
task's evaluated input parameters and either finishes (returning data for the process) or leaves the
task waiting for something outside (a hand-over's answer). The registry is frozen after start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Parameter:
    """One input parameter of an action."""

    name: str
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class Outcome:
    """What an action did: ``wait`` leaves the service task open until something completes it."""

    data: dict[str, Any] = field(default_factory=dict)
    wait: bool = False


ActionFunction = Callable[..., Outcome]


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    function: ActionFunction
    parameters: tuple[Parameter, ...]


_REGISTRY: dict[str, Action] = {}
_frozen = False


def action(
    name: str, *, label: str, parameters: tuple[Parameter, ...] = ()
) -> Callable[[ActionFunction], ActionFunction]:
    def register(function: ActionFunction) -> ActionFunction:
        if _frozen:
            raise RuntimeError("the action registry is frozen")
        if name in _REGISTRY:
            raise ValueError(f"action {name!r} is registered twice")
        _REGISTRY[name] = Action(name=name, label=label, function=function, parameters=parameters)
        return function

    return register


def get(name: str) -> Action | None:
    return _REGISTRY.get(name)


def registered() -> dict[str, Action]:
    return dict(_REGISTRY)


def freeze() -> None:
    global _frozen
    _frozen = True


# --- the platform actions --------------------------------------------------------------------------
# Each acts on the run's case through the cases services, inside the step's transaction.


def _staff_actor(run: Any, name: str) -> Any:
    from amtsweg.tenancy import access

    actor = run.actor
    if actor is None or not access.can_access(actor, run.case.authority_id):
        from .engine import WorkflowError

        raise WorkflowError(
            None,
            f"the action {name!r} needs a caseworker of the authority; place it after a user task, "
            "not directly after a timer or a citizen's message",
        )
    return actor


def _text(params: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = str(params.get(key) or "").strip()
    if required and not value:
        from .engine import WorkflowError

        raise WorkflowError(None, f"the parameter {key!r} is empty")
    return value


@action("status.set", label="Status setzen", parameters=(Parameter("status", help="Schlüssel des Status"),))
def status_set(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.cases.services import case_status_set_by_process

    # The model's own step, like case.close: it may follow the start (a citizen's submission), a
    # timer or a message; the status model still decides which transitions are allowed.
    case = case_status_set_by_process(case=run.case, status_key=_text(params, "status"), channel=run.channel)
    run.case = case
    return Outcome(data={"status": case.status})


@action(
    "postbox.send",
    label="Nachricht ins Postfach",
    parameters=(Parameter("subject"), Parameter("body", required=False)),
)
def postbox_send(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.cases.models import PostboxMessage
    from amtsweg.cases.services import postbox_deliver

    message = postbox_deliver(
        recipient_id=run.case.applicant_id,
        case=run.case,
        kind=PostboxMessage.Kind.MESSAGE,
        subject=_text(params, "subject")[:300],
        body=_text(params, "body", required=False),
    )
    return Outcome(data={"postbox_message": message.pk})


@action(
    "information.request",
    label="Unterlagen nachfordern",
    parameters=(Parameter("message"), Parameter("due_days", required=False)),
)
def information_request(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from datetime import timedelta

    from django.utils import timezone

    from amtsweg.cases.services import case_request_information

    due_days = _text(params, "due_days", required=False)
    due = timezone.localdate() + timedelta(days=int(due_days)) if due_days.isdigit() else None
    request = case_request_information(
        case=run.case,
        message=_text(params, "message"),
        actor=_staff_actor(run, "information.request"),
        channel=run.channel,
        due_date=due,
    )
    return Outcome(data={"information_request": request.pk})


@action(
    "notice.issue",
    label="Bescheid erlassen",
    parameters=(
        Parameter("decision", help="granted, partially oder rejected"),
        Parameter("body", required=False),
    ),
)
def notice_issue(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.cases.services import case_decide

    body = _text(params, "body", required=False) or None
    case = case_decide(
        case=run.case,
        decision=_text(params, "decision"),
        actor=_staff_actor(run, "notice.issue"),
        channel=run.channel,
        body=body,
    )
    run.case = case
    return Outcome(data={"decision": case.decision})


@action("case.close", label="Vorgang abschließen")
def case_close(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.cases.services import case_close_by_process

    # Not cases.services.case_close: that one also stops the process, which is the one running here.
    # No caseworker needed: closing after a message (payment received, hand-over answered) is the
    # model's own step.
    run.case = case_close_by_process(case=run.case, channel=run.channel)
    return Outcome()


@action(
    "handover",
    label="An andere Behörde übergeben",
    parameters=(
        Parameter("to", help="AGS der empfangenden Behörde oder „kreis“"),
        Parameter("subject"),
        Parameter("fields", required=False, help="Antwortfelder, die mitgehen (durch Kommas getrennt)"),
        Parameter("team", required=False),
        Parameter(
            "service",
            required=False,
            help="LeiKa-Schlüssel: die empfangende Behörde bearbeitet ihren Teil als eigenen Vorgang",
        ),
    ),
)
def handover(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    """Hand the case's named answers to another authority's inbox and wait for its answer.

    With ``service``, the receiving authority works its part as a case of that service of its own:
    the worker opens it (outbox ``processes.handover_deliver``, exactly once) with the named answers
    and ``origin``, the sender's confirmation of its part, as the process variables; when that case
    is closed, its result answers the hand-over."""
    from amtsweg.catalog.models import Service, ServiceOffering
    from amtsweg.outbox.services import outbox_enqueue
    from amtsweg.tenancy.models import Authority, Team

    from .engine import WorkflowError
    from .models import Handover

    target = _text(params, "to")
    sender: Authority = run.case.authority
    if target.lower() == "kreis":
        receiver = sender.parent if sender.parent_id else None
    else:
        receiver = Authority.objects.filter(ags=target).first()
    if receiver is None or receiver.pk == sender.pk:
        raise WorkflowError(task, f"no receiving authority {target!r}")
    if receiver.alliance_id != sender.alliance_id:
        raise WorkflowError(task, f"the authority {target!r} is not in the alliance")
    answers = run.case.submission.data if run.case.submission_id else {}
    keys = [k.strip() for k in _text(params, "fields", required=False).split(",") if k.strip()]
    data = {key: answers[key] if key in answers else task.data.get(key) for key in keys}
    team_name = _text(params, "team", required=False)
    team = Team.objects.filter(authority=receiver, name=team_name).first() if team_name else None
    handed = {k: v for k, v in data.items() if v is not None}
    service = None
    service_key = _text(params, "service", required=False)
    if service_key:
        service = Service.objects.filter(leika_key=service_key).first()
        if (
            service is None
            or not ServiceOffering.objects.filter(service=service, authority=receiver).exists()
        ):
            raise WorkflowError(
                task, f"the authority {receiver.ags} does not offer the service {service_key!r}"
            )
        case = run.case
        handed["origin"] = {
            "authority_ags": sender.ags,
            "authority_name": sender.name,
            "reference": case.reference,
            "decision": case.decision or "",
            "decided_at": case.decided_at.isoformat() if case.decided_at else "",
        }
    handover_row = Handover(
        case=run.case,
        task_id=task.id,
        from_authority=sender,
        to_authority=receiver,
        to_team=team,
        subject=_text(params, "subject")[:300],
        data=handed,
        service=service,
        created_at=run.now,
    )
    run.handovers.append(handover_row)
    if service is not None:
        outbox_enqueue(
            kind="processes.handover_deliver",
            payload={"handover": str(handover_row.pk)},
            dedupe_key=f"handover_deliver:{handover_row.pk}",
            authority_id=receiver.pk,
        )
    return Outcome(wait=True)
