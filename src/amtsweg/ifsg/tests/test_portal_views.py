"""The citizen's pages of the instruction through HTTP: each step, the order of the steps, the login
level, another person's instruction, the quiz's failure and retry, the voucher, the submission and the
certificate, the material files, CSRF on every form."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from amtsweg.appointments.tests.factories import appointment_office
from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.models import User
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.testing import World, make_user

from ..models import Certificate, Instruction, Material, Question, QuizAttempt
from .factories import VOUCHER, IfsgSetup, ifsg_setup

pytestmark = pytest.mark.django_db


def login(client: Client, user: User, level: str = "substantiell") -> Client:
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"level": level, "method": "test", "at": timezone.now().isoformat()}
    session.save()
    return client


@pytest.fixture
def setup(world: World) -> IfsgSetup:
    return ifsg_setup(world)


@pytest.fixture
def citizen(world: World) -> Client:
    return login(Client(), world.citizen)


def start(client: Client, setup: IfsgSetup, language: str = "de") -> Instruction:
    response = client.post(
        "/infektionsschutz/sprache/", {"programm": setup.programme.pk, "sprache": language}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    instruction = Instruction.objects.latest("pk")
    assert response["Location"] == f"/infektionsschutz/{instruction.pk}/"
    return instruction


def url(instruction: Instruction, step: str = "") -> str:
    return f"/infektionsschutz/{instruction.pk}/{step + '/' if step else ''}"


def confirm_material(client: Client, instruction: Instruction) -> None:
    response = client.post(url(instruction, "material"), {"bestaetigt": "1"})
    assert response.status_code == 302


def declare(client: Client, instruction: Instruction) -> None:
    response = client.post(
        url(instruction, "erklaerung"),
        {"familienname": "Citizen", "vornamen": "Clara", "geburtsdatum": "1990-04-01", "erklaerung": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]


def answers(attempt: QuizAttempt, *, right: int) -> dict[str, str]:
    """Answers for ``attempt`` (positions as shown): the first ``right`` items right, the rest wrong."""
    correct = {
        q.pk: q.correct for q in Question.objects.filter(pk__in=[i["question"] for i in attempt.items])
    }
    data = {}
    for index, item in enumerate(attempt.items):
        right_position = item["order"].index(correct[item["question"]])
        data[f"frage-{item['question']}"] = str(
            right_position if index < right else (right_position + 1) % len(item["order"])
        )
    return data


def take_quiz(client: Client, instruction: Instruction, *, right: int) -> Any:
    assert client.post(url(instruction, "quiz"), {"beginnen": "1"}).status_code == 302
    attempt = QuizAttempt.objects.filter(instruction=instruction, submitted_at__isnull=True).get()
    return client.post(url(instruction, "quiz"), answers(attempt, right=right))


def to_quiz(client: Client, setup: IfsgSetup, language: str = "de") -> Instruction:
    instruction = start(client, setup, language)
    confirm_material(client, instruction)
    declare(client, instruction)
    return instruction


# --- start and language -------------------------------------------------------------------------


def test_start_page_lists_languages_by_native_name_fee_and_in_person_option(setup: IfsgSetup) -> None:
    appointment_office(setup.office, services=((setup.service, 30),))
    html = Client().get("/infektionsschutz/").content.decode()
    assert '<li lang="de">Deutsch</li>' in html
    assert '<li lang="en">English</li>' in html
    assert '<li lang="ar" dir="rtl">العربية</li>' in html
    assert "Türkçe" not in html  # no material in Turkish
    assert "20,00" in html
    assert "/termine/zeiten/?office=" in html and f"s={setup.service.leika_key}%3A1" in html


def test_language_choice_needs_substantial_login(setup: IfsgSetup, world: World) -> None:
    anonymous = Client().post("/infektionsschutz/sprache/", {"programm": setup.programme.pk, "sprache": "ar"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/konto/anmelden/niveau/?niveau=substantiell&next=")
    assert "sprache%3Dar" in anonymous["Location"]
    weak = login(Client(), world.citizen, "normal")
    response = weak.post("/infektionsschutz/sprache/", {"programm": setup.programme.pk, "sprache": "de"})
    assert response["Location"].startswith("/konto/anmelden/niveau/")
    assert not Instruction.objects.exists()
    # back from the step-up page, the choice is preselected
    page = login(Client(), world.citizen).get(
        f"/infektionsschutz/sprache/?programm={setup.programme.pk}&sprache=ar"
    )
    assert re.search(r'value="ar" checked', page.content.decode())


def test_language_page_refuses_staff_and_unknown_languages(
    setup: IfsgSetup, world: World, citizen: Client
) -> None:
    staff = Client()
    staff.force_login(world.caseworker_neuss)
    assert staff.get("/infektionsschutz/sprache/").status_code == 403
    response = citizen.post("/infektionsschutz/sprache/", {"programm": setup.programme.pk, "sprache": "tr"})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.content.decode()
    assert not Instruction.objects.exists()


def test_start_creates_the_instruction_and_leads_to_the_material(setup: IfsgSetup, citizen: Client) -> None:
    instruction = start(citizen, setup)
    assert instruction.language == "de" and instruction.draft is not None
    assert citizen.get(url(instruction))["Location"] == url(instruction, "material")


# --- material ------------------------------------------------------------------------------------


def _with_files(material: Material) -> None:
    material.video.save("belehrung.webm", ContentFile(b"\x1aE\xdf\xa3" + b"\0" * 64), save=False)
    material.captions.save(
        "belehrung.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:02.000\nHallo\n"), save=False
    )
    material.leaflet.save("merkblatt.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    material.save()


def test_material_page_text_video_captions_transcript_leaflet(setup: IfsgSetup, citizen: Client) -> None:
    material = setup.materials["de"]
    _with_files(material)
    instruction = start(citizen, setup)
    response = citizen.get(url(instruction, "material"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Tätigkeitsverbote</h2>" in html  # Markdown, one heading level below the title
    assert "<video" in html and "controls" in html
    assert re.search(
        r'<track kind="captions" src="[^"]+/captions/" srclang="de" label="Deutsch" default>', html
    )
    assert "<details" in html and "Transkript des Videos." in html
    assert f"/infektionsschutz/material/{material.pk}/leaflet/" in html
    assert 'aria-current="step"' in html and "Schritt 3 von 7" in html


def test_material_confirmation_is_required(setup: IfsgSetup, citizen: Client) -> None:
    instruction = start(citizen, setup)
    response = citizen.post(url(instruction, "material"), {})
    assert response.status_code == 422
    html = response.content.decode()
    assert '<a href="#id_bestaetigt">' in html
    instruction.refresh_from_db()
    assert instruction.instructed_at is None
    confirm_material(citizen, instruction)
    instruction.refresh_from_db()
    assert instruction.instructed_at is not None
    assert citizen.get(url(instruction))["Location"] == url(instruction, "erklaerung")


def test_arabic_pages_are_right_to_left(setup: IfsgSetup, citizen: Client) -> None:
    instruction = start(citizen, setup, "ar")
    response = citizen.get(url(instruction, "material"))
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert '<article class="ifsg-material" lang="ar" dir="rtl">' in html
    assert response["Content-Language"] == "ar"
    german = Client().get("/infektionsschutz/").content.decode()
    assert '<html lang="de">' in german  # the override ends with the request


def test_material_files_types_and_access(setup: IfsgSetup, world: World, citizen: Client) -> None:
    material = setup.materials["de"]
    _with_files(material)
    base = f"/infektionsschutz/material/{material.pk}"
    video = Client().get(f"{base}/video/")
    assert video.status_code == 200 and video["Content-Type"] == "video/webm"
    assert video["X-Content-Type-Options"] == "nosniff"
    captions = Client().get(f"{base}/captions/")
    assert captions["Content-Type"] == "text/vtt; charset=utf-8"
    assert b"".join(captions.streaming_content).startswith(b"WEBVTT")  # type: ignore[attr-defined]
    leaflet = Client().get(f"{base}/leaflet/")
    assert leaflet["Content-Type"] == "application/pdf" and "attachment" in leaflet["Content-Disposition"]
    assert Client().get(f"{base}/secret/").status_code == 404
    draft = Material.objects.create(
        programme=setup.programme, language="de", version=2, title="Entwurf", text="x", declaration="y"
    )
    _with_files(draft)
    assert Client().get(f"/infektionsschutz/material/{draft.pk}/leaflet/").status_code == 404
    assert citizen.get(f"/infektionsschutz/material/{draft.pk}/leaflet/").status_code == 404
    other_town = Client()
    other_town.force_login(world.caseworker_dormagen)
    assert other_town.get(f"/infektionsschutz/material/{draft.pk}/leaflet/").status_code == 404
    health_office = Client()
    health_office.force_login(setup.caseworker)
    response = health_office.get(f"/infektionsschutz/material/{draft.pk}/leaflet/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"


# --- order of the steps, other people, login level -----------------------------------------------


def test_wrong_order_redirects_to_the_current_step(setup: IfsgSetup, citizen: Client) -> None:
    instruction = start(citizen, setup)
    for step in ("erklaerung", "quiz", "gebuehr", "absenden", "fertig"):
        response = citizen.get(url(instruction, step))
        assert response.status_code == 302 and response["Location"] == url(instruction, "material"), step
    # a POST to a later step changes nothing either
    citizen.post(
        url(instruction, "erklaerung"),
        {"familienname": "X", "vornamen": "Y", "geburtsdatum": "1990-01-01", "erklaerung": "1"},
    )
    instruction.refresh_from_db()
    assert instruction.declared_at is None
    confirm_material(citizen, instruction)
    assert citizen.get(url(instruction, "material"))["Location"] == url(instruction, "erklaerung")


def test_another_persons_instruction_is_not_found(setup: IfsgSetup, citizen: Client) -> None:
    instruction = start(citizen, setup)
    other = login(Client(), make_user("other@example.org", kind=User.Kind.CITIZEN))
    weak_other = login(Client(), make_user("weak@example.org", kind=User.Kind.CITIZEN), "normal")
    for step in ("", "material", "erklaerung", "quiz", "gebuehr", "absenden", "fertig"):
        assert other.get(url(instruction, step)).status_code == 404, step
        assert weak_other.get(url(instruction, step)).status_code == 404, step
    assert other.post(url(instruction, "material"), {"bestaetigt": "1"}).status_code == 404
    instruction.refresh_from_db()
    assert instruction.instructed_at is None


def test_weaker_login_and_staff_on_own_instruction(setup: IfsgSetup, world: World) -> None:
    instruction = start(login(Client(), world.citizen), setup)
    weak = login(Client(), world.citizen, "normal")
    response = weak.get(url(instruction, "material"))
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/anmelden/niveau/?niveau=substantiell")
    anonymous = Client().get(url(instruction, "material"))
    assert anonymous["Location"].startswith("/konto/anmelden/niveau/")
    staff = Client()
    staff.force_login(setup.caseworker)
    assert staff.get(url(instruction, "material")).status_code == 403


def test_posts_are_csrf_protected(setup: IfsgSetup, world: World) -> None:
    strict = login(Client(enforce_csrf_checks=True), world.citizen)
    assert (
        strict.post(
            "/infektionsschutz/sprache/", {"programm": setup.programme.pk, "sprache": "de"}
        ).status_code
        == 403
    )
    instruction = start(login(Client(), world.citizen), setup)
    for step, data in (
        ("material", {"bestaetigt": "1"}),
        ("erklaerung", {}),
        ("quiz", {"beginnen": "1"}),
        ("gebuehr", {"gutschein": "1", "code": VOUCHER}),
        ("absenden", {}),
    ):
        assert strict.post(url(instruction, step), data).status_code == 403, step
    instruction.refresh_from_db()
    assert instruction.instructed_at is None


# --- declaration ----------------------------------------------------------------------------------


def test_declaration_prefilled_validated_and_recorded(
    setup: IfsgSetup, world: World, citizen: Client
) -> None:
    world.citizen.first_name, world.citizen.last_name = "Clara", "Citizen"
    world.citizen.save()
    instruction = start(citizen, setup)
    confirm_material(citizen, instruction)
    page = citizen.get(url(instruction, "erklaerung")).content.decode()
    assert 'value="Citizen"' in page and 'value="Clara"' in page
    assert "Mir sind keine Tatsachen für ein Tätigkeitsverbot bekannt." in page
    assert "Schritt 4 von 7" in page
    response = citizen.post(
        url(instruction, "erklaerung"),
        {"familienname": "", "vornamen": "Clara", "geburtsdatum": "2999-01-01"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    for target in ("id_familienname", "id_geburtsdatum", "id_erklaerung"):
        assert f'<a href="#{target}">' in html
    assert 'aria-invalid="true"' in html
    declare(citizen, instruction)
    instruction.refresh_from_db()
    assert instruction.declared_at is not None and instruction.draft is not None
    assert instruction.draft.data["familienname"] == "Citizen"
    assert instruction.draft.data["erklaerung"] is True
    assert citizen.get(url(instruction))["Location"] == url(instruction, "quiz")


# --- quiz -----------------------------------------------------------------------------------------


def test_quiz_questions_as_fieldsets_and_unanswered_questions(setup: IfsgSetup, citizen: Client) -> None:
    instruction = to_quiz(citizen, setup)
    intro = citizen.get(url(instruction, "quiz")).content.decode()
    assert "Fragen beginnen" in intro and "Schritt 5 von 7" in intro
    assert not QuizAttempt.objects.exists()  # a GET draws nothing
    citizen.post(url(instruction, "quiz"), {"beginnen": "1"})
    attempt = QuizAttempt.objects.get()
    html = citizen.get(url(instruction, "quiz")).content.decode()
    assert html.count("<fieldset") == 8 and html.count("<legend>") == 8
    first = Question.objects.get(pk=attempt.items[0]["question"])
    assert first.texts["de"]["text"] in html
    shown = [first.texts["de"]["options"][i] for i in attempt.items[0]["order"]]
    positions = [html.index(option) for option in shown]
    assert positions == sorted(positions)  # options in the order drawn
    partial = dict(list(answers(attempt, right=8).items())[:5])
    response = citizen.post(url(instruction, "quiz"), partial)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Bitte beantworten Sie Frage 6." in body
    assert f'<a href="#id_frage-{attempt.items[5]["question"]}_0">' in body
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_failure_shows_wrong_numbers_then_material_again_then_pass(setup: IfsgSetup, citizen: Client) -> None:
    appointment_office(setup.office, services=((setup.service, 30),))
    instruction = to_quiz(citizen, setup)
    response = take_quiz(citizen, instruction, right=5)
    assert response["Location"] == url(instruction, "quiz") + "?ergebnis"
    result = citizen.get(response["Location"]).content.decode()
    assert "Sie haben 5 von 8 Fragen richtig beantwortet" in result
    for number in (6, 7, 8):
        assert f"Frage {number}:" in result
    assert "Frage 5:" not in result
    assert "Sie haben noch 2 Versuche." in result
    assert "/termine/zeiten/?office=" in result
    assert "Material noch einmal ansehen" in result
    # the right answers are never shown
    attempt = QuizAttempt.objects.get()
    for item in attempt.items[5:]:
        question = Question.objects.get(pk=item["question"])
        for option in question.texts["de"]["options"]:
            assert f">{option}<" not in result
    # material must be confirmed again before another attempt
    assert citizen.get(url(instruction, "quiz"))["Location"] == url(instruction, "material")
    material_page = citizen.get(url(instruction, "material")).content.decode()
    assert "Leider nicht bestanden" in material_page
    confirm_material(citizen, instruction)
    assert citizen.get(url(instruction))["Location"] == url(instruction, "quiz")
    response = take_quiz(citizen, instruction, right=7)
    assert response["Location"] == url(instruction)
    instruction.refresh_from_db()
    assert instruction.passed_at is not None
    assert citizen.get(url(instruction))["Location"] == url(instruction, "gebuehr")


def test_three_failures_block_the_quiz_with_in_person_option(setup: IfsgSetup, citizen: Client) -> None:
    setup.programme.review_material_after_failure = False
    setup.programme.save()
    appointment_office(setup.office, services=((setup.service, 30),))
    instruction = to_quiz(citizen, setup)
    for _attempt in range(3):
        take_quiz(citizen, instruction, right=0)
    page = citizen.get(url(instruction, "quiz"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Sie können die Fragen ab" in html and "erneut beantworten" in html
    assert "Termin für die Belehrung vor Ort buchen" in html
    assert "Neuen Versuch beginnen" not in html
    assert citizen.get(url(instruction, "material"))["Location"] == url(instruction, "quiz")
    refused = citizen.post(url(instruction, "quiz"), {"beginnen": "1"})
    assert refused.status_code == 200 and QuizAttempt.objects.count() == 3
    # after the pause a new round begins
    QuizAttempt.objects.update(submitted_at=timezone.now() - timedelta(hours=25))
    intro = citizen.get(url(instruction, "quiz")).content.decode()
    assert "Fragen beginnen" in intro and "Sie haben noch 3 Versuche." in intro


# --- fee, submission, certificate -----------------------------------------------------------------


def test_voucher_submit_and_certificate(setup: IfsgSetup, world: World, citizen: Client) -> None:
    instruction = to_quiz(citizen, setup)
    take_quiz(citizen, instruction, right=8)
    fee_page = citizen.get(url(instruction, "gebuehr"))
    assert fee_page.status_code == 200 and "20,00" in fee_page.content.decode()
    wrong = citizen.post(url(instruction, "gebuehr"), {"gutschein": "1", "code": "FALSCH"})
    assert wrong.status_code == 422
    assert '<a href="#id_code">' in wrong.content.decode()
    assert citizen.post(url(instruction, "gebuehr"), {"gutschein": "1", "code": VOUCHER.lower()})[
        "Location"
    ] == url(instruction)
    assert citizen.get(url(instruction))["Location"] == url(instruction, "absenden")
    summary = citizen.get(url(instruction, "absenden")).content.decode()
    assert "Citizen" in summary and "erlassen" in summary and "Schritt 7 von 7" in summary
    assert citizen.post(url(instruction, "absenden"))["Location"] == url(instruction, "fertig")
    instruction.refresh_from_db()
    assert instruction.case is not None
    waiting = citizen.get(url(instruction, "fertig")).content.decode()
    assert instruction.case.reference in waiting
    deliver_due_messages()
    certificate = Certificate.objects.get(instruction=instruction)
    done = citizen.get(url(instruction, "fertig")).content.decode()
    assert certificate.notice.code in done
    assert certificate.work_begin_by.strftime("%Y") in done
    certificate.notice.refresh_from_db()
    assert certificate.notice.document_id is not None  # rendered by the worker (notice.render)
    assert f"/konto/dokumente/{certificate.notice.document_id}/" in done
    assert "wird gerade" not in done
    # every step now leads to the done page
    assert citizen.get(url(instruction, "material"))["Location"] == url(instruction, "fertig")


def test_pay_online_goes_to_the_payment_page(setup: IfsgSetup, citizen: Client) -> None:
    instruction = to_quiz(citizen, setup)
    take_quiz(citizen, instruction, right=8)
    response = citizen.post(url(instruction, "gebuehr"), {"bezahlen": "1"})
    assert response.status_code == 302 and response["Location"].startswith("/zahlungen/")
    assert citizen.get(response["Location"]).status_code == 200
