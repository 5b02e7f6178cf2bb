"""Isolation matrix rows of the Heimaufsicht's pages and staff API. The matrix's target authority
(Neuss) stands in for the supervising Kreis: ``finder_at`` gives it a finder with one facility."""

from __future__ import annotations

from amtsweg.identity.models import Organisation
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_admin, page_read, staff_read

from ..models import CareFinder, CareOffer, CareType, Facility


def finder_at(w: World, a: Authority) -> CareFinder:
    finder, created = CareFinder.objects.get_or_create(
        authority=a, defaults={"contact_email": "aufsicht@a.example"}
    )
    if created:
        operator = Organisation.objects.create(name="Matrix Pflege gGmbH", identifier=f"HRB matrix {a.pk}")
        facility = Facility.objects.create(
            authority=a,
            operator=operator,
            name="Haus Matrix",
            street="Markt 1",
            postcode="41460",
            town="Neuss",
            latitude=51.2,
            longitude=6.69,
            email="haus@matrix.example",
        )
        CareOffer.objects.create(facility=facility, care_type=CareType.FULL_TIME, capacity=10)
    return finder


def facility_at(w: World, a: Authority) -> int:
    return (
        Facility.objects.filter(authority=finder_at(w, a).authority).values_list("pk", flat=True).first() or 0
    )


def page_write(role: str, target: str) -> set[int]:
    """A form post on a page of the target authority: its readers are redirected after the change."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def _url(suffix: str) -> object:
    return lambda w, a: f"/backoffice/{finder_at(w, a).authority.ags}/pflege/{suffix}"


def _facility_url(suffix: str) -> object:
    return lambda w, a: f"/backoffice/{a.ags}/pflege/einrichtungen/{facility_at(w, a)}/{suffix}"


ROUTES: list[Route] = [
    Route("backoffice:care_supervision", _url(""), page_read),  # type: ignore[arg-type]
    Route("backoffice:care_registry", _url("einrichtungen/"), page_read),  # type: ignore[arg-type]
    Route("backoffice:care_facility_new", _url("einrichtungen/neu/"), page_read),  # type: ignore[arg-type]
    Route("backoffice:care_facility", _facility_url(""), page_read),  # type: ignore[arg-type]
    Route(
        "backoffice:care_facility_offer",
        _facility_url("angebot/"),  # type: ignore[arg-type]
        page_write,
        method="post",
        data={"offer-care_type": CareType.SHORT_TERM, "offer-capacity": 4},
    ),
    Route(
        "backoffice:care_facility_report",
        _facility_url("meldung/"),  # type: ignore[arg-type]
        page_write,
        method="post",
        data={f"free_{CareType.FULL_TIME}": 2},
    ),
    Route(
        "backoffice:care_facility_member",
        _facility_url("konten/"),  # type: ignore[arg-type]
        page_write,
        method="post",
        data={"remove": "0"},
    ),
    Route(
        "backoffice:care_facility_active",
        _facility_url("sichtbarkeit/"),  # type: ignore[arg-type]
        page_write,
        method="post",
        data={"active": "1"},
    ),
    Route("backoffice:care_settings", _url("einstellungen/"), page_admin),  # type: ignore[arg-type]
    Route(
        "api-care-supervision-facilities",
        lambda w, a: f"/api/v1/care/supervision/{finder_at(w, a).authority.ags}/facilities?overdue=true",
        staff_read,
    ),
]
