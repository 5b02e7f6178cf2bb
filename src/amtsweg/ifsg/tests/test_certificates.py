"""The certificate under § 43 Abs. 1 IfSG: issued by the process on a passed instruction, as a one-page
tagged PDF/A in the postbox; the deadline for starting work; refusals; idempotency."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from amtsweg.cases.models import Case, Document, Phase, PostboxMessage
from amtsweg.cases.services import submission_submit
from amtsweg.core.problems import Problem
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.levels import TrustLevel
from amtsweg.ifsg.certificates import add_months, certificate_issue, certificate_pdf_context, language_phrase
from amtsweg.ifsg.models import Certificate, Instruction, QuizAttempt
from amtsweg.notices.models import Notice
from amtsweg.notices.rendering import render_pdf
from amtsweg.notices.services import notice_pdf_context
from amtsweg.notices.tests.pdfinspect import Pdf
from amtsweg.notices.verification import format_code
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.services import payment_for_draft, payment_waive
from amtsweg.testing import World

from .factories import VOUCHER, IfsgSetup, ifsg_setup

pytestmark = pytest.mark.django_db
SUBSTANTIAL = Assurance(TrustLevel.SUBSTANTIAL, "demo")


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(world: World) -> IfsgSetup:
    return ifsg_setup(world)


def passed_instruction(
    world: World,
    setup: IfsgSetup,
    *,
    language: str = "ar",
    passed_at: datetime | None = None,
    passed: bool = True,
) -> Instruction:
    """An instruction of the world's citizen that has been through material, declaration and (if
    ``passed``) a passed quiz, with its draft filled in and the fee waived: ready to submit."""
    passed_at = passed_at or timezone.now()
    version = FormVersion.objects.filter(definition__service=setup.service).latest("pk")
    draft = Draft.objects.create(
        form_version=version,
        service=setup.service,
        authority=world.kreis,
        applicant=world.citizen,
        data={
            "familienname": "Haddad",
            "vornamen": "Layla Amira",
            "geburtsdatum": "1990-07-14",
            "sprache": language,
            "materialversion": "1",
            "erklaerung": True,
        },
    )
    instruction = Instruction.objects.create(
        authority=world.kreis,
        programme=setup.programme,
        applicant=world.citizen,
        language=language,
        material=setup.materials[language],
        status=Instruction.Status.PASSED if passed else Instruction.Status.DECLARED,
        draft=draft,
        instructed_at=passed_at - timedelta(minutes=20),
        declaration_text=setup.materials[language].declaration,
        declared_at=passed_at - timedelta(minutes=10),
        passed_at=passed_at if passed else None,
    )
    if passed:
        QuizAttempt.objects.create(
            instruction=instruction,
            number=1,
            items=[],
            answers={},
            correct_count=8,
            passed=True,
            submitted_at=passed_at,
        )
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None and payment.amount_cents == 2000
    payment_waive(payment=payment, code=VOUCHER, actor=world.citizen)
    return instruction


def submit(world: World, instruction: Instruction) -> Case:
    assert instruction.draft is not None
    submission = submission_submit(
        draft=instruction.draft, actor=world.citizen, channel="web", assurance=SUBSTANTIAL
    )
    # What ``services.instruction_submit`` does after the submission (never undoing "certified").
    Instruction.objects.filter(pk=instruction.pk).exclude(status=Instruction.Status.CERTIFIED).update(
        case=submission.case, status=Instruction.Status.SUBMITTED
    )
    return submission.case


def run_worker() -> None:
    for _round in range(10):  # process start → ifsg.certify → case.close → notice.render → e-mails
        if not deliver_due_messages():
            return
    raise AssertionError("the outbox did not settle")


def pdf_of(notice: Notice) -> Pdf:
    assert notice.document is not None
    with notice.document.file.open("rb") as handle:
        return Pdf.parse(handle.read())


# --- the deadline --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 3, 15), 3, date(2026, 6, 15)),
        (date(2026, 10, 31), 3, date(2027, 1, 31)),  # across the year
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_end_of_the_month(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


def test_the_language_is_named_in_the_german_text() -> None:
    assert language_phrase("ar") == "arabischer Sprache"
    assert language_phrase("de-x-ls") == "Leichter Sprache"
    assert language_phrase("uk") == "ukrainischer Sprache"


# --- the whole process ---------------------------------------------------------------------------


def test_the_process_issues_the_certificate_and_the_pdf_lands_in_the_postbox(
    world: World, setup: IfsgSetup
) -> None:
    # Passed on 30 November in Berlin time (just after midnight local, still 29 November in UTC).
    passed_at = datetime(2025, 11, 29, 23, 30, tzinfo=UTC)
    instruction = passed_instruction(world, setup, passed_at=passed_at)
    case = submit(world, instruction)
    run_worker()

    case.refresh_from_db()
    assert case.decision == "granted" and case.phase == Phase.CLOSED
    certificate = Certificate.objects.select_related("notice").get(instruction=instruction)
    assert certificate.instructed_on == date(2025, 11, 30)
    assert certificate.work_begin_by == date(2026, 2, 28)
    assert (certificate.holder_name, certificate.birth_date) == ("Layla Amira Haddad", date(1990, 7, 14))
    assert certificate.language == "ar" and certificate.authority_id == world.kreis.pk
    instruction.refresh_from_db()
    assert instruction.status == Instruction.Status.CERTIFIED

    notice = Notice.objects.get(pk=certificate.notice_id)
    assert notice.issued_by is None, "an automated notice, without signer"
    assert notice.holder == {"name": "Layla Amira Haddad", "birth_year": 1990}
    assert notice.status == Notice.Status.ISSUED and notice.document is not None
    assert "in arabischer Sprache" in notice.body and "30.11.2025" in notice.body
    assert "aufgenommen" not in notice.body  # the deadline is the layout's box, printed once

    message = PostboxMessage.objects.get(case=case, kind=PostboxMessage.Kind.NOTICE)
    assert message.recipient_id == world.citizen.pk and message.document_id == notice.document_id
    assert notice.document.kind == Document.Kind.NOTICE

    pdf = pdf_of(notice)
    assert len(pdf.pages) == 1, "the certificate is one page"
    text = pdf.text()
    assert "Bescheinigung gemäß § 43 Abs. 1 Infektionsschutzgesetz (IfSG)" in text
    assert "Layla Amira Haddad" in text and "14.07.1990" in text
    assert "Die Tätigkeit muss bis zum 28.02.2026 aufgenommen werden." in text
    assert text.count("aufgenommen werden") == 1
    assert format_code(notice.code) in text
    assert "alle zwei Jahre" in text and "§ 43 Abs. 4 IfSG" in text
    assert "maschinell erstellt" in text and "ohne Unterschrift gültig" in text
    assert "Im Auftrag" not in text and "Rechtsbehelfsbelehrung" not in text
    assert "Kreis" in text, "the issuing authority's letterhead"


def test_the_certificate_pdf_is_tagged_pdf_a_with_the_qr_code_as_figure(
    world: World, setup: IfsgSetup
) -> None:
    case = submit(world, passed_instruction(world, setup, language="de"))
    run_worker()
    notice = Notice.objects.get(case=case)
    pdf = pdf_of(notice)
    xmp = pdf.xmp
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="B"' in xmp
    catalog = pdf.catalog.header
    assert b"/OutputIntents" in catalog and b"/S /GTS_PDFA1" in catalog
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked true\s*>>", catalog)
    assert b"/StructTreeRoot" in catalog and b"/Lang (de)" in catalog
    structure = b" ".join(o.header for o in pdf.find(rb"/Type\s*/StructElem"))
    for tag in (b"/S /H1", b"/S /H2", b"/S /P"):
        assert tag in structure
    figures = pdf.find(rb"/S /Figure")
    assert len(figures) == 1 and "QR-Code" in (figures[0].string("Alt") or "")
    for descriptor in pdf.find(rb"/Type\s*/FontDescriptor"):
        assert re.search(rb"/FontFile[23]\s+\d+\s+0\s+R", descriptor.header)
    assert case.reference in (pdf.info.string("Title") or "")
    assert "in deutscher Sprache" in pdf.text()


def test_the_layout_highlights_the_deadline_and_prints_the_holder(world: World, setup: IfsgSetup) -> None:
    """The certificate's own facts (``certificate_pdf_context``) as the layout prints them, on one page
    even with long names."""
    case = submit(world, passed_instruction(world, setup))
    run_worker()
    certificate = Certificate.objects.get(instruction__case=case)
    Certificate.objects.filter(pk=certificate.pk).update(
        holder_name="Maximiliane Theodora Wilhelmine Gräfin von und zu Hohenzollern-Sigmaringen"
    )
    notice = Notice.objects.select_related("case__authority", "case__applicant", "issued_by").get(case=case)
    context = {**notice_pdf_context(notice), **certificate_pdf_context(notice)}
    assert context["certificate"]["work_begin_by"] == certificate.work_begin_by
    pdf = Pdf.parse(render_pdf(template_name="notices/pdf/certificate.html", context=context, title="T"))
    text = pdf.text()
    assert len(pdf.pages) == 1
    assert "Hohenzollern- Sigmaringen" in text  # wrapped at the hyphen
    assert f"Die Tätigkeit muss bis zum {certificate.work_begin_by:%d.%m.%Y} aufgenommen werden." in text
    assert "Belehrt am" in text and "arabischer Sprache" in text
    assert certificate_pdf_context(Notice(pk=0)) == {}


# --- refusals and idempotency --------------------------------------------------------------------


def test_issuing_twice_returns_the_same_certificate(world: World, setup: IfsgSetup) -> None:
    case = submit(world, passed_instruction(world, setup))
    run_worker()
    first = Certificate.objects.get(instruction__case=case)
    again = certificate_issue(case=case, channel="web")
    assert again.pk == first.pk
    assert Notice.objects.filter(case=case).count() == 1 and Certificate.objects.count() == 1


@pytest.fixture
def no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Submissions without starting the process, so a test calls ``certificate_issue`` itself."""
    monkeypatch.setattr("amtsweg.processes.services.process_start", lambda **kwargs: None)


