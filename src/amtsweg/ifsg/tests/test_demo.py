"""The IfSG demo: its content in six languages is complete and consistent, the loader is idempotent,
the demo people went through the real services, and the certificate template renders."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.demo.applications import demo_applications_load
from amtsweg.demo.processes import REFERENCE_MODELS, _publish
from amtsweg.demo.services import demo_load
from amtsweg.identity.models import User
from amtsweg.ifsg.certificates import certificate_pdf_context
from amtsweg.notices.models import Notice, NoticeTemplate
from amtsweg.notices.services import notice_pdf_context
from amtsweg.notices.tests.pdfinspect import Pdf
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.demo import load_payments_demo
from amtsweg.payments.models import Fee, Payment, Waiver

from .. import demo, languages
from ..models import Certificate, Instruction, ItemResult, Material, Programme, Question, QuizAttempt

CODES = [language.code for language in languages.LANGUAGES]
CUE_TIME = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}"
CUE_TIMING = re.compile(rf"^({CUE_TIME}) --> ({CUE_TIME})(?: [^\n]*)?$")


def _seconds(stamp: str) -> float:
    parts = [float(part) for part in stamp.split(":")]
    return float(sum(value * 60.0**power for power, value in enumerate(reversed(parts))))


def parse_webvtt(text: str) -> list[tuple[float, float, str]]:
    """Cues of a WebVTT file, per the W3C WebVTT syntax (signature, blank-line separated blocks,
    ``start --> end`` timings, ordered non-overlapping cues); ``AssertionError`` when it is not valid."""
    assert text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\n"), "no WEBVTT signature"
    assert "\r" not in text and "\x00" not in text
    blocks = re.split(r"\n{2,}", text.strip("\n"))
    cues: list[tuple[float, float, str]] = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if not CUE_TIMING.match(lines[0]):
            assert "-->" not in lines[0], f"bad cue identifier {lines[0]!r}"
            lines = lines[1:]
        match = CUE_TIMING.match(lines[0]) if lines else None
        assert match, f"cue without a valid timing line: {block!r}"
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        payload = "\n".join(lines[1:])
        assert end > start and payload.strip() and "-->" not in payload
        assert not cues or start >= cues[-1][1], "cues overlap or are out of order"
        cues.append((start, end, payload))
    return cues


# --- the content files ---------------------------------------------------------------------------


def test_every_language_has_material_declaration_and_title() -> None:
    texts = demo.material_texts()
    assert set(texts) == set(CODES)
    german_sections = re.findall(r"^## ", demo.material_markdown("de"), flags=re.M)
    for code in CODES:
        entry = texts[code]
        assert all(entry[key].strip() for key in ("title", "declaration", "leaflet", "declaration_heading"))
        text = demo.material_markdown(code)
        # Same structure as the German original: the same sections, in order.
        assert len(re.findall(r"^## ", text, flags=re.M)) == len(german_sections), code
        assert "<" not in text  # plain Markdown: the renderer allows no raw HTML anyway
    for code in ("de", "en", "tr", "ar", "uk"):  # the full texts name every disease and pathogen
        text = demo.material_markdown(code)
        assert "EHEC" in text and "42" in text and "43" in text, code
    german = demo.material_markdown("de")
    for term in (
        "Typhus",
        "Paratyphus",
        "Cholera",
        "Shigellenruhr",
        "Salmonellose",
        "Gastroenteritis",
        "Virushepatitis A oder E",
        "infizierte Wunden",
        "Shigellen",
        "Salmonellen",
        "EHEC",
        "Choleravibrionen",
        "alle zwei Jahre",
        "nicht älter als drei Monate",
        "Arbeitgeber",
    ):
        assert term in german, term


def test_leichte_sprache_keeps_its_sentences_short() -> None:
    text = demo.material_markdown("de-x-ls")
    # One line per sentence (lists: one item per line); a line may still hold more than one sentence.
    lines = [re.sub(r"^[#\-\s]+", "", line) for line in text.splitlines()]
    sentences = [part for line in lines for part in re.split(r"(?<=[.!?:])\s+", line) if part.strip()]
    longest = max(len(s.split()) for s in sentences)
    assert longest <= 15, longest  # Netzwerk Leichte Sprache: short sentences, one statement each
    assert "z. B." not in text and "IfSG" not in text and "§" not in text  # no abbreviations, no paragraphs


def test_question_pool_is_complete_in_every_language() -> None:
    pool = demo.question_pool()
    assert 12 <= len(pool) <= 16
    assert sorted(entry["number"] for entry in pool) == list(range(1, len(pool) + 1))
    correct_positions = Counter(entry["correct"] for entry in pool)
    assert len(correct_positions) >= 3  # the right answer is not always at the same index
    assert max(correct_positions.values()) <= len(pool) // 2
    for entry in pool:
        assert set(entry["texts"]) == set(CODES), entry["number"]
        counts = {len(text["options"]) for text in entry["texts"].values()}
        assert len(counts) == 1 and counts <= {3, 4}, entry["number"]  # same option count everywhere
        assert 0 <= entry["correct"] < counts.pop()
        for code, text in entry["texts"].items():
            assert text["text"].strip() and text["explanation"].strip(), (entry["number"], code)
            assert len(set(text["options"])) == len(text["options"]), (entry["number"], code)


@pytest.mark.parametrize("code", CODES)
def test_captions_are_valid_webvtt_of_about_two_minutes(code: str) -> None:
    cues = parse_webvtt(demo.captions(code))
    assert len(cues) >= 10
    assert 100 <= cues[-1][1] <= 150
    assert all(max(len(line) for line in text.split("\n")) <= 80 for _, _, text in cues)
    transcript = demo.transcript_from_captions(demo.captions(code))
    assert transcript.count("\n\n") == len(cues) - 1 and "-->" not in transcript


def test_all_captions_share_the_slide_timings() -> None:
    timings = {code: [(start, end) for start, end, _ in parse_webvtt(demo.captions(code))] for code in CODES}
    assert len({tuple(value) for value in timings.values()}) == 1


def test_the_webvtt_check_rejects_broken_files() -> None:
    good = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:05.000\nHallo\n"
    assert parse_webvtt(good)
    for broken in (
        "WEBVT\n\n00:00:00.000 --> 00:00:05.000\nHallo\n",
        "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nHallo\n",
        "WEBVTT\n\n00:00.000 -> 00:05.000\nHallo\n",
        "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nA\n\n00:00:04.000 --> 00:00:06.000\nB\n",
    ):
        with pytest.raises(AssertionError):
            parse_webvtt(broken)


# --- the loader ----------------------------------------------------------------------------------


def _demo_base() -> None:
    """What ``load_demo`` loads before the IfSG demo, without the process history it does not need."""
    demo_load(full_catalog=False)
    demo_applications_load()
    load_payments_demo()
    admin = User.objects.get(email=demo.ADMIN)
    leika = "99003002022000"
    assert REFERENCE_MODELS[leika] == "ifsg_belehrung.bpmn"
    _publish(Service.objects.get(leika_key=leika), None, REFERENCE_MODELS[leika], admin)


PEOPLE = 8


@pytest.mark.django_db
def test_demo_loads_once_with_content_people_and_certificates(settings: object) -> None:
    _demo_base()
    summary = demo.load_ifsg_demo(people=PEOPLE)
    assert summary.programme_created and summary.materials == 6 and summary.questions == 14
    assert summary.waivers == 2 and summary.instructions == PEOPLE

    programme = Programme.objects.get(authority__ags=demo.KREIS)
    assert programme.appointment_office is not None and programme.appointment_office.slug == "gesundheitsamt"
    offering = ServiceOffering.objects.get(service=programme.service, authority=programme.authority)
    assert offering.team is not None and offering.team.name == demo.TEAM
    from ..selectors import languages_available

    assert [language.code for language in languages_available(programme)] == CODES
    for material in Material.objects.filter(programme=programme):
        assert material.status == Material.Status.PUBLISHED and material.version == 1
        assert material.captions.read().startswith(b"WEBVTT")
        leaflet = Pdf.parse(material.leaflet.read())
        assert (
            'pdfaid:part="2"' in leaflet.xmp and b"/StructTreeRoot" in leaflet.catalog.header
        )  # PDF/A, tagged
        # The text is really in the PDF in its own script (Arabic shaped, Cyrillic, Turkish letters).
        # (Right-to-left text comes out of the PDF in visual order, so reversed.)
        word = demo.material_texts()[material.language]["declaration"].split()[1]
        text = leaflet.text()
        assert word in text or word[::-1] in text, material.language
        assert material.transcript and material.declaration
    assert Question.objects.filter(programme=programme, active=True).count() == 14
    fee = Fee.objects.get(service=programme.service, authority=programme.authority)
    assert (fee.amount_cents, fee.timing) == (2000, Fee.Timing.BEFORE_SUBMISSION)
    assert "AVerwGebO NRW" in fee.legal_basis
    assert set(Waiver.objects.filter(authority=programme.authority).values_list("code", flat=True)) >= set(
        demo.VOUCHERS
    )
    template = NoticeTemplate.objects.get(service=programme.service, authority=None, decision="granted")
    assert template.layout == NoticeTemplate.Layout.CERTIFICATE

    # The demo people: instructions in the past months, attempts with results, certificates.
    instructions = Instruction.objects.filter(programme=programme)
    assert instructions.count() == PEOPLE
    now = timezone.now()
    assert all(now - timedelta(days=demo.DAYS_BACK + 1) < i.created_at < now for i in instructions)
    assert QuizAttempt.objects.filter(instruction__programme=programme, submitted_at__isnull=False).exists()
    assert (
        ItemResult.objects.filter(authority=programme.authority).count()
        == 8
        * QuizAttempt.objects.filter(instruction__programme=programme, submitted_at__isnull=False).count()
    )
    certificates = Certificate.objects.filter(authority=programme.authority)
    assert certificates.count() == summary.certificates >= 1
    for certificate in certificates.select_related("instruction", "notice"):
        assert certificate.instruction.status == Instruction.Status.CERTIFIED
        assert certificate.instructed_on == timezone.localdate(certificate.instruction.passed_at)
        assert certificate.issued_at < now - timedelta(hours=12)  # issued back then, not at load time
        case = Case.objects.get(pk=certificate.notice.case_id)
        assert case.decision == "granted" and case.applicant_id == certificate.instruction.applicant_id
        assert Payment.objects.filter(
            case=case, status__in=[Payment.Status.PAID, Payment.Status.WAIVED]
        ).exists()
    assert Notice.objects.filter(ifsg_certificate__isnull=False, status=Notice.Status.REVOKED).count() == 1

    # Loading again changes nothing.
    counts = (
        Material.objects.count(),
        Question.objects.count(),
        Instruction.objects.count(),
        QuizAttempt.objects.count(),
        Certificate.objects.count(),
        Waiver.objects.count(),
        Fee.objects.count(),
        NoticeTemplate.objects.count(),
        User.objects.count(),
    )
    again = demo.load_ifsg_demo(people=PEOPLE)
    assert (again.programme_created, again.materials, again.questions, again.waivers, again.instructions) == (
        False,
        0,
        0,
        0,
        0,
    )
    assert (
        Material.objects.count(),
        Question.objects.count(),
        Instruction.objects.count(),
        QuizAttempt.objects.count(),
        Certificate.objects.count(),
        Waiver.objects.count(),
        Fee.objects.count(),
        NoticeTemplate.objects.count(),
        User.objects.count(),
    ) == counts

    # The certificate template renders: the worker's render of a demo certificate gives a PDF that
    # says what the body promises.
    shown = certificates.exclude(notice__status=Notice.Status.REVOKED).select_related("notice").first()
    assert shown is not None
    certificate = shown
    body = certificate.notice.body
    assert certificate.holder_name in body and "nicht älter als drei Monate" in body
    # The deadline is the layout's highlighted box (from the certificate's PDF context), not the body.
    assert (
        certificate_pdf_context(certificate.notice)["certificate"]["work_begin_by"]
        == certificate.work_begin_by
    )
    assert "{{" not in body and "Rhein-Kreis Neuss" in body
    assert notice_pdf_context(certificate.notice)["body"] == body
    deliver_due_messages(kinds=["notice.render"])
    certificate.notice.refresh_from_db()
    assert certificate.notice.status == Notice.Status.ISSUED and certificate.notice.document is not None
    assert certificate.notice.document.file.read().startswith(b"%PDF-")


def test_demo_content_paths_exist() -> None:
    for code in CODES:
        assert (demo.DATA / "material" / f"{code}.md").is_file()
        assert (demo.DATA / "captions" / f"{code}.vtt").is_file()
    assert Path(demo.DATA / "questions.json").is_file()
