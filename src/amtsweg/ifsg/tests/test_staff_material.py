"""Material versions, the question pool and the programme's rules as the health office manages them:
upload checks for each bad kind of file, drafts, publishing that retires the previous version in one
step, immutable published versions, question validation, and the quiz-rule limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .. import uploads
from ..models import ItemResult, Material, Programme, Question
from ..services_admin import (
    AdminProblem,
    MaterialImmutable,
    PoolTooSmall,
    material_draft_update,
    material_publish,
    material_version_create,
    programme_update,
    question_update,
)
from .factories import IfsgSetup, ifsg_setup
from .matrix_staff import PDF, attempts_for, instruction_for

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
    + b"\x00" * 64
)
MKV = WEBM.replace(b"\x84webm", b"\x88matroska")
VTT = (
    "WEBVTT\n\n00:00.000 --> 00:02.500\nHände waschen.\n\n01:00:01.000 --> 01:00:03.000 align:start\nالنص\n"
).encode()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- upload checks ---------------------------------------------------------------------------------


def test_good_files_are_accepted_with_a_name_of_their_real_type() -> None:
    assert uploads.check_video(upload("film.mp4", MP4)) == uploads.CheckedFile("film.mp4", "video/mp4")
    assert uploads.check_video(upload("film", WEBM)).content_type == "video/webm"
    assert uploads.check_captions(upload("de.vtt", VTT)).name == "de.vtt"
    assert uploads.check_captions(upload("de.vtt", b"\xef\xbb\xbf" + VTT)).content_type == "text/vtt"
    assert uploads.check_leaflet(upload("merkblatt.exe", PDF)).name == "merkblatt.exe.pdf"


@pytest.mark.parametrize(
    ("check", "content", "code"),
    [
        (uploads.check_video, PNG, "video-type"),
        (uploads.check_video, MKV, "video-type"),  # Matroska but not WebM
        (uploads.check_video, PDF, "video-type"),
        (uploads.check_video, b"", "file-empty"),
        (uploads.check_captions, b"WEBVTX\n\n00:00.000 --> 00:01.000\nx\n", "captions-invalid"),
        (uploads.check_captions, b"WEBVTT\n\n00:00.000 -> 00:01.000\nx\n", "captions-invalid"),  # no cue
        (uploads.check_captions, b"WEBVTT\n\n00:00,000 --> 00:01.000\nx\n", "captions-invalid"),
        (uploads.check_captions, b"WEBVTT\n\n00:02.000 --> 00:01.000\nx\n", "captions-invalid"),
        (uploads.check_captions, b"WEBVTT\n\n00:00.000 --> 00:01.000\n\xff\xfe\n", "captions-invalid"),
        (uploads.check_captions, PDF, "captions-invalid"),
        (uploads.check_leaflet, b"%PDX-1.7\n" + PDF, "leaflet-type"),
        (uploads.check_leaflet, PNG, "leaflet-type"),
        (uploads.check_leaflet, VTT, "leaflet-type"),
    ],
)
def test_bad_files_are_refused(check: Any, content: bytes, code: str) -> None:
    with pytest.raises(uploads.MaterialFileRejected) as refused:
        check(upload("datei", content))
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("check", "limit", "head"),
    [
        (uploads.check_video, uploads.VIDEO_MAX, MP4),
        (uploads.check_captions, uploads.CAPTIONS_MAX, VTT),
        (uploads.check_leaflet, uploads.LEAFLET_MAX, PDF),
    ],
)
def test_files_over_the_limit_are_refused_before_they_are_read(check: Any, limit: int, head: bytes) -> None:
    big = upload("gross", head)
    big.size = limit + 1  # the size Django reports; nothing of 200 MB needs to exist for the check
    with pytest.raises(uploads.MaterialFileRejected) as refused:
        check(big)
    assert refused.value.code == "file-too-large"
    exact = upload("passt", head)
    exact.size = limit
    check(exact)


@given(
    st.lists(st.tuples(st.integers(0, 3 * 3600 * 1000), st.integers(0, 3600 * 1000)), min_size=1, max_size=5)
)
def test_webvtt_timings_that_a_player_reads_are_accepted(cues: list[tuple[int, int]]) -> None:
    def stamp(ms: int) -> str:
        hours, rest = divmod(ms, 3600 * 1000)
        minutes, rest = divmod(rest, 60 * 1000)
        seconds, millis = divmod(rest, 1000)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"

    body = "".join(f"{stamp(start)} --> {stamp(start + length)}\nText\n\n" for start, length in cues)
    assert uploads.webvtt_errors(f"WEBVTT\n\n{body}".encode()) == []


# --- material versions -----------------------------------------------------------------------------


@pytest.fixture
def setup(world: World) -> IfsgSetup:
    return ifsg_setup(world)


@pytest.fixture
def admin(world: World) -> Client:
    client = Client()
    client.force_login(world.kreis_admin)
    return client


def _base(world: World) -> str:
    return f"/backoffice/{world.kreis.ags}/infektionsschutz/"


@pytest.mark.django_db
def test_new_version_publish_retires_the_previous_one(world: World, setup: IfsgSetup, admin: Client) -> None:
    v1 = setup.materials["de"]
    form = admin.get(_base(world) + "material/neu/de/")
    assert form.status_code == 200
    assert v1.text in form.content.decode()  # a copy of the current version to edit

    response = admin.post(
        _base(world) + "material/neu/de/",
        {
            "title": "Belehrung 2026",
            "text": "# Neu\n\nHände waschen.",
            "declaration": v1.declaration,
            "transcript": "Transkript.",
            "video": upload("film.mp4", MP4),
            "captions": upload("de.vtt", VTT),
            "leaflet": upload("merkblatt.pdf", PDF),
        },
    )
    assert response.status_code == 302
    v2 = Material.objects.get(programme=setup.programme, language="de", version=2)
    assert v2.status == Material.Status.DRAFT
    assert str(v2.video.name).endswith("/de/v2/film.mp4")
    assert v2.video.read() == MP4
    # The draft is previewed with its files, and the citizen still sees version 1.
    preview = admin.get(_base(world) + f"material/{v2.pk}/").content.decode()
    assert "<h2>Neu</h2>" in preview or "Neu</h" in preview
    assert admin.get(_base(world) + f"material/{v2.pk}/datei/captions/").status_code == 200
    assert Material.objects.get(pk=v1.pk).status == Material.Status.PUBLISHED

    assert admin.post(_base(world) + f"material/{v2.pk}/veroeffentlichen/").status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (Material.Status.RETIRED, Material.Status.PUBLISHED)
    assert v2.published_by == world.kreis_admin
    changes = list(
        AuditEvent.objects.filter(object_type="ifsg.material", action=AuditEvent.Action.UPDATE)
        .order_by("pk")
        .values_list("object_id", "changes__status")
    )
    assert changes == [(str(v1.pk), ["published", "retired"]), (str(v2.pk), ["draft", "published"])]
    assert (
        AuditEvent.objects.filter(object_type="ifsg.material", action=AuditEvent.Action.CREATE).count() == 1
    )

    # Published versions never change; the edit page sends the administrator back.
    assert admin.get(_base(world) + f"material/{v2.pk}/bearbeiten/").status_code == 302
    with pytest.raises(MaterialImmutable):
        material_draft_update(
            material=v2, actor=world.kreis_admin, channel="web", title="x", text="x", declaration="x"
        )
    with pytest.raises(MaterialImmutable):
        material_publish(material=v1, actor=world.kreis_admin, channel="web")


@pytest.mark.django_db
def test_a_new_version_keeps_the_files_of_the_previous_one(world: World, setup: IfsgSetup) -> None:
    first = material_version_create(
        programme=setup.programme,
        language="tr",
        actor=world.kreis_admin,
        channel="web",
        title="Bilgilendirme",
        text="Metin",
        declaration="Beyan",
        files={"leaflet": upload("brosur.pdf", PDF)},
    )
    material_publish(material=first, actor=world.kreis_admin, channel="web")
    second = material_version_create(
        programme=setup.programme,
        language="tr",
        actor=world.kreis_admin,
        channel="web",
        title="Bilgilendirme 2",
        text="Metin",
        declaration="Beyan",
    )
    assert (second.version, second.leaflet.name) == (2, first.leaflet.name)
    with pytest.raises(MaterialImmutable):  # one draft per language
        material_version_create(
            programme=setup.programme,
            language="tr",
            actor=world.kreis_admin,
            channel="web",
            title="t",
            text="t",
            declaration="d",
        )


@pytest.mark.django_db
def test_bad_uploads_are_shown_at_their_fields(world: World, setup: IfsgSetup, admin: Client) -> None:
    response = admin.post(
        _base(world) + "material/neu/en/",
        {
            "title": "Instruction",
            "text": "Text",
            "declaration": "I declare.",
            "video": upload("film.mp4", PNG),
            "captions": upload("en.vtt", b"no header"),
            "leaflet": upload("leaflet.pdf", b"not a pdf"),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "WebM- oder MP4" in html and "WEBVTT" in html and "PDF-Datei" in html
    assert 'href="#id_video"' in html  # the error summary links to the field
    assert not Material.objects.filter(programme=setup.programme, language="en", version=2).exists()


@pytest.mark.django_db
def test_a_video_needs_captions_and_a_transcript_before_publishing(world: World, setup: IfsgSetup) -> None:
    draft = material_version_create(
        programme=setup.programme,
        language="uk",
        actor=world.kreis_admin,
        channel="web",
        title="Інструктаж",
        text="Текст",
        declaration="Заява",
        files={"video": upload("video.webm", WEBM)},
    )
    with pytest.raises(AdminProblem) as incomplete:
        material_publish(material=draft, actor=world.kreis_admin, channel="web")
    assert incomplete.value.code == "material-incomplete"
    assert len(incomplete.value.extra["errors"]) == 2
    material_draft_update(
        material=draft,
        actor=world.kreis_admin,
        channel="web",
        title="Інструктаж",
        text="Текст",
        declaration="Заява",
        transcript="Транскрипт",
        files={"captions": upload("uk.vtt", VTT)},
    )
    assert (
        material_publish(material=draft, actor=world.kreis_admin, channel="web").status
        == Material.Status.PUBLISHED
    )


@pytest.mark.django_db
def test_only_the_administration_changes_material(world: World, setup: IfsgSetup) -> None:
    with pytest.raises(Problem) as denied:
        material_version_create(
            programme=setup.programme,
            language="de",
            actor=setup.caseworker,
            channel="web",
            title="t",
            text="t",
            declaration="d",
        )
    assert denied.value.status_code == 403
    client = Client()
    client.force_login(setup.caseworker)
    assert client.get(_base(world) + "material/").status_code == 200  # reading is fine
    assert client.get(_base(world) + "material/neu/de/").status_code == 404


# --- question pool ---------------------------------------------------------------------------------


def _question_post(**overrides: str) -> dict[str, str]:
    data = {
        "topic": "Hygiene",
        "correct": "2",
        "active": "on",
        "text_de": "Womit trocknen Sie die Hände?",
        "options_de": "Schürze\nEinmalhandtuch\nHose",
        "explanation_de": "Einmalhandtücher sind hygienisch.",
        "text_en": "What do you dry your hands with?",
        "options_en": "Apron\nPaper towel\nTrousers",
    }
    return data | overrides


@pytest.mark.django_db
def test_add_a_question_and_see_which_languages_lack_it(
    world: World, setup: IfsgSetup, admin: Client
) -> None:
    response = admin.post(_base(world) + "fragen/neu/", _question_post())
    assert response.status_code == 302
    question = Question.objects.get(programme=setup.programme, number=11)
    assert question.correct == 1
    assert question.texts["en"]["options"] == ["Apron", "Paper towel", "Trousers"]
    assert "ar" not in question.texts
    listing = admin.get(_base(world) + "fragen/").content.decode()
    assert "Womit trocknen Sie die Hände?" in listing
    # Arabic lacks the new question: the pool is complete in German and English only.
    assert "Vollständig in: Deutsch, Englisch." in " ".join(listing.split())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"options_en": "Apron\nPaper towel"}, "gleich viele Antworten"),
        ({"options_de": "Nur eine"}, "2 bis 6 Antworten"),
        ({"options_de": "1\n2\n3\n4\n5\n6\n7", "options_en": "1\n2\n3\n4\n5\n6\n7"}, "2 bis 6 Antworten"),
        ({"correct": "4"}, "eine der Antworten"),
        ({"text_en": ""}, "Bitte geben Sie die Frage an"),
    ],
)
@pytest.mark.django_db
def test_question_validation(
    world: World, setup: IfsgSetup, admin: Client, overrides: dict[str, str], message: str
) -> None:
    response = admin.post(_base(world) + "fragen/neu/", _question_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.filter(programme=setup.programme, number=11).exists()


@pytest.mark.django_db
def test_deactivating_keeps_statistics_but_the_pool_must_fill_an_attempt(
    world: World, setup: IfsgSetup
) -> None:
    question = setup.questions[0]
    instruction = instruction_for(setup.programme, world.citizen, language="de", at=question.updated_at)
    attempt = attempts_for(instruction, [True], at=question.updated_at)[0]
    ItemResult.objects.create(
        attempt=attempt,
        question=question,
        authority=world.kreis,
        language="de",
        correct=False,
        answered_at=question.updated_at,
    )
    texts = question.texts
    updated = question_update(
        question=question,
        actor=world.kreis_admin,
        channel="web",
        texts=texts,
        correct=question.correct,
        active=False,
    )
    assert updated.active is False
    assert ItemResult.objects.filter(question=question).count() == 1
    # An answered question keeps its options and its correct answer.
    with pytest.raises(AdminProblem) as answered:
        question_update(
            question=question, actor=world.kreis_admin, channel="web", texts=texts, correct=2, active=False
        )
    assert answered.value.code == "question-answered"
    # 10 questions, 8 per attempt: a second and third deactivation leave 7 < 8.
    question_update(
        question=setup.questions[1],
        actor=world.kreis_admin,
        channel="web",
        texts=setup.questions[1].texts,
        correct=setup.questions[1].correct,
        active=False,
    )
    with pytest.raises(PoolTooSmall):
        question_update(
            question=setup.questions[2],
            actor=world.kreis_admin,
            channel="web",
            texts=setup.questions[2].texts,
            correct=setup.questions[2].correct,
            active=False,
        )


# --- programme settings ----------------------------------------------------------------------------


def _settings_post(**overrides: str) -> dict[str, str]:
    return {
        "enabled": "on",
        "questions_per_attempt": "8",
        "pass_mark": "7",
        "attempts_per_round": "3",
        "retry_wait_hours": "24",
        "review_material_after_failure": "on",
        "work_start_months": "3",
    } | overrides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pass_mark": "9"}, "nicht höher sein als die Zahl der Fragen"),
        ({"questions_per_attempt": "11", "pass_mark": "9"}, "Es gibt nur 10 aktive Fragen"),
        ({"work_start_months": "4"}, "kleiner oder gleich 3"),
    ],
)
@pytest.mark.django_db
def test_settings_validation(
    world: World, setup: IfsgSetup, admin: Client, overrides: dict[str, str], message: str
) -> None:
    response = admin.post(_base(world) + "einstellungen/", _settings_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Programme.objects.get(pk=setup.programme.pk).pass_mark == 7


@pytest.mark.django_db
def test_settings_are_saved_and_audited(world: World, setup: IfsgSetup, admin: Client) -> None:
    response = admin.post(
        _base(world) + "einstellungen/",
        _settings_post(questions_per_attempt="10", pass_mark="9", appointment_office=str(setup.office.pk)),
    )
    assert response.status_code == 302
    programme = Programme.objects.get(pk=setup.programme.pk)
    assert (programme.questions_per_attempt, programme.pass_mark) == (10, 9)
    event = AuditEvent.objects.get(object_type="ifsg.programme")
    assert event.changes["pass_mark"] == [7, 9]
    other_office = world.neuss.offices.get()
    with pytest.raises(AdminProblem):
        programme_update(
            programme=programme,
            actor=world.kreis_admin,
            channel="web",
            values={"appointment_office": other_office},
        )
