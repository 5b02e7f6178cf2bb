"""How the generic application core treats the instruction's drafts: the submission check (registered
with ``cases.checks``) and where the citizen continues such a draft (``forms.continuation``).

``cases.services.submission_submit`` runs it on every locked draft, whichever client submits it (the
instruction's own flow, the generic application API or portal): a draft of the instruction's form is
only accepted once its instruction is complete, so the quiz cannot be skipped by submitting the form
directly.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from amtsweg.cases.checks import submission_check
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.forms.continuation import draft_flow, service_flow
from amtsweg.forms.models import Draft
from amtsweg.tenancy.models import Authority

from .models import Instruction, Programme


class InstructionNotPassed(Problem):
    status_code = 409
    code = "ifsg-not-passed"


def _complete(instruction: Instruction, draft: Draft) -> bool:
    material = instruction.material
    return (
        instruction.passed_at is not None
        and instruction.declared_at is not None
        and instruction.instructed_at is not None
        # the material confirmed is the one of the instruction's current language, and the draft
        # says so too (its data could have been changed through the generic form API)
        and material.language == instruction.language
        and draft.data.get("sprache") == instruction.language
        and draft.data.get("materialversion") == str(material.version)
        and draft.data.get("erklaerung") is True
    )


@submission_check
def instruction_submission_check(draft: Draft) -> None:
    """Refuse the draft of an incomplete instruction, and a draft of the service without any."""
    instruction = Instruction.objects.select_related("material").filter(draft_id=draft.pk).first()
    if instruction is None:
        if not Programme.objects.filter(service_id=draft.service_id).exists():
            return  # not the instruction's service
        raise InstructionNotPassed(
            "Diesen Antrag können Sie nur über die Online-Belehrung stellen: Belehrung ansehen, "
            "Erklärung abgeben und die Verständnisfragen beantworten.",
            "This application can only be made through the online instruction: read the material, "
            "make the declaration and answer the comprehension questions.",
        )
    if not _complete(instruction, draft):
        raise InstructionNotPassed(
            "Die Belehrung ist noch nicht abgeschlossen: Bitte bestätigen Sie das Belehrungsmaterial, "
            "geben Sie die Erklärung ab und bestehen Sie die Verständnisfragen.",
            "The instruction is not complete yet: please confirm the instruction material, make the "
            "declaration and pass the comprehension questions.",
            extra={"instruction": instruction.pk},
        )


@draft_flow
def instruction_continue_url(draft: Draft) -> str | None:
    """The instruction's own pages continue its draft (resuming it, coming back from paying the fee)."""
    instruction_id = Instruction.objects.filter(draft=draft).values_list("pk", flat=True).first()
    if instruction_id is None:
        return None
    return reverse("portal:ifsg_instruction", kwargs={"pk": instruction_id})


@service_flow
def instruction_start_url(service: Service, authority: Authority) -> str | None:
    """Applying for the instruction's service at a health office that runs it online starts the
    instruction (language first), not the generic form."""
    programme = (
        Programme.objects.filter(service=service, authority=authority, enabled=True)
        .values_list("pk", flat=True)
        .first()
    )
    if programme is None:
        return None
    return reverse("portal:ifsg_start") + "?" + urlencode({"programm": programme})
