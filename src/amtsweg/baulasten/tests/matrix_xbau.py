"""Isolation matrix rows of the XBau part: the 0703 of an entry and the 0713 of a decided Auskunft go
to the keeper's staff only (the 0713 also to the case's applicant); staff of another town get 404.

The 0713 row stores the answer beforehand (as the first read would), so it needs no schemas; the 0703
is built on every read, so where the XBau schemas are not installed the keeper's own staff get the
503 ``xbau-schemas-missing`` instead of 200 (test_xbau.py checks the 200 with the real schemas)."""

from __future__ import annotations

import uuid

from amtsweg.cases.tests.factories import submit_case
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_read

from ..models import AuskunftRequest, XBauMessage
from ..xbau import schemas_problem
from .matrix_common import entry_pk, register_at


def decided_case(w: World, a: Authority) -> int:
    """A decided Auskunft of ``world.citizen`` at ``a`` with its 0713 already stored."""
    existing = AuskunftRequest.objects.filter(authority=a, case__applicant=w.citizen).first()
    if existing is not None:
        return existing.case_id
    register = register_at(w, a)
    case = submit_case(w, authority=a, applicant=w.citizen)
    AuskunftRequest.objects.create(
        case=case,
        register=register,
        authority=a,
        interest_category="eigentuemer",
        decision=AuskunftRequest.Decision.ACCEPTED,
    )
    XBauMessage.objects.create(
        direction=XBauMessage.Direction.OUT,
        message_type="0713",
        uuid=uuid.uuid4(),
        authority=a,
        case=case,
        xml="<xbau:baulastenverzeichnis.auskunft.0713/>",
    )
    return case.pk


def _built(allowed: set[int]) -> set[int]:
    return {503} if allowed == {200} and schemas_problem() is not None else allowed


def staff_read_built(role: str, target: str) -> set[int]:
    return _built(staff_read(role, target))


def page_read_built(role: str, target: str) -> set[int]:
    return _built(page_read(role, target))


def applicant_or_keeper(role: str, target: str) -> set[int]:
    """The case's applicant (world.citizen) and the keeper's staff; others 404, anonymous 401/403."""
    if role == "anonymous":
        return {401, 403}
    return {200} if role == "citizen" or role in NEUSS_READERS else {404}


def professional_post(role: str, target: str) -> set[int]:
    """Organisation members only: world.citizen is none (403 with the reason), staff 403."""
    if role == "anonymous":
        return {401, 403}
    return {403}


def citizen_xml_post(role: str, target: str) -> set[int]:
    """A citizen account may send; the matrix's empty JSON body is refused (415), staff 403."""
    if role == "anonymous":
        return {401, 403}
    return {415} if role == "citizen" else {403}


def bulk_page(role: str, target: str) -> set[int]:
    """Anonymous to the login (302); the matrix citizen is in no organisation (403, the level is the
    service's "normal", so no step-up); staff 403."""
    if role == "anonymous":
        return {302}
    return {403}


ROUTES: list[Route] = [
    Route(
        "backoffice:baulasten_entry_xbau",
        lambda w, a: f"/backoffice/{a.ags}/baulasten/eintraege/{entry_pk(w, a)}/xbau-0703/",
        page_read_built,
    ),
    Route(
        "backoffice:baulasten_auskunft_xbau",
        lambda w, a: f"/backoffice/{a.ags}/baulasten/auskuenfte/{decided_case(w, a)}/xbau-0713/",
        page_read,
    ),
    Route(
        "api-baulasten-xbau-0703",
        lambda w, a: f"/api/v1/baulasten/{a.ags}/entries/{entry_pk(w, a)}/xbau-0703",
        staff_read_built,
    ),
    Route(
        "api-baulasten-xbau-auskunft",
        lambda w, a: f"/api/v1/baulasten/xbau/auskunft/{decided_case(w, a)}",
        applicant_or_keeper,
    ),
    Route("api-baulasten-xbau", lambda w, a: "/api/v1/baulasten/xbau", citizen_xml_post, method="post"),
    Route(
        "api-baulasten-auskunft-batch",
        lambda w, a: "/api/v1/baulasten/auskunft/batch",
        professional_post,
        method="post",
        data={"items": []},
    ),
    Route("portal:baulasten_auskunft_bulk", lambda w, a: "/baulasten/auskunft/sammelantrag/", bulk_page),
    Route(
        "portal:baulasten_auskunft_bulk_template",
        lambda w, a: "/baulasten/auskunft/sammelantrag/vorlage.csv",
        lambda role, target: {200},
    ),
]
