"""Process action of the instruction under § 43 IfSG.

``amtsweg:ifsg.certify`` issues the certificate on the case of a completed instruction, without a
caseworker (``certificates.certificate_issue``: an automated notice in the certificate layout). It
needs no parameters; the reference model ``demo/data/processes/ifsg_belehrung.bpmn`` places it right
after the start and closes the case after it.
"""

from __future__ import annotations

from typing import Any

from amtsweg.processes.actions import Outcome, action


@action("ifsg.certify", label="Bescheinigung nach § 43 IfSG ausstellen")
def ifsg_certify(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from .certificates import certificate_issue

    certificate = certificate_issue(case=run.case, channel=run.channel)
    run.case = type(run.case).objects.get(pk=run.case.pk)  # decided now
    return Outcome(data={"certificate": certificate.pk, "notice": certificate.notice_id})
