"""Answering an information request in the portal: all or nothing, once, and the case resumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from amtsweg.cases.models import Case, CaseEvent, Document, InformationRequest, Phase
from amtsweg.cases.services import case_change_status
from amtsweg.cases.services_citizen import MAX_FILES_PER_ANSWER
from amtsweg.testing import World

from . import factories_citizen as factories


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def waiting(world: World) -> InformationRequest:
    case = factories.submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    return factories.request_information(case=case, caseworker=world.caseworker_neuss)


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.citizen)
    return client


def _url(request: InformationRequest) -> str:
    return f"/konto/antraege/{request.case_id}/nachforderungen/{request.pk}/"


def _pdf(name: str = "ausweis.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, factories.PDF_BYTES, content_type="application/pdf")


def test_case_detail_shows_the_open_request_with_an_answer_form(
    world: World, waiting: InformationRequest
) -> None:
    page = _client(world).get(f"/konto/antraege/{waiting.case_id}/").content.decode()
    assert "Unterlagen nachgefordert" in page  # the status of the default model
    assert "Bitte reichen Sie eine Kopie Ihres Personalausweises nach." in page
    assert f'action="{_url(waiting)}"' in page and 'enctype="multipart/form-data"' in page
    assert f'id="id_r{waiting.pk}_answer"' in page and 'name="answer"' in page
    assert f'id="id_r{waiting.pk}_uploads"' in page and "multiple" in page


def test_answer_with_text_and_file_resumes_the_case(
    world: World, waiting: InformationRequest, media: Path
) -> None:
    client = _client(world)
    response = client.post(
        _url(waiting), {"answer": "Anbei die Kopie.", "uploads": [_pdf(), _pdf("rueckseite.pdf")]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/konto/antraege/{waiting.case_id}/"
    waiting.refresh_from_db()
    assert waiting.answered_at is not None and waiting.answer == "Anbei die Kopie."
    case = Case.objects.get(pk=waiting.case_id)
    assert case.phase == Phase.IN_PROGRESS and case.status == "in_bearbeitung"
    documents = list(Document.objects.filter(information_request=waiting).order_by("filename"))
    assert [d.filename for d in documents] == ["ausweis.pdf", "rueckseite.pdf"]
    assert all(d.kind == Document.Kind.REPLY and d.case_id == case.pk for d in documents)
    assert all(d.uploaded_by_id == world.citizen.pk for d in documents)
    assert len(_stored_files(media)) == 2
    event = case.events.get(kind=CaseEvent.Kind.INFO_RECEIVED)
    assert event.visible_to_applicant and set(event.detail["documents"]) == {str(d.pk) for d in documents}
    page = client.get(response["Location"]).content.decode()
    assert "Ihre Antwort ist bei Neuss eingegangen." in page
    assert "In Bearbeitung" in page and "Beantwortete Nachforderungen" in page
    assert "Anbei die Kopie." in page and "ausweis.pdf" in page
    assert 'action="' + _url(waiting) not in page  # no form for an answered request


def test_answer_with_only_a_file(world: World, waiting: InformationRequest) -> None:
    assert _client(world).post(_url(waiting), {"answer": "", "uploads": [_pdf()]}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.answered_at is not None and waiting.answer == ""


def test_disguised_exe_is_refused_and_nothing_is_stored(
    world: World, waiting: InformationRequest, media: Path
) -> None:
    exe = SimpleUploadedFile("ausweis.pdf", factories.EXE_BYTES, content_type="application/pdf")
    # A good file first: it is checked and written before the bad one is seen, and must go again.
    response = _client(world).post(_url(waiting), {"answer": "Anbei.", "uploads": [_pdf("gut.pdf"), exe]})
    assert response.status_code == 422
    page = response.content.decode()
    assert "keinen erlaubten Dateityp" in page and "Maßgeblich ist der Inhalt der Datei" in page
    assert 'role="alert"' in page
    assert "Bitte wählen Sie die Dateien erneut aus." in page
    assert "Anbei.</textarea>" in page  # the text is kept
    waiting.refresh_from_db()
    assert waiting.answered_at is None and waiting.answer == ""
    assert not Document.objects.filter(case_id=waiting.case_id).exists()
    assert _stored_files(media) == []
    case = Case.objects.get(pk=waiting.case_id)
    assert case.phase == Phase.WAITING
    assert not case.events.filter(kind=CaseEvent.Kind.INFO_RECEIVED).exists()


def test_second_answer_gets_409_and_changes_nothing(
    world: World, waiting: InformationRequest, media: Path
) -> None:
    client = _client(world)
    assert client.post(_url(waiting), {"answer": "Erste Antwort."}).status_code == 302
    response = client.post(_url(waiting), {"answer": "Zweite Antwort.", "uploads": [_pdf()]})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Diese Nachforderung ist bereits beantwortet." in page
    assert "Eine weitere Antwort ist nicht nötig." in page
    waiting.refresh_from_db()
    assert waiting.answer == "Erste Antwort."
    assert not Document.objects.filter(case_id=waiting.case_id).exists() and _stored_files(media) == []
    assert Case.objects.get(pk=waiting.case_id).events.filter(kind=CaseEvent.Kind.INFO_RECEIVED).count() == 1


def test_answer_already_given_in_another_tab_is_409_from_the_service(
    world: World, waiting: InformationRequest, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page was loaded before the answer from another tab: the locked re-check refuses it."""
    from amtsweg.cases import selectors_citizen

    real = selectors_citizen.information_request_get_for_citizen

    def stale(**kwargs: Any) -> InformationRequest:
        request: InformationRequest = real(**kwargs)
        InformationRequest.objects.filter(pk=request.pk).update(
            answer="aus dem anderen Tab", answered_at=request.requested_at
        )
        return request  # still looks open to the view

    monkeypatch.setattr(selectors_citizen, "information_request_get_for_citizen", stale)
    response = _client(world).post(_url(waiting), {"answer": "Noch einmal.", "uploads": [_pdf()]})
    assert response.status_code == 409
    assert "bereits beantwortet" in response.content.decode()
    assert not Document.objects.exists() and _stored_files(media) == []


