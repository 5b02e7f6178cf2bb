"""The counter entry page and API over HTTP: choose, identify, fill in on one page, submit; rows of
groups without JavaScript; errors listed with links; only the town's clerks; idempotent repeats."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from amtsweg.cases.models import Case, Submission
from amtsweg.identity.models import User
from amtsweg.testing import World

from .factories_counter import MOVE_SERVICE, move_answers, move_services
from .matrix_counter import _flat

pytestmark = pytest.mark.django_db
URL = "/backoffice/05162024/schalter/"


@pytest.fixture
def clerk(world: World) -> Client:
    move_services(world)
    client = Client()
    client.force_login(world.caseworker_neuss)
    return client


def _post(client: Client, **changes: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "entry": str(uuid.uuid4()),
        "person_art": "konto",
        "person_email": "clara@example.org",
        "ausweis_geprueft": "1",
        "_action": "submit",
        **_flat(move_answers(plates=["NE-AB 123", "GV-X 7E"], label="buergerbuero")),
    }
    data.update(changes)
    return client.post(f"{URL}?leistung={MOVE_SERVICE}", {k: v for k, v in data.items() if v is not None})


def test_the_clerk_chooses_a_service_and_gets_every_step_on_one_page(clerk: Client) -> None:
    page = clerk.get(URL).content.decode()
    assert "Anmeldung einer Wohnung" in page and f'value="{MOVE_SERVICE}"' in page
    page = clerk.get(f"{URL}?leistung={MOVE_SERVICE}").content.decode()
    for title in (
        "Antragstellende Person",
        "Meldepflichtige Person",
        "Neue Wohnung",
        "Bisherige Wohnung",
        "Fahrzeuge",
    ):
        assert title in page
    assert 'name="entry"' in page and 'name="fahrzeuge.0.kennzeichen"' in page


def test_submit_creates_the_case_and_shows_it(world: World, clerk: Client) -> None:
    response = _post(clerk)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/vorgaenge/{case.pk}/")
    submission = case.submission
    assert submission is not None and case.applicant == world.citizen and submission.channel == "counter"
    assert [r["kennzeichen"] for r in submission.data["fahrzeuge"]] == ["NE-AB 123", "GV-X 7E"]
    page = clerk.get(response["Location"]).content.decode()
    assert case.reference in page


def test_a_new_person_needs_the_address_twice(clerk: Client) -> None:
    response = _post(
        clerk, person_art="neu", person_email="max@example.org", person_email2="mux@example.org",
        person_vorname="Max", person_familienname="Muster",
    )  # fmt: skip
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#counter-person-email2"' in page and "stimmen nicht überein" in page
    assert not User.objects.filter(email="max@example.org").exists()
    response = _post(
        clerk, person_art="neu", person_email="max@example.org", person_email2="Max@example.org",
        person_vorname="Max", person_familienname="Muster",
    )  # fmt: skip
    assert response.status_code == 302
    assert Case.objects.get().applicant.email == "max@example.org"


def test_errors_are_listed_with_links_and_what_was_typed_stays(clerk: Client) -> None:
    response = _post(clerk, ausweis_geprueft=None, neue_plz="41", **{"fahrzeuge.1.kennzeichen": "??"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#counter-ausweis-geprueft"' in page
    assert 'href="#f-neue_plz"' in page and 'href="#f-fahrzeuge-1-kennzeichen"' in page
    assert 'value="41"' in page and 'value="NE-AB 123"' in page
    assert not Submission.objects.exists()


def test_an_unknown_account_is_an_error_at_the_address(clerk: Client) -> None:
    response = _post(clerk, person_email="niemand@example.org")
    assert response.status_code == 422
    assert 'href="#counter-person-email"' in response.content.decode()


def test_rows_are_added_and_removed_without_javascript(clerk: Client) -> None:
    response = _post(clerk, _action=None, _add_row="fahrzeuge")
    page = response.content.decode()
    assert response.status_code == 200 and 'name="fahrzeuge.2.kennzeichen"' in page
    response = _post(clerk, _action=None, _remove_row="fahrzeuge.0")
    page = response.content.decode()
    assert 'value="GV-X 7E"' in page and 'value="NE-AB 123"' not in page
    assert not Submission.objects.exists()


def test_a_double_click_makes_one_case(clerk: Client) -> None:
    entry = str(uuid.uuid4())
    first, second = _post(clerk, entry=entry), _post(clerk, entry=entry)
    assert first["Location"] == second["Location"] and Case.objects.count() == 1


def test_other_towns_and_citizens_cannot_enter(world: World, clerk: Client) -> None:
    other = Client()
    other.force_login(world.caseworker_dormagen)
    assert other.get(URL).status_code == 404
    assert _post(other).status_code == 404
    citizen = Client()
    citizen.force_login(world.citizen)
    assert citizen.get(URL).status_code == 403
    assert not Case.objects.exists()


def test_the_api_submits_the_same_way(world: World, clerk: Client) -> None:
    body = {
        "authority": "05162024",
        "service": MOVE_SERVICE,
        "entry": str(uuid.uuid4()),
        "identity_checked": True,
        "applicant": {"existing": True, "email": "clara@example.org"},
        "answers": move_answers(plates=["NE-AB 123"]),
    }
    url = "/api/v1/staff/counter/applications"
    response = clerk.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["case"])
    assert case.reference == response.json()["reference"]
    assert case.submission is not None and case.submission.trust_level == "hoch"
    assert clerk.post(url, body, content_type="application/json").json()["case"] == case.pk
    invalid = {**body, "entry": str(uuid.uuid4()), "answers": move_answers(neue_plz="1")}
    response = clerk.post(url, invalid, content_type="application/json")
    assert response.status_code == 422 and "neue_plz" in response.json()["errors"]
    assert response["Content-Type"].startswith("application/problem+json")
    unchecked = {**body, "entry": str(uuid.uuid4()), "identity_checked": False}
    assert clerk.post(url, unchecked, content_type="application/json").status_code == 400
    other = Client()
    other.force_login(world.caseworker_dormagen)
    assert (
        other.post(url, {**body, "entry": str(uuid.uuid4())}, content_type="application/json").status_code
        == 404
    )
    assert Case.objects.count() == 1
