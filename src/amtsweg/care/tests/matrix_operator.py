"""Isolation matrix rows of the care finder's operator routes.

None of the matrix's roles is a member of an operator (Träger): for each of them another operator's
facility must be a 404 on every page and endpoint, for reading and writing alike; anonymous visitors
are sent to the login (pages) or refused (API). The list pages answer 200 with "no facilities".
Operator-to-operator isolation is tested in ``test_operator_isolation.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World

from ..models import CareFinder, Facility
from .factories import care_setup


def _facility(w: World, a: Authority) -> int:
    """A facility of an operator none of the matrix's roles belongs to."""
    if not CareFinder.objects.filter(authority=w.kreis).exists():
        care_setup(w)
    return Facility.objects.get(name="Seniorenzentrum St. Quirin").pk


def operator_list(role: str, target: str) -> set[int]:
    """An operator's own list: login required; accounts without facilities see an explanation."""
    return {302} if role == "anonymous" else {200}


def operator_owned(role: str, target: str) -> set[int]:
    """A page of an operator's facility: login required; anyone not of that operator gets 404."""
    return {302} if role == "anonymous" else {404}


def operator_api_list(role: str, target: str) -> set[int]:
    return {401, 403} if role == "anonymous" else {200}


def operator_api_owned(role: str, target: str) -> set[int]:
    return {401, 403} if role == "anonymous" else {404}


def _page(suffix: str) -> Callable[[World, Authority], str]:
    return lambda w, a: f"/pflegefinder/meine-einrichtungen/{_facility(w, a)}/{suffix}/"


def _api(suffix: str = "") -> Callable[[World, Authority], str]:
    return lambda w, a: f"/api/v1/care/operator/facilities/{_facility(w, a)}{suffix}"


REPORT: dict[str, object] = {"lines": [{"care_type": "vollstationaer", "free_places": 3}]}

ROUTES: list[Route] = [
    Route("portal:care_operator_home", lambda w, a: "/pflegefinder/meine-einrichtungen/", operator_list),
    Route(
        "portal:care_operator_token", lambda w, a: "/pflegefinder/meine-einrichtungen/zugang/", operator_list
    ),
    Route("portal:care_operator_report", _page("meldung"), operator_owned),
    Route(
        "portal:care_operator_report",
        _page("meldung"),
        operator_owned,
        method="post",
        data={"action": "all_full", "request_key": "matrix"},
    ),
    Route("portal:care_operator_history", _page("verlauf"), operator_owned),
    Route("portal:care_operator_details", _page("angaben"), operator_owned),
    Route(
        "portal:care_operator_details",
        _page("angaben"),
        operator_owned,
        method="post",
        data={"phone": "0800 666"},
    ),
    Route("portal:care_operator_photos", _page("fotos"), operator_owned),
    Route(
        "portal:care_operator_photos",
        _page("fotos"),
        operator_owned,
        method="post",
        data={"remove": "1"},
    ),
    Route(
        "api-care-operator-facility-list", lambda w, a: "/api/v1/care/operator/facilities", operator_api_list
    ),
    Route(
        "api-care-operator-facility-detail",
        _api(),
        operator_api_owned,
        method="patch",
        data={"phone": "0800 666"},
    ),
    Route("api-care-operator-reports", _api("/reports"), operator_api_owned),
    Route(
        "api-care-operator-reports",
        _api("/reports"),
        operator_api_owned,
        method="post",
        data=REPORT,
    ),
]
