"""Process actions of the online Auskunft (registered on import through ``handlers.py``).

``baulasten.intake`` creates the Auskunft of a new case (parcels resolved and looked up; idempotent).
``baulasten.decision`` follows the user task "Berechtigtes Interesse prüfen": it takes the decision
from the register row that ``services_auskunft.auskunft_decide`` wrote and sets the variables
``interesse_anerkannt`` and ``gebuehr_euro`` from it — whatever the task was completed with — and
stops the step while nothing is decided, so the generic task form cannot decide without the check
page. ``baulasten.notice`` issues the notice (extract or refusal) in the name of the decider.
"""

from __future__ import annotations

from typing import Any

from amtsweg.processes.actions import Outcome, action


@action("baulasten.intake", label="Flurstücke im Baulastenverzeichnis nachschlagen")
def baulasten_intake(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from .services_auskunft import auskunft_intake

    request = auskunft_intake(case=run.case)
    parcels = list(request.parcels.values_list("result", flat=True))
    return Outcome(
        data={
            "auskunft": request.pk,
            "flurstuecke_anzahl": len(parcels),
            "flurstuecke_mit_baulast": sum(1 for r in parcels if r == "entries"),
        }
    )


@action("baulasten.decision", label="Entscheidung über die Auskunft übernehmen")
def baulasten_decision(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.processes.engine import WorkflowError

    from .models import AuskunftRequest
    from .services_auskunft import decision_variables

    request = AuskunftRequest.objects.filter(case=run.case).first()
    if request is None or request.decision == AuskunftRequest.Decision.PENDING:
        raise WorkflowError(
            task,
            "the Auskunft is not decided: decide it on its check page (Baulastenverzeichnis → Auskünfte), "
            "which completes this task",
        )
    return Outcome(data=decision_variables(request))


@action("baulasten.notice", label="Bescheid über die Baulastenauskunft erlassen")
def baulasten_notice(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.core.problems import Problem
    from amtsweg.processes.engine import WorkflowError

    from .services_auskunft import auskunft_notice_issue

    try:
        case = auskunft_notice_issue(case=run.case, channel=run.channel)
    except Problem as exc:
        raise WorkflowError(task, exc.detail_en) from exc
    run.case = case
    return Outcome(data={"decision": case.decision})
