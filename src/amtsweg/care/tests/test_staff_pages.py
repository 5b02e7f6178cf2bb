"""The Heimaufsicht's back-office pages: overview, registry (create, edit, offers, operator accounts,
deactivate), report on behalf, settings (administrators), isolation from town staff, and the staff API."""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.identity.models import OrganisationMembership
from amtsweg.tenancy.models import AuditEvent, Membership
from amtsweg.testing import World, make_user

from ..models import CareFinder, CareOffer, CareType, Facility, VacancyReport
from ..services import ReportLine, vacancy_report_submit
from .factories import CareSetup, care_setup

K = "/backoffice/05162000/pflege/"


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


@pytest.fixture
def kreis_staff(world: World) -> Client:
    """A caseworker of the Kreis (Heimaufsicht), not an administrator."""
    user = make_user("hanna@kreis.example", first="Hanna", last="Heimaufsicht")
    Membership.objects.create(user=user, authority=world.kreis)
    client = Client()
    client.force_login(user)
    return client


def test_overview_lists_the_facilities_not_reporting(care: CareSetup, kreis_staff: Client) -> None:
    vacancy_report_submit(
        facility=care.rheinblick, actor=None, lines=[ReportLine(CareType.DAY_CARE, 3)], channel="web"
    )
    response = kreis_staff.get(K)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Seniorenzentrum St. Quirin" in html and "Haus am Stadtpark" in html
    assert "Tagespflege Rheinblick" not in html  # reported today
    assert "nie gemeldet" in html
    assert response.context["overview"].facilities == 3


def test_town_caseworker_sees_nothing_of_the_kreis(care: CareSetup, world: World) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    for url in (K, f"{K}einrichtungen/", f"{K}einrichtungen/{care.st_quirin.pk}/", f"{K}einstellungen/"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"{K}einrichtungen/{care.st_quirin.pk}/meldung/", {"free_vollstationaer": 1}).status_code
        == 404
    )
    api = client.get("/api/v1/care/supervision/05162000/facilities")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/problem+json")
    # and a facility of the Kreis is not reachable under the town's own address either
    assert client.get(f"/backoffice/05162024/pflege/einrichtungen/{care.st_quirin.pk}/").status_code == 404


