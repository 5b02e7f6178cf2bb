"""The case page in the back office: header, submitted data, documents, history, requests, notices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amtsweg.cases.models import Document
from amtsweg.cases.services import (
    case_add_note,
    case_assign,
    case_claim,
    case_decide,
    case_request_information,
    information_request_answer,
)
from amtsweg.notices.models import Notice
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from . import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(case: Any, suffix: str = "") -> str:
    return f"/backoffice/{case.authority.ags}/vorgaenge/{case.pk}/{suffix}"


def test_the_case_page_shows_everything_a_caseworker_needs(world: World) -> None:
    factories.notice_templates(world)
    nora = world.caseworker_neuss
    case = factories.submit_case(world, attachment=PDF)
    case_claim(case=case, actor=nora, channel="web")
    case_add_note(case=case, text="Ausweis war abgelaufen", actor=nora, channel="web")
    request = case_request_information(
        case=case, message="Bitte neuen Ausweis hochladen", actor=nora, channel="web"
    )
    reply = factories.add_document(
        content=PDF,
        filename="neuer-ausweis.pdf",
        uploaded_by=world.citizen,
        case=case,
        information_request=request,
        kind=Document.Kind.REPLY,
    )
    information_request_answer(
        request=request, answer="Hier ist er", documents=[reply], actor=world.citizen, channel="web"
    )
    case_decide(case=case, decision="granted", actor=nora, channel="web")

    page = _client(nora).get(_url(case)).content.decode()
    for expected in (
        f"Vorgang {case.reference}",
        "Meldebescheinigung Ausstellung",
        "Clara Citizen",
        "Entschieden",  # the status
        "Bürgerservice",  # the team
        "Nora Neuss",  # assignee
        # the submitted data, worded by the form
        "Angaben zur Person",
        "Familienname",
        "Für den Arbeitgeber",
        # documents, the request and its answer
        "nachweis.pdf",
        "neuer-ausweis.pdf",
        "Bitte neuen Ausweis hochladen",
        "Hier ist er",
        # note, history, notice
        "Ausweis war abgelaufen",
        "Antrag eingegangen",
        "von „Eingegangen“ nach „In Bearbeitung“",
        "an Nora Neuss",
        "Nachforderung",
        "bewilligt",
        "Meldebescheinigung – bewilligt",
        Notice.objects.get(case=case).code,
    ):
        assert expected in page, expected
    assert "Entscheiden und Bescheid erstellen" not in page  # decided: no second decision
    assert "Vorgang abschließen" in page


def test_reading_a_case_is_audited_and_other_towns_get_404(world: World) -> None:
    case = factories.submit_case(world)
    assert _client(world.caseworker_neuss).get(_url(case)).status_code == 200
    read = AuditEvent.objects.get(action=AuditEvent.Action.READ, object_id=str(case.pk))
    assert (read.actor, read.authority, read.channel) == (world.caseworker_neuss, world.neuss, "web")
    assert _client(world.caseworker_dormagen).get(_url(case)).status_code == 404
    # Nor under their own town's address.
    assert (
        _client(world.caseworker_dormagen).get(f"/backoffice/05162004/vorgaenge/{case.pk}/").status_code
        == 404
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.READ).count() == 1
    # The alliance administrator reads it, but only under the right town.
    kai = _client(world.kreis_admin)
    assert kai.get(_url(case)).status_code == 200
    assert kai.get(f"/backoffice/05162004/vorgaenge/{case.pk}/").status_code == 404


def test_only_allowed_next_statuses_are_offered(world: World) -> None:
    case = factories.submit_case(world)
    page = _client(world.caseworker_neuss).get(_url(case)).content.decode()
    status_form = page[
        page.index('id="status-status"') : page.index("</select>", page.index('id="status-status"'))
    ]
    assert 'value="in_bearbeitung"' in status_form
    assert 'value="entschieden"' not in status_form and 'value="rueckfrage"' not in status_form
    assert 'value="abgeschlossen"' not in status_form
    assert "Vorgang abschließen" not in page and "Vorgang übernehmen" in page


def test_document_download_is_scoped_audited_and_never_inline(world: World) -> None:
    case = factories.submit_case(world, attachment=PDF)
    document = Document.objects.get(case=case)
    client = _client(world.caseworker_neuss)
    response = client.get(_url(case, f"dokumente/{document.pk}/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "nachweis.pdf" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.READ, object_type="cases.document")
    assert event.object_id == str(document.pk) and event.authority == world.neuss

    other = factories.submit_case(world)
    assert client.get(_url(other, f"dokumente/{document.pk}/")).status_code == 404  # not that case's
    assert _client(world.caseworker_dormagen).get(_url(case, f"dokumente/{document.pk}/")).status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(_url(case, f"dokumente/{missing}/")).status_code == 404


def test_a_case_without_submission_still_shows(world: World) -> None:
    from django.core.management import call_command

    call_command("seed_cases", count=1, authority=[world.neuss.ags], years=1, stdout=None)
    from amtsweg.cases.models import Case

    case = Case.objects.get(submission__isnull=True)
    page = _client(world.caseworker_neuss).get(_url(case)).content.decode()
    assert "keine Formulardaten" in page and case.reference in page


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_case_page_query_count_does_not_grow_with_history(world: World) -> None:
    factories.notice_templates(world)
    nora = world.caseworker_neuss
    case = factories.submit_case(world, attachment=PDF)
    client = _client(nora)

    def work(times: int) -> None:
        for number in range(times):
            case_add_note(case=case, text=f"Notiz {number}", actor=nora, channel="web")
            request = case_request_information(
                case=case, message=f"Frage {number}", actor=nora, channel="web"
            )
            information_request_answer(
                request=request, answer="Antwort", documents=[], actor=world.citizen, channel="web"
            )
            case_assign(
                case=case, assignee=world.admin_neuss if number % 2 else nora, actor=nora, channel="web"
            )

    work(1)
    client.get(_url(case))
    before = _count(client, _url(case))
    work(6)
    assert _count(client, _url(case)) == before
    assert before <= 22
