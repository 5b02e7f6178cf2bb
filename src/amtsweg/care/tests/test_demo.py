"""The care finder demo: about sixty fictitious facilities in every town of the Rhein-Kreis Neuss, with
reports of every freshness played through the report service, operator logins that manage their own
facilities, and a search around Neuss that shows every traffic-light status. Loading twice changes
nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from amtsweg.demo.services import DEMO_PASSWORD, demo_load
from amtsweg.identity.models import Organisation, OrganisationMembership, User
from amtsweg.testing import World

from .. import access, demo, geocoding
from ..geo import haversine_km
from ..models import CareFinder, CareOffer, CareType, Facility, Specialisation, VacancyReport
from ..selectors import SearchQuery, Status, facility_search

pytestmark = pytest.mark.django_db

HISTORY_MIN = 25  # daily reports of a month, a few days missed
TOWNS = {
    "Neuss",
    "Dormagen",
    "Grevenbroich",
    "Meerbusch",
    "Kaarst",
    "Korschenbroich",
    "Jüchen",
    "Rommerskirchen",
}


@pytest.fixture
def loaded(world: World) -> demo.CareDemoSummary:
    return demo.load_care_demo()


def test_the_demo_data_file_is_consistent() -> None:
    spec = demo.demo_spec()
    operators = {entry["key"] for entry in spec["operators"]}
    assert 5 <= len(operators) <= 8
    assert len({entry["identifier"] for entry in spec["operators"]}) == len(operators)
    names = [entry["name"] for entry in spec["facilities"]]
    assert len(names) == len(set(names))
    for entry in spec["facilities"]:
        assert entry["operator"] in operators
        place = geocoding.place_for_postcode(entry["postcode"])
        assert place is not None and entry["town"] in place.label, entry["name"]
        assert set(entry["report"]["free"]) == set(entry["offers"])
        for care_type, offer in entry["offers"].items():
            assert care_type in CareType.values
            assert 0 <= entry["report"]["free"][care_type] <= offer["capacity"]
        assert set(entry["specialisations"]) <= set(Specialisation.values)


def test_about_sixty_facilities_in_every_town_with_every_care_type(loaded: demo.CareDemoSummary) -> None:
    kreis_facilities = Facility.objects.filter(authority__ags=demo.KREIS)
    assert 55 <= kreis_facilities.count() <= 65
    assert loaded.facilities == kreis_facilities.count() == Facility.objects.count()
    assert set(kreis_facilities.values_list("town", flat=True)) == TOWNS
    assert set(CareOffer.objects.values_list("care_type", flat=True)) == set(CareType.values)
    operators = Organisation.objects.filter(care_facilities__isnull=False).distinct()
    assert 5 <= operators.count() <= 8
    finder = CareFinder.objects.get(authority__ags=demo.KREIS)
    assert finder.contact_email == "heimaufsicht@demo.amtsweg.de"
    # Every specialisation and several languages occur.
    bits = 0
    for facility in kreis_facilities:
        bits |= facility.specialisation_bits
    assert bits == (1 << len(Specialisation.values)) - 1
    languages = Counter(code for f in kreis_facilities for code in f.languages)
    assert len(languages) >= 6


def test_coordinates_come_from_the_postcode_table(loaded: demo.CareDemoSummary) -> None:
    for facility in Facility.objects.all():
        assert facility.geocoded_from == Facility.Geocoding.POSTCODE
        centre = geocoding.place_for_postcode(facility.postcode)
        assert centre is not None
        distance = haversine_km(facility.latitude, facility.longitude, centre.latitude, centre.longitude)
        assert 0 < distance < 0.6, facility.name


def test_own_shares_and_capacities_are_realistic(loaded: demo.CareDemoSummary) -> None:
    full_time = CareOffer.objects.filter(care_type=CareType.FULL_TIME)
    assert full_time.count() >= 25
    for offer in full_time:
        assert set(offer.own_share) == {"2", "3", "4", "5"}
        assert all(2300 <= float(v) <= 3200 for v in offer.own_share.values())
        assert 20 <= offer.capacity <= 120
    for offer in CareOffer.objects.exclude(care_type=CareType.FULL_TIME):
        assert 4 <= offer.capacity <= 60


def test_reports_of_every_freshness(loaded: demo.CareDemoSummary) -> None:
    now = timezone.now()
    offers = CareOffer.objects.all()
    never = offers.filter(reported_at__isnull=True)
    fresh = offers.filter(reported_at__gte=now - timedelta(hours=5))
    yesterday = offers.filter(
        reported_at__lt=now - timedelta(hours=20), reported_at__gte=now - timedelta(hours=31)
    )
    stale = offers.filter(reported_at__lt=now - timedelta(days=3))
    assert never.exists() and fresh.exists() and yesterday.exists() and stale.exists()
    # Some facilities have a month of daily reports.
    long_histories = (
        VacancyReport.objects.values("offer").annotate(n=Count("id")).filter(n__gte=HISTORY_MIN).count()
    )
    assert long_histories >= 10
    assert loaded.reports == VacancyReport.objects.count()
    # The current state on the offer is the latest report.
    latest = offers.filter(reported_at__isnull=False).annotate(latest=Max("reports__reported_at"))
    for reported_at, latest_report in latest.values_list("reported_at", "latest"):
        assert reported_at == latest_report
    # Expected availability was reported for some offers, in the future, within capacity.
    with_expected = offers.exclude(expected=[])
    assert with_expected.count() >= 10
    for offer in with_expected:
        assert offer.reported_at is not None
        for entry in offer.expected:
            assert entry["date"] > timezone.localdate(offer.reported_at).isoformat()
            assert 0 <= entry["places"] <= offer.capacity


def test_operator_logins_manage_their_own_facilities(loaded: demo.CareDemoSummary) -> None:
    assert [email for _, email, _ in loaded.logins] == [
        "pflege@demo.amtsweg.de",
        "pflege.erftaue@demo.amtsweg.de",
    ]
    assert {password for _, _, password in loaded.logins} == {DEMO_PASSWORD}
    first = User.objects.get(email="pflege@demo.amtsweg.de")
    second = User.objects.get(email="pflege.erftaue@demo.amtsweg.de")
    assert first.check_password(DEMO_PASSWORD) and second.check_password(DEMO_PASSWORD)
    assert first.email_verified_at is not None
    mine = set(access.operator_facilities(first))
    theirs = set(access.operator_facilities(second))
    assert len(mine) >= 8 and len(theirs) >= 8 and not mine & theirs
    # The login's facilities show different freshness (something to report, something stale).
    assert {o.reported_at is None for f in mine for o in f.offers.all()} == {True, False}
    # Its web reports carry its name; software reports (API) of other operators have no login.
    assert VacancyReport.objects.filter(reported_by=first, channel="web").exists()
    assert VacancyReport.objects.filter(channel="api").exists()


def test_loading_twice_changes_nothing(loaded: demo.CareDemoSummary) -> None:
    edited = Facility.objects.get(name="Seniorenstift Quirinusblick")
    edited.description = "Von der Einrichtung geändert."
    edited.save()
    counts = [
        model.objects.count()
        for model in (Facility, CareOffer, VacancyReport, Organisation, User, OrganisationMembership)
    ]
    again = demo.load_care_demo()
    assert (again.facilities, again.operators, again.reports, again.finder_created) == (0, 0, 0, False)
    assert counts == [
        model.objects.count()
        for model in (Facility, CareOffer, VacancyReport, Organisation, User, OrganisationMembership)
    ]
    assert Facility.objects.get(pk=edited.pk).description == "Von der Einrichtung geändert."
    assert len(again.logins) == 2


def test_a_search_around_neuss_finds_every_status(loaded: demo.CareDemoSummary) -> None:
    neuss = geocoding.geocode("Neuss")
    assert neuss is not None
    result = facility_search(SearchQuery(latitude=neuss.latitude, longitude=neuss.longitude, radius_km=10))
    assert result.total >= 20
    statuses = Counter(hit.status for hit in result.hits)
    assert set(statuses) == set(Status), statuses
    assert any(hit.stale for hit in result.hits) and not all(hit.stale for hit in result.hits)
    assert [hit.distance_km for hit in result.hits] == sorted(hit.distance_km for hit in result.hits)
    # Day care within 5 km of the Neuss postcode 41460.
    centre = geocoding.geocode("41460")
    assert centre is not None
    day_care = facility_search(
        SearchQuery(latitude=centre.latitude, longitude=centre.longitude, care_type=CareType.DAY_CARE)
    )
    assert day_care.total >= 2


def test_after_the_real_demo_the_finder_sits_at_the_rhein_kreis_neuss() -> None:
    demo_load(full_catalog=False)
    summary = demo.load_care_demo()
    finder = CareFinder.objects.get()
    assert finder.authority.ags == demo.KREIS and finder.authority.name == "Rhein-Kreis Neuss"
    assert summary.facilities == Facility.objects.filter(authority=finder.authority).count() >= 55
