"""Isolation matrix rows of the online Auskunft's routes. The target authority (Neuss) keeps a register
(``matrix_common``) and has one open Auskunft request on a case of its own; readers of another town
get 404 for the check page and the staff API, never 403 (which would tell them the request exists)."""

from __future__ import annotations

from amtsweg.cases.tests import factories as case_factories
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, public, staff_read

from ..models import AuskunftRequest, InterestCategory
from .matrix_common import register_at


def _case_id(w: World, a: Authority) -> int:
    existing = AuskunftRequest.objects.filter(authority=a).values_list("case_id", flat=True).first()
    if existing is not None:
        return existing
    case = case_factories.submit_case(w, authority=a)
    AuskunftRequest.objects.create(
        case=case,
        register=register_at(w, a),
        authority=a,
        interest_category=InterestCategory.OWNER,
        interest_text="Eigentümerin",
    )
    return case.pk


def refused_input(role: str, target: str) -> set[int]:
    """A post without a valid decision: the request's readers get the validation error (422) —
    access is decided first — staff of another town 404, non-staff 403 (API) or the login (page)."""
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {422} if role in NEUSS_READERS else {404}


def page_refused_input(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {422} if role in NEUSS_READERS else {404}


def _check(w: World, a: Authority) -> str:
    return f"/backoffice/{a.ags}/baulasten/auskuenfte/{_case_id(w, a)}/"


def _api(w: World, a: Authority, suffix: str = "") -> str:
    return f"/api/v1/baulasten/{a.ags}/auskunft/{_case_id(w, a)}{suffix}"


ROUTES: list[Route] = [
    Route("portal:baulasten_auskunft_start", lambda w, a: "/baulasten/auskunft/", public),
    Route(
        "backoffice:baulasten_auskunft_list",
        lambda w, a: f"/backoffice/{register_at(w, a).authority.ags}/baulasten/auskuenfte/",
        page_read,
    ),
    Route("backoffice:baulasten_auskunft", _check, page_read),
    Route("backoffice:baulasten_auskunft", _check, page_refused_input, method="post", data={}),
    Route(
        "api-baulasten-auskunft-list",
        lambda w, a: f"/api/v1/baulasten/{register_at(w, a).authority.ags}/auskunft",
        staff_read,
    ),
    Route("api-baulasten-auskunft", _api, staff_read),
    Route(
        "api-baulasten-auskunft-decision",
        lambda w, a: _api(w, a, "/decision"),
        refused_input,
        method="post",
        data={"accepted": False, "reason": ""},
    ),
]
