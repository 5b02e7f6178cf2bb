"""The certificate (Bescheinigung nach § 43 Abs. 1 IfSG), issued automatically on a passed instruction.

The process of the service runs ``amtsweg:ifsg.certify`` right after the submission; it calls
:func:`certificate_issue`, which decides the case without a caseworker (an automated notice in the
``certificate`` layout, § 35a VwVfG), records the certificate with what it prints, and marks the
instruction certified. The worker then renders the PDF/A and delivers it to the postbox
(``notice.render``). Revocation is the notice's: ``notices.services.notice_revoke``.

What the public verification may show about the holder is set here, once: the name as printed and
the year of birth — enough for an employer to match the certificate to the person in front of them,
nothing more (no full birth date, no address).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.core.problems import Problem
from amtsweg.notices.models import Notice
from amtsweg.notices.services import pdf_context_provider

from . import languages
from .models import Certificate, Instruction

# How the body of the certificate names the language: "… wurde am 1.3.2026 in arabischer Sprache belehrt".
LANGUAGE_PHRASES = {
    "de": "deutscher Sprache",
    "de-x-ls": "Leichter Sprache",
    "en": "englischer Sprache",
    "tr": "türkischer Sprache",
    "ar": "arabischer Sprache",
    "uk": "ukrainischer Sprache",
}


class CertificateProblem(Problem):
    status_code = 409
    code = "ifsg-not-passed"


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; a day the target month lacks becomes its last day
    (30 November + 3 months = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def language_phrase(code: str) -> str:
    """The language of the instruction as the German certificate text names it (dative)."""
    if code in LANGUAGE_PHRASES:
        return LANGUAGE_PHRASES[code]
    return f"der Sprache „{languages.get(code).native}“" if code in languages.BY_CODE else code


def _person(case: Case, instruction: Instruction) -> tuple[str, str, date]:
    """Family name, given names and birth date as submitted (the draft only if there is no submission)."""
    submission = getattr(case, "submission", None)
    data: dict[str, Any] = dict(submission.data) if submission is not None else {}
    if not data and instruction.draft is not None:
        data = dict(instruction.draft.data)
    family = " ".join(str(data.get("familienname", "")).split())
    given = " ".join(str(data.get("vornamen", "")).split())
    raw_birth = data.get("geburtsdatum")
    try:
        birth = raw_birth if isinstance(raw_birth, date) else date.fromisoformat(str(raw_birth))
    except ValueError:
        birth = None
    if not family or not given or birth is None:
        raise CertificateProblem(
            "Name und Geburtsdatum fehlen im Antrag; die Bescheinigung kann nicht ausgestellt werden.",
            "Name and date of birth are missing from the application; no certificate can be issued.",
            code="ifsg-person-missing",
        )
    return family, given, birth


def certificate_issue(*, case: Case, channel: str) -> Certificate:
    """Issue the certificate on ``case``, the case of a passed instruction; idempotent.

    Refuses (``CertificateProblem``, 409) a case that is no instruction's, or whose instruction has
    not passed the quiz or lacks the declaration. A second call returns the certificate issued first.
    """
    # The process runs inside ``submission_submit``, before the caller links the instruction to the
    # new case: the submitted draft is the instruction's draft, so that finds it either way.
    instruction = Instruction.objects.filter(Q(case_id=case.pk) | Q(draft__submission__case=case)).first()
    if instruction is None:
        raise CertificateProblem(
            "Dieser Vorgang gehört zu keiner Belehrung nach § 43 IfSG.",
            "This case belongs to no instruction under section 43 IfSG.",
            code="ifsg-no-instruction",
        )
    with transaction.atomic():
        instruction = (
            Instruction.objects.select_for_update(of=("self",))  # the draft is the nullable side
            .select_related("programme", "draft")
            .get(pk=instruction.pk)
        )
        existing = Certificate.objects.filter(instruction=instruction).select_related("notice").first()
        if existing is not None:
            return existing
        if instruction.passed_at is None or instruction.declared_at is None:
            raise CertificateProblem(
                "Die Belehrung ist nicht abgeschlossen: Erklärung und bestandene Verständnisfragen fehlen.",
                "The instruction is not complete: the declaration and a passed quiz are missing.",
            )
        case = Case.objects.select_related("submission", "authority").get(pk=case.pk)
        family, given, birth = _person(case, instruction)
        instructed_on = timezone.localdate(instruction.passed_at)
        work_begin_by = add_months(instructed_on, instruction.programme.work_start_months)
        name = f"{given} {family}"
        from amtsweg.cases.services import case_decide_automated  # cases import process actions

        case_decide_automated(
            case=case,
            decision="granted",
            channel=channel,
            context={
                "belehrt_am": instructed_on,
                "beginn_bis": work_begin_by,
                "sprache": language_phrase(instruction.language),
            },
            holder={"name": name, "birth_year": birth.year},
        )
        notice = Notice.objects.filter(case=case).order_by("-issued_at", "-pk").first()
        assert notice is not None  # just issued in this transaction
        certificate = Certificate.objects.create(
            authority_id=case.authority_id,
            instruction=instruction,
            notice=notice,
            holder_name=name,
            birth_date=birth,
            language=instruction.language,
            instructed_on=instructed_on,
            work_begin_by=work_begin_by,
            issued_at=notice.issued_at,
        )
        instruction.case = case
        instruction.status = Instruction.Status.CERTIFIED
        instruction.save(update_fields=["case", "status", "updated_at"])
    return certificate


@pdf_context_provider
def certificate_pdf_context(notice: Notice) -> dict[str, Any]:
    """What the certificate layout prints beside the notice's own context (``notices/pdf/certificate.html``).

    Registered with ``notices.services.pdf_context_provider``: ``notice_render`` adds it to the
    notice's own context, for the highlighted deadline. Empty for a notice that is no certificate.
    """
    certificate = Certificate.objects.filter(notice=notice).first()
    if certificate is None:
        return {}
    return {
        "certificate": {
            "holder_name": certificate.holder_name,
            "birth_date": certificate.birth_date,
            "instructed_on": certificate.instructed_on,
            "work_begin_by": certificate.work_begin_by,
            "language": language_phrase(certificate.language),
        }
    }