def test_empty_answer_is_refused_with_a_clear_message(world: World, waiting: InformationRequest) -> None:
    response = _client(world).post(_url(waiting), {"answer": "   "})
    assert response.status_code == 400
    assert "Bitte schreiben Sie eine Antwort oder laden Sie Unterlagen hoch." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.answered_at is None


def test_too_many_files_are_refused(world: World, waiting: InformationRequest, media: Path) -> None:
    files = [_pdf(f"seite-{n}.pdf") for n in range(MAX_FILES_PER_ANSWER + 1)]
    response = _client(world).post(_url(waiting), {"answer": "Alles.", "uploads": files})
    assert response.status_code == 400
    assert f"höchstens {MAX_FILES_PER_ANSWER} Dateien" in response.content.decode()
    assert _stored_files(media) == [] and not Document.objects.exists()


def test_oversized_file_is_refused(
    world: World, waiting: InformationRequest, settings: Any, media: Path
) -> None:
    settings.UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile(
        "gross.pdf", factories.PDF_BYTES + b"0" * (1024 * 1024), content_type="application/pdf"
    )
    response = _client(world).post(_url(waiting), {"answer": "Groß.", "uploads": [big]})
    assert response.status_code == 413
    assert "ist zu groß" in response.content.decode()
    assert _stored_files(media) == []
    waiting.refresh_from_db()
    assert waiting.answered_at is None


def test_closed_case_cannot_be_answered(world: World, waiting: InformationRequest) -> None:
    case = Case.objects.get(pk=waiting.case_id)
    case_change_status(case=case, status_key="in_bearbeitung", actor=world.caseworker_neuss, channel="web")
    Case.objects.filter(pk=case.pk).update(phase=Phase.CLOSED, status="abgeschlossen")
    response = _client(world).post(_url(waiting), {"answer": "Zu spät."})
    assert response.status_code == 409
    assert "Der Vorgang ist abgeschlossen." in response.content.decode()


def test_answer_page_of_another_citizen_is_404(world: World, waiting: InformationRequest) -> None:
    other = Client()
    other.force_login(factories.other_citizen())
    assert other.get(_url(waiting)).status_code == 404
    assert other.post(_url(waiting), {"answer": "Fremd."}).status_code == 404
    # A request id of one case under another case's id is not found either.
    mine = factories.submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    client = _client(world)
    assert client.get(f"/konto/antraege/{mine.pk}/nachforderungen/{waiting.pk}/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.answered_at is None
