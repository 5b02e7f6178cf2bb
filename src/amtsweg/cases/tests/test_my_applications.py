"""'Mein Konto' and 'Meine Anträge' through HTTP: own cases only, live status, visible history, documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amtsweg.cases.models import Case, CaseEvent, Document, InformationRequest, Phase, StatusDefinition
from amtsweg.cases.services import case_change_status
from amtsweg.testing import World

from . import factories_citizen as factories
from .matrix_citizen import ROUTES, citizen_objects


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _case(world: World, **kwargs: object) -> Case:
    return factories.submitted_case(
        citizen=world.citizen,
        service=world.town_service,
        authority=world.neuss,
        **kwargs,  # type: ignore[arg-type]
    )


def test_list_shows_own_cases_newest_first_with_live_status(world: World) -> None:
    first = _case(world)
    second = factories.submitted_case(
        citizen=world.citizen, service=world.town_service, authority=world.dormagen
    )
    case_change_status(case=first, status_key="in_bearbeitung", actor=world.caseworker_neuss, channel="web")
    page = _client(world.citizen).get("/konto/antraege/").content.decode()
    assert page.index(second.reference) < page.index(first.reference)
    first_card = page[page.index(first.reference) - 800 : page.index(first.reference)]
    assert "In Bearbeitung" in first_card
    second_card = page[page.index(second.reference) - 800 : page.index(second.reference)]
    assert "Eingegangen" in second_card
    assert "Dormagen" in page and "Neuss" in page
    assert f'href="/konto/antraege/{first.pk}/"' in page


def test_list_shows_open_drafts_with_a_link_to_resume(world: World) -> None:
    draft = factories.open_draft(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    _case(world)  # its draft is submitted and must not show as a draft
    page = _client(world.citizen).get("/konto/antraege/").content.decode()
    assert "Noch nicht abgeschickt" in page
    assert page.count('href="/antraege/') == 1
    assert f'href="/antraege/{draft.id}/"' in page


def test_another_citizens_cases_and_drafts_are_not_listed(world: World) -> None:
    other = factories.other_citizen()
    theirs = factories.submitted_case(citizen=other, service=world.town_service, authority=world.neuss)
    their_draft = factories.open_draft(citizen=other, service=world.town_service, authority=world.neuss)
    page = _client(world.citizen).get("/konto/antraege/").content.decode()
    assert theirs.reference not in page and str(their_draft.id) not in page
    assert "Sie haben noch keinen Antrag abgeschickt." in page


def test_hidden_status_shows_as_its_phase(world: World) -> None:
    case = _case(world)
    StatusDefinition.objects.create(
        service=world.town_service,
        key="eingegangen",
        label_de="Eingegangen",
        phase=Phase.NEW,
        order=1,
        next_keys=["vorpruefung"],
    )
    StatusDefinition.objects.create(
        service=world.town_service,
        key="vorpruefung",
        label_de="Interne Vorprüfung",
        phase=Phase.IN_PROGRESS,
        order=2,
        visible_to_applicant=False,
    )
    case_change_status(case=case, status_key="vorpruefung", actor=world.caseworker_neuss, channel="web")
    client = _client(world.citizen)
    for url in ("/konto/antraege/", f"/konto/antraege/{case.pk}/"):
        page = client.get(url).content.decode()
        assert "Interne Vorprüfung" not in page
        assert "in Bearbeitung" in page


def test_list_query_count_does_not_grow_with_cases(world: World) -> None:
    client = _client(world.citizen)
    _case(world)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/konto/antraege/").status_code == 200
    for _ in range(6):
        case = _case(world)
        factories.request_information(case=case, caseworker=world.caseworker_neuss)
    factories.open_draft(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    with CaptureQueriesContext(connection) as seven:
        assert client.get("/konto/antraege/").status_code == 200
    # Session, user, count, page, status labels, open requests, drafts, unread count: 8, for any number.
    assert len(seven) == len(one) <= 8, [q["sql"] for q in seven.captured_queries]


def test_account_overview_lists_what_needs_an_answer(world: World) -> None:
    case = _case(world)
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)
    page = _client(world.citizen).get("/konto/").content.decode()
    assert "Ihre Antwort wird erwartet" in page
    assert f'href="/konto/antraege/{case.pk}/nachforderungen/{request.pk}/"' in page
    assert "Sie haben 1 ungelesene Nachricht." in page
    assert "Willkommen, Clara Citizen." in page


def test_detail_shows_status_visible_history_data_and_documents(world: World) -> None:
    case = _case(world)
    case_change_status(case=case, status_key="in_bearbeitung", actor=world.caseworker_neuss, channel="web")
    CaseEvent.objects.create(
        case=case,
        actor=world.caseworker_neuss,
        kind=CaseEvent.Kind.NOTE,
        detail={"note": 1},
        visible_to_applicant=False,
    )
    receipt = factories.add_document(
        case=case, kind=Document.Kind.RECEIPT, filename="eingangsbestaetigung.pdf"
    )
    internal = factories.add_document(case=case, kind=Document.Kind.INTERNAL, filename="vermerk-intern.pdf")
    page = _client(world.citizen).get(f"/konto/antraege/{case.pk}/").content.decode()
    assert f"<h1>{case.title}</h1>" in page
    assert case.reference in page and "Neuss" in page
    assert "Antrag eingegangen (Status: Eingegangen)" in page
    assert "Neuer Status: In Bearbeitung" in page
    assert "Notiz" not in page and "Nora" not in page  # no internal entries, no staff names
    assert f'href="/konto/dokumente/{receipt.pk}/"' in page and "eingangsbestaetigung.pdf" in page
    assert str(internal.pk) not in page and "vermerk-intern" not in page
    # The submitted data with the form's labels and the code list's labels.
    assert "Wofür brauchen Sie die Bescheinigung?" in page and "Arbeitgeber" in page
    assert "Familienname" in page and "Citizen" in page


def test_detail_of_another_citizens_case_is_404(world: World) -> None:
    other = factories.other_citizen()
    theirs = factories.submitted_case(citizen=other, service=world.town_service, authority=world.neuss)
    assert _client(world.citizen).get(f"/konto/antraege/{theirs.pk}/").status_code == 404
    assert _client(world.citizen).get("/konto/antraege/999999/").status_code == 404


def test_documents_download_as_attachments_and_only_own_visible_ones(world: World) -> None:
    case = _case(world)
    notice = factories.add_document(case=case, kind=Document.Kind.NOTICE, filename="bescheid.pdf")
    internal = factories.add_document(case=case, kind=Document.Kind.INTERNAL, filename="intern.pdf")
    client = _client(world.citizen)
    response = client.get(f"/konto/dokumente/{notice.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="bescheid.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert client.get(f"/konto/dokumente/{internal.pk}/").status_code == 404
    other = factories.other_citizen()
    assert _client(other).get(f"/konto/dokumente/{notice.pk}/").status_code == 404


def test_staff_get_403_and_anonymous_go_to_login(world: World) -> None:
    case = _case(world)
    for url in ("/konto/", "/konto/antraege/", f"/konto/antraege/{case.pk}/", "/konto/postfach/"):
        response = _client(world.caseworker_neuss).get(url)
        assert response.status_code == 403
        assert "Bürgerkonto" in response.content.decode()
        assert Client().get(url)["Location"] == f"/konto/anmelden/?next={url}"


def test_another_citizen_gets_404_everywhere(world: World) -> None:
    """Every citizen route of the isolation matrix, called by a second citizen on the first one's objects."""
    citizen_objects(world, world.neuss)
    other = _client(factories.other_citizen())
    lists = {
        "portal:account",
        "portal:my_applications",
        "portal:postbox",
        "api-me-case-list",
        "api-me-postbox-list",
    }
    for route in ROUTES:
        url = route.url(world, world.neuss)
        if route.name in lists:
            # Lists are scoped, not refused: they show the other citizen nothing of the first one.
            body = other.get(url).content.decode()
            assert Case.objects.get(applicant=world.citizen).reference not in body, url
            continue
        if route.method == "get":
            response = other.get(url)
        elif url.startswith("/api/"):
            response = other.post(url, data=route.data, content_type="application/json")
        else:
            response = other.post(url, data=route.data)
        assert response.status_code == 404, f"{route.method} {url}: {response.status_code}"
    request_pk = InformationRequest.objects.get(case__applicant=world.citizen).pk
    assert InformationRequest.objects.get(pk=request_pk).answered_at is None


def test_summary_flattens_repeating_groups_and_names_files() -> None:
    from amtsweg.cases.selectors_citizen import _flatten
    from amtsweg.forms.rendering import SummaryRow

    def row(label: str, value: str = "", entries: tuple[tuple[SummaryRow, ...], ...] = ()) -> SummaryRow:
        return SummaryRow(label=label, value=value, step="s", path=label, type="text", entries=entries)

    children = row(
        "Kind",
        entries=(
            (row("Vorname", "Mia"), row("Schule", "")),
            (row("Vorname", "Ben"), row("Schule", "Grundschule")),
        ),
    )
    address = row("Anschrift", entries=((row("Straße", "Markt 1"),),))
    assert _flatten([row("Name", "Clara"), children, address], "") == [
        ("Name", "Clara"),
        ("Kind 1 – Vorname", "Mia"),
        ("Kind 1 – Schule", ""),
        ("Kind 2 – Vorname", "Ben"),
        ("Kind 2 – Schule", "Grundschule"),
        ("Anschrift – Straße", "Markt 1"),
    ]
