"""Every caseworker action on the case page, through HTTP: the change, the message, and the refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.cases.models import Case, CaseNote, InformationRequest, Phase, PostboxMessage
from amtsweg.cases.services import case_claim, case_decide, case_request_information
from amtsweg.notices.models import Notice
from amtsweg.tenancy.models import Team
from amtsweg.testing import World

from . import factories


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(case: Case, suffix: str = "") -> str:
    return f"/backoffice/05162024/vorgaenge/{case.pk}/{suffix}"


def _fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_claim(world: World) -> None:
    case = factories.submit_case(world)
    response = _client(world.caseworker_neuss).post(_url(case, "uebernehmen/"), follow=True)
    assert response.redirect_chain[-1][0] == _url(case)
    assert "Sie bearbeiten jetzt" in response.content.decode()
    assert (_fresh(case).assignee, _fresh(case).phase) == (world.caseworker_neuss, Phase.IN_PROGRESS)


def test_assign_to_a_colleague_and_back_to_nobody(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    page = client.post(
        _url(case, "zuweisen/"), {"assignee": world.admin_neuss.pk}, follow=True
    ).content.decode()
    assert "Die Zuweisung wurde gespeichert." in page
    assert _fresh(case).assignee == world.admin_neuss
    client.post(_url(case, "zuweisen/"), {"assignee": ""})
    assert _fresh(case).assignee is None


def test_assigning_to_someone_outside_the_authority_is_a_form_error(world: World) -> None:
    case = factories.submit_case(world)
    response = _client(world.caseworker_neuss).post(
        _url(case, "zuweisen/"), {"assignee": world.caseworker_dormagen.pk}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and 'href="#assign-assignee"' in page  # error summary links to the field
    assert 'aria-describedby="assign-assignee_error"' in page and 'aria-invalid="true"' in page
    assert _fresh(case).assignee is None


def test_move_to_team(world: World) -> None:
    case = factories.submit_case(world)
    team = Team.objects.create(authority=world.neuss, name="Ordnungsamt")
    _client(world.caseworker_neuss).post(_url(case, "team/"), {"team": team.pk})
    assert _fresh(case).team == team
    dormagen_team = Team.objects.get(authority=world.dormagen)
    response = _client(world.caseworker_neuss).post(_url(case, "team/"), {"team": dormagen_team.pk})
    assert response.status_code == 400 and _fresh(case).team == team


def test_change_status_with_comment(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    page = client.post(
        _url(case, "status/"), {"status": "in_bearbeitung", "comment": "Unterlagen vollständig"}, follow=True
    ).content.decode()
    assert "Der Status wurde geändert." in page and "„Unterlagen vollständig“" in page
    assert _fresh(case).status == "in_bearbeitung"


@pytest.mark.parametrize("status", ["entschieden", "rueckfrage", "abgeschlossen", "erfunden"])
def test_a_status_not_offered_is_refused(world: World, status: str) -> None:
    case = factories.submit_case(world)
    response = _client(world.caseworker_neuss).post(_url(case, "status/"), {"status": status})
    assert response.status_code == 400
    assert _fresh(case).status == "eingegangen"


def test_notes(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    page = client.post(_url(case, "notizen/"), {"text": "Rückruf Montag"}, follow=True).content.decode()
    assert "Die Notiz wurde gespeichert." in page and "Rückruf Montag" in page
    empty = client.post(_url(case, "notizen/"), {"text": ""})
    assert empty.status_code == 400 and "Dieses Feld ist zwingend erforderlich." in empty.content.decode()
    assert CaseNote.objects.filter(case=case).count() == 1


def test_request_information(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    due = timezone.localdate() + timedelta(days=14)
    page = client.post(
        _url(case, "nachforderung/"),
        {"message": "Bitte Ausweis nachreichen", "due_date": due.isoformat()},
        follow=True,
    ).content.decode()
    assert "Postfach" in page
    request = InformationRequest.objects.get(case=case)
    assert request.due_date == due and _fresh(case).phase == Phase.WAITING
    assert PostboxMessage.objects.filter(information_request=request, recipient=world.citizen).exists()
    assert "Entscheiden und Bescheid erstellen" not in page  # waiting for the answer


def test_request_information_keeps_the_text_when_the_date_is_wrong(world: World) -> None:
    case = factories.submit_case(world)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = _client(world.caseworker_neuss).post(
        _url(case, "nachforderung/"), {"message": "Bitte Ausweis nachreichen", "due_date": yesterday}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Vergangenheit" in page
    assert "Bitte Ausweis nachreichen</textarea>" in page
    assert not InformationRequest.objects.exists()


def test_decide_with_own_fee_lines_and_close(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    page = client.post(
        _url(case, "entscheidung/"),
        {
            "decision": "partially",
            "body": "Die Bescheinigung wird ohne Angabe früherer Anschriften erteilt.",
            "fee_lines": "Meldebescheinigung | GebO § 1 | 10,00\n\nZuschlag | GebO § 2 | 2.50",
        },
        follow=True,
    ).content.decode()
    assert "Der Vorgang ist entschieden" in page
    notice = Notice.objects.get(case=case)
    assert notice.decision == "partially" and notice.body.startswith("Die Bescheinigung")
    assert [line["amount"] for line in notice.fee_lines] == ["10.00", "2.50"]
    assert str(notice.fee_total) == "12.50"
    assert _fresh(case).phase == Phase.DECIDED
    closed = client.post(_url(case, "abschluss/"), follow=True).content.decode()
    assert "Der Vorgang ist abgeschlossen." in closed and _fresh(case).phase == Phase.CLOSED


def test_decision_form_errors_name_the_line(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    response = _client(world.caseworker_neuss).post(
        _url(case, "entscheidung/"), {"decision": "granted", "fee_lines": "Gebühr | GebO | zehn Euro"}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Zeile 1" in page and "zehn Euro" in page
    missing = _client(world.caseworker_neuss).post(_url(case, "entscheidung/"), {})
    assert 'href="#decision-decision_0"' in missing.content.decode()
    assert not Notice.objects.exists()


def test_a_refused_action_is_shown_on_the_page_not_as_an_error(world: World) -> None:
    case = factories.submit_case(world)
    case_request_information(case=case, message="Ausweis", actor=world.caseworker_neuss, channel="web")
    # The case page no longer offers deciding, but a stale form (another tab) can still send it.
    factories.notice_templates(world)
    response = _client(world.caseworker_neuss).post(_url(case, "entscheidung/"), {"decision": "granted"})
    assert response.status_code == 409
    page = response.content.decode()
    assert 'role="alert"' in page and "wartet noch auf eine Antwort" in page
    assert not Notice.objects.exists()
    closed = _client(world.caseworker_neuss).post(_url(case, "abschluss/"))
    assert closed.status_code == 409 and "geht es nicht nach" in closed.content.decode()


def test_without_a_notice_template_deciding_is_refused_with_a_message(world: World) -> None:
    case = factories.submit_case(world)
    case_claim(case=case, actor=world.caseworker_neuss, channel="web")
    response = _client(world.caseworker_neuss).post(_url(case, "entscheidung/"), {"decision": "granted"})
    assert response.status_code == 409 and "keine Bescheidvorlage" in response.content.decode()
    assert _fresh(case).phase == Phase.IN_PROGRESS  # nothing half done


def test_actions_need_the_csrf_token(world: World) -> None:
    case = factories.submit_case(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.caseworker_neuss)
    assert client.post(_url(case, "uebernehmen/")).status_code == 403
    assert _fresh(case).assignee is None


def test_actions_only_by_post(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    for suffix in (
        "uebernehmen/",
        "zuweisen/",
        "team/",
        "status/",
        "notizen/",
        "nachforderung/",
        "entscheidung/",
    ):
        assert client.get(_url(case, suffix)).status_code == 405


def test_actions_on_another_towns_case_are_404_and_change_nothing(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    dirk = _client(world.caseworker_dormagen)
    for suffix, data in (
        ("uebernehmen/", {}),
        ("notizen/", {"text": "x"}),
        ("entscheidung/", {"decision": "granted"}),
    ):
        assert dirk.post(_url(case, suffix), data).status_code == 404
        assert dirk.post(f"/backoffice/05162004/vorgaenge/{case.pk}/{suffix}", data).status_code == 404
    fresh = _fresh(case)
    assert (fresh.assignee, fresh.phase, fresh.notes.count()) == (None, Phase.NEW, 0)
    assert not Notice.objects.exists()


def test_decided_case_page_links_the_notice_pdf_when_rendered(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    case_decide(case=case, decision="granted", actor=world.caseworker_neuss, channel="web")
    notice = Notice.objects.get(case=case)
    client = _client(world.caseworker_neuss)
    assert "wird erstellt" in client.get(_url(case)).content.decode()
    pdf = factories.add_document(
        content=b"%PDF-1.7\n%%EOF\n",
        filename="bescheid.pdf",
        uploaded_by=None,
        case=case,
        kind="notice",
    )
    Notice.objects.filter(pk=notice.pk).update(document=pdf, status=Notice.Status.ISSUED)
    page = client.get(_url(case)).content.decode()
    assert _url(case, f"dokumente/{pdf.pk}/") in page
    assert client.get(_url(case, f"dokumente/{pdf.pk}/")).status_code == 200