def test_it_finds_the_instruction_by_the_submitted_draft_and_links_the_case(
    world: World, setup: IfsgSetup, no_process: None
) -> None:
    instruction = passed_instruction(world, setup)
    assert instruction.draft is not None
    case = submission_submit(
        draft=instruction.draft, actor=world.citizen, channel="web", assurance=SUBSTANTIAL
    ).case
    certificate = certificate_issue(case=case, channel="web")
    instruction.refresh_from_db()
    assert certificate.instruction_id == instruction.pk
    assert instruction.case_id == case.pk and instruction.status == Instruction.Status.CERTIFIED


def test_a_case_without_instruction_is_refused(world: World, setup: IfsgSetup, no_process: None) -> None:
    instruction = passed_instruction(world, setup)
    case = submit(world, instruction)
    Instruction.objects.filter(pk=instruction.pk).update(case=None, draft=None)
    with pytest.raises(Problem) as refused:
        certificate_issue(case=case, channel="web")
    assert refused.value.status_code == 409 and refused.value.code == "ifsg-no-instruction"
    assert not Notice.objects.filter(case=case).exists()


def test_an_instruction_that_has_not_passed_gets_no_certificate(
    world: World, setup: IfsgSetup, no_process: None
) -> None:
    instruction = passed_instruction(world, setup)
    case = submit(world, instruction)
    # The quiz result was withdrawn before the process ran (e.g. the instruction was reset).
    Instruction.objects.filter(pk=instruction.pk).update(passed_at=None, status=Instruction.Status.DECLARED)
    with pytest.raises(Problem) as refused:
        certificate_issue(case=case, channel="web")
    assert refused.value.status_code == 409 and refused.value.code == "ifsg-not-passed"
    assert not Certificate.objects.exists() and not Notice.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert not case.decision and case.decided_at is None
    instruction.refresh_from_db()
    assert instruction.status == Instruction.Status.DECLARED
