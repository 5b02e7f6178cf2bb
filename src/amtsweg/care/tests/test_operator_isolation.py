"""Operator isolation: an operator's account can never read or change another operator's facility, on
any page or endpoint, and nothing changes in the database when it tries. Staff and citizens who are
not members of the operator get the same 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from ..models import CareOffer, Facility, FacilityPhoto, VacancyReport
from ..services import ReportLine, vacancy_report_submit
from .factories import CareSetup, care_setup
from .test_operator_pages import png_bytes

pytestmark = pytest.mark.django_db

HOME = "/pflegefinder/meine-einrichtungen/"
API = "/api/v1/care/operator/facilities"


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


def _snapshot(facility: Facility) -> tuple[object, ...]:
    facility = Facility.objects.get(pk=facility.pk)
    offers = tuple(
        CareOffer.objects.filter(facility=facility).values_list("free_now", "expected", "own_share")
    )
    return (
        facility.phone,
        facility.email,
        facility.description,
        facility.specialisation_bits,
        facility.languages,
        offers,
        VacancyReport.objects.filter(offer__facility=facility).count(),
        FacilityPhoto.objects.filter(facility=facility).count(),
    )


def _attempts(target: Facility, photo_id: int) -> list[tuple[str, Callable[[Client], object]]]:
    page = f"{HOME}{target.pk}"
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    return [
        ("GET report", lambda c: c.get(f"{page}/meldung/")),
        (
            "POST report",
            lambda c: c.post(f"{page}/meldung/", {"request_key": "k1", "vollstationaer-free": "5"}),
        ),
        ("POST all full", lambda c: c.post(f"{page}/meldung/", {"request_key": "k2", "action": "all_full"})),
        ("GET history", lambda c: c.get(f"{page}/verlauf/")),
        ("GET details", lambda c: c.get(f"{page}/angaben/")),
        ("POST details", lambda c: c.post(f"{page}/angaben/", {"phone": "0800 666", "description": "x"})),
        ("GET photos", lambda c: c.get(f"{page}/fotos/")),
        (
            "POST photo",
            lambda c: c.post(
                f"{page}/fotos/", {"image": SimpleUploadedFile("a.png", png_bytes()), "alt_text": "Fremd"}
            ),
        ),
        ("POST remove photo", lambda c: c.post(f"{page}/fotos/", {"remove": str(photo_id)})),
        ("API GET reports", lambda c: c.get(f"{API}/{target.pk}/reports")),
        (
            "API POST report",
            lambda c: c.post(
                f"{API}/{target.pk}/reports",
                {
                    "lines": [
                        {
                            "care_type": "vollstationaer",
                            "free_places": 5,
                            "expected": [{"date": day, "places": 1}],
                        }
                    ]
                },
                content_type="application/json",
                headers={"Idempotency-Key": "iso-1"},
            ),
        ),
        (
            "API PATCH",
            lambda c: c.patch(
                f"{API}/{target.pk}",
                {"phone": "0800 666", "own_share": {"vollstationaer": {"2": "1.00"}}},
                content_type="application/json",
            ),
        ),
    ]


def _stadtpark_photo(care: CareSetup) -> int:
    photo = FacilityPhoto(facility=care.am_stadtpark, alt_text="Eingang")
    photo.image.save("eingang.png", SimpleUploadedFile("eingang.png", png_bytes()), save=True)
    return photo.pk


def _clients(world: World, care: CareSetup) -> dict[str, Client]:
    token = Token.objects.create(user=care.operator_user)
    clients = {
        "operator session": Client(),
        "operator token": Client(headers={"Authorization": f"Token {token.key}"}),
    }
    clients["operator session"].force_login(care.operator_user)
    for role in ("citizen", "caseworker_neuss", "kreis_admin"):
        clients[role] = Client()
        clients[role].force_login(getattr(world, role))
    return clients


def test_operator_cannot_reach_another_operators_facility(world: World, care: CareSetup) -> None:
    vacancy_report_submit(
        facility=care.am_stadtpark,
        actor=care.other_operator_user,
        lines=[ReportLine("vollstationaer", 4)],
        channel="web",
    )
    photo_id = _stadtpark_photo(care)
    before = _snapshot(care.am_stadtpark)
    events = AuditEvent.objects.count()
    for who, client in _clients(world, care).items():
        for what, attempt in _attempts(care.am_stadtpark, photo_id):
            if who == "operator token" and not what.startswith("API"):
                continue
            response = attempt(client)
            assert response.status_code == 404, f"{who}: {what} → {response.status_code}"  # type: ignore[attr-defined]
            if what.startswith("API"):
                assert response["Content-Type"].startswith("application/problem+json")  # type: ignore[index]
    assert _snapshot(care.am_stadtpark) == before
    assert AuditEvent.objects.count() == events
    assert FacilityPhoto.objects.get(pk=photo_id).image


def test_the_same_requests_work_for_the_own_operator(world: World, care: CareSetup) -> None:
    """The isolation test above must be able to fail: the owner succeeds with the very same requests."""
    vacancy_report_submit(
        facility=care.am_stadtpark,
        actor=care.other_operator_user,
        lines=[ReportLine("vollstationaer", 4)],
        channel="web",
    )
    photo_id = _stadtpark_photo(care)
    before = _snapshot(care.am_stadtpark)
    owner = Client()
    owner.force_login(care.other_operator_user)
    for what, attempt in _attempts(care.am_stadtpark, photo_id):
        response = attempt(owner)
        assert response.status_code in (200, 201, 302), f"{what} → {response.status_code}"  # type: ignore[attr-defined]
    assert _snapshot(care.am_stadtpark) != before


def test_lists_show_only_own_facilities(world: World, care: CareSetup) -> None:
    client = Client()
    client.force_login(care.other_operator_user)
    names = [row["name"] for row in client.get(API).json()]
    assert names == ["Haus am Stadtpark"]
    assert [row["facility"].name for row in client.get(HOME).context["rows"]] == ["Haus am Stadtpark"]
    staff = Client()
    staff.force_login(world.kreis_admin)
    assert staff.get(API).json() == []


def test_removed_membership_ends_access(care: CareSetup) -> None:
    client = Client()
    client.force_login(care.operator_user)
    assert client.get(f"{HOME}{care.st_quirin.pk}/meldung/").status_code == 200
    care.operator.memberships.all().delete()
    assert client.get(f"{HOME}{care.st_quirin.pk}/meldung/").status_code == 404