def test_create_facility_with_new_operator_and_geocoded_postcode(
    care: CareSetup, kreis_staff: Client
) -> None:
    response = kreis_staff.post(
        f"{K}einrichtungen/neu/",
        {
            "name": "Haus Erftaue",
            "street": "Erftstraße 5",
            "postcode": "41460",
            "town": "Neuss",
            "operator_name": "Erft-Pflege GmbH",
            "operator_identifier": "HRB 999, Amtsgericht Neuss",
            "report_email": "meldung@erftaue.example",
            "capacity_vollstationaer": "40",
            "capacity_tagespflege": "12",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    facility = Facility.objects.get(name="Haus Erftaue")
    assert facility.authority.ags == "05162000"
    assert facility.operator.identifier == "HRB 999, Amtsgericht Neuss"
    assert facility.geocoded_from in (Facility.Geocoding.POSTCODE, Facility.Geocoding.ADDRESS)
    assert 50.5 < facility.latitude < 51.5 and 6.0 < facility.longitude < 7.5
    assert dict(facility.offers.values_list("care_type", "capacity")) == {
        "vollstationaer": 40,
        "tagespflege": 12,
    }
    assert AuditEvent.objects.filter(object_type="care.facility", action="create").exists()


def test_create_with_existing_operator_and_manual_coordinates(care: CareSetup, kreis_staff: Client) -> None:
    response = kreis_staff.post(
        f"{K}einrichtungen/neu/",
        {
            "name": "WG Am Rhein",
            "street": "Rheinallee 1",
            "postcode": "41460",
            "town": "Neuss",
            "latitude": "51.21",
            "longitude": "6.70",
            "operator": str(care.operator.pk),
            "capacity_wohngemeinschaft": "8",
        },
    )
    assert response.status_code == 302
    facility = Facility.objects.get(name="WG Am Rhein")
    assert (facility.latitude, facility.longitude, facility.geocoded_from) == (51.21, 6.70, "manual")
    assert facility.operator == care.operator


def test_create_form_errors_are_summarised(care: CareSetup, kreis_staff: Client) -> None:
    response = kreis_staff.post(f"{K}einrichtungen/neu/", {"name": "X", "postcode": "4146", "latitude": "51"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_postcode"' in html
    assert not Facility.objects.filter(name="X").exists()


def test_edit_detail_is_audited_and_changes_the_facility(care: CareSetup, kreis_staff: Client) -> None:
    url = f"{K}einrichtungen/{care.am_stadtpark.pk}/"
    page = kreis_staff.get(url)
    assert page.status_code == 200
    assert AuditEvent.objects.filter(
        action="read", object_type="care.facility", object_id=str(care.am_stadtpark.pk)
    ).exists()
    data = {
        "name": "Haus am Stadtpark",
        "street": "Jülicher Landstraße 30",
        "postcode": "41464",
        "town": "Neuss",
        "latitude": "51.189",
        "longitude": "6.675",
        "report_email": "neu@stadtpark.example",
        "operator": str(care.other_operator.pk),
    }
    assert kreis_staff.post(url, data).status_code == 302
    care.am_stadtpark.refresh_from_db()
    assert care.am_stadtpark.report_email == "neu@stadtpark.example"
    event = AuditEvent.objects.filter(action="update", object_type="care.facility").latest("at")
    assert "report_email" in event.changes


def test_capacity_below_free_now_is_refused(care: CareSetup, kreis_staff: Client) -> None:
    vacancy_report_submit(
        facility=care.am_stadtpark, actor=None, lines=[ReportLine(CareType.FULL_TIME, 10)], channel="web"
    )
    url = f"{K}einrichtungen/{care.am_stadtpark.pk}/angebot/"
    refused = kreis_staff.post(url, {"offer-care_type": "vollstationaer", "offer-capacity": "9"})
    assert refused.status_code == 400
    assert "10 freie Plätze" in refused.content.decode()
    assert CareOffer.objects.get(facility=care.am_stadtpark).capacity == 60
    assert (
        kreis_staff.post(url, {"offer-care_type": "vollstationaer", "offer-capacity": "10"}).status_code
        == 302
    )
    assert (
        kreis_staff.post(url, {"offer-care_type": "kurzzeitpflege", "offer-capacity": "3"}).status_code == 302
    )
    assert dict(care.am_stadtpark.offers.values_list("care_type", "capacity")) == {
        "vollstationaer": 10,
        "kurzzeitpflege": 3,
    }


def test_report_on_behalf_is_stored_with_channel_staff(care: CareSetup, kreis_staff: Client) -> None:
    url = f"{K}einrichtungen/{care.st_quirin.pk}/meldung/"
    response = kreis_staff.post(url, {"free_vollstationaer": "3", "free_kurzzeitpflege": "0"})
    assert response.status_code == 302
    reports = VacancyReport.objects.filter(offer__facility=care.st_quirin)
    assert {(r.offer.care_type, r.free_places, r.channel) for r in reports} == {
        ("vollstationaer", 3, "staff"),
        ("kurzzeitpflege", 0, "staff"),
    }
    assert all(r.reported_by and r.reported_by.email == "hanna@kreis.example" for r in reports)
    too_many = kreis_staff.post(url, {"free_vollstationaer": "81", "free_kurzzeitpflege": "0"})
    assert too_many.status_code == 400


def test_link_operator_account_and_deactivate(care: CareSetup, kreis_staff: Client, world: World) -> None:
    url = f"{K}einrichtungen/{care.rheinblick.pk}/konten/"
    assert kreis_staff.post(url, {"member-email": "nobody@example.org"}).status_code == 400
    assert kreis_staff.post(url, {"member-email": world.caseworker_neuss.email}).status_code == 400  # staff
    assert kreis_staff.post(url, {"member-email": "CLARA@example.org"}).status_code == 302
    membership = OrganisationMembership.objects.get(user=world.citizen)
    assert membership.organisation == care.operator
    assert kreis_staff.post(url, {"remove": str(membership.pk)}).status_code == 302
    assert not OrganisationMembership.objects.filter(user=world.citizen).exists()
    active_url = f"{K}einrichtungen/{care.rheinblick.pk}/sichtbarkeit/"
    assert kreis_staff.post(active_url, {"active": "0"}).status_code == 302
    care.rheinblick.refresh_from_db()
    assert not care.rheinblick.active


def test_settings_only_for_administrators_and_create_the_finder(world: World, kreis_staff: Client) -> None:
    assert kreis_staff.get(f"{K}einstellungen/").status_code == 404  # caseworker, not administrator
    admin = Client()
    admin.force_login(world.kreis_admin)
    assert admin.get(K).status_code == 200  # no finder yet: a hint
    assert admin.get(f"{K}einrichtungen/").status_code == 404
    data = {
        "enabled": "on",
        "stale_after_hours": "36",
        "report_due_time": "09:30",
        "reminders_enabled": "on",
        "escalate_after_days": "2",
        "contact_email": "aufsicht@kreis.example",
    }
    assert admin.post(f"{K}einstellungen/", data).status_code == 302
    finder = CareFinder.objects.get(authority=world.kreis)
    assert (finder.stale_after_hours, finder.report_due_time.hour, finder.escalate_after_days) == (36, 9, 2)
    assert admin.post(f"{K}einstellungen/", {**data, "stale_after_hours": "0"}).status_code == 400


def test_supervision_api_lists_overdue_facilities(care: CareSetup, world: World) -> None:
    vacancy_report_submit(
        facility=care.rheinblick, actor=None, lines=[ReportLine(CareType.DAY_CARE, 3)], channel="web"
    )
    client = Client()
    client.force_login(world.kreis_admin)
    overdue = client.get("/api/v1/care/supervision/05162000/facilities?overdue=true").json()
    assert {r["name"] for r in overdue} == {"Seniorenzentrum St. Quirin", "Haus am Stadtpark"}
    assert all(r["days_since"] is None for r in overdue)
    every = client.get("/api/v1/care/supervision/05162000/facilities").json()
    assert len(every) == 3
    assert client.get("/api/v1/care/supervision/05162000/facilities?overdue=maybe").status_code == 400
