"""Isolation-matrix rows of the citizen's account (pages under /konto/, API under /api/v1/me/).

Citizen data is owned by a person, not an authority: the world's citizen gets 200 for their own
objects, staff of every authority 403 (they never use citizen pages), anonymous visitors the login
(pages) or 401/403 (API). That another citizen gets 404 for every route is proven in
``test_my_applications.py::test_another_citizen_gets_404_everywhere`` against the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from amtsweg.cases.models import Document
from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World

from . import factories_citizen as factories


@dataclass(frozen=True)
class CitizenObjects:
    case: int
    request: int
    message: int
    document: str


def citizen_objects(w: World, a: Authority) -> CitizenObjects:
    """A case of the world's citizen at ``a`` with an open request, its postbox message and a receipt."""
    cache: dict[int, CitizenObjects] = w.__dict__.setdefault("_citizen_objects", {})
    if a.pk not in cache:
        case = factories.submitted_case(citizen=w.citizen, service=w.town_service, authority=a)
        caseworker = w.caseworker_neuss if a == w.neuss else w.caseworker_dormagen
        request = factories.request_information(case=case, caseworker=caseworker)
        receipt = factories.add_document(case=case, kind=Document.Kind.RECEIPT, filename="eingang.pdf")
        message = case.messages.get(information_request=request)
        cache[a.pk] = CitizenObjects(case.pk, request.pk, message.pk, str(receipt.pk))
    return cache[a.pk]


def citizen_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    return {200} if role == "citizen" else {403}


def citizen_post(role: str, target: str) -> set[int]:
    """A form post of the citizen's account: success redirects (302), like the login redirect."""
    if role == "anonymous":
        return {302}
    return {302} if role == "citizen" else {403}


def citizen_api(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    return {200} if role == "citizen" else {403}


def _o(w: World, a: Authority) -> CitizenObjects:
    return citizen_objects(w, a)


ROUTES: list[Route] = [
    Route("portal:account", lambda w, a: "/konto/", citizen_page),
    Route("portal:my_applications", lambda w, a: "/konto/antraege/", citizen_page),
    Route("portal:my_application", lambda w, a: f"/konto/antraege/{_o(w, a).case}/", citizen_page),
    Route(
        "portal:information_request_answer",
        lambda w, a: f"/konto/antraege/{_o(w, a).case}/nachforderungen/{_o(w, a).request}/",
        citizen_page,
    ),
    Route(
        "portal:information_request_answer",
        lambda w, a: f"/konto/antraege/{_o(w, a).case}/nachforderungen/{_o(w, a).request}/",
        citizen_post,
        method="post",
        data={"answer": "Die Kopie reiche ich hiermit nach."},
    ),
    Route("portal:document_download", lambda w, a: f"/konto/dokumente/{_o(w, a).document}/", citizen_page),
    Route("portal:postbox", lambda w, a: "/konto/postfach/", citizen_page),
    Route("portal:postbox_message", lambda w, a: f"/konto/postfach/{_o(w, a).message}/", citizen_page),
    Route("api-me-case-list", lambda w, a: "/api/v1/me/cases", citizen_api),
    Route("api-me-case-detail", lambda w, a: f"/api/v1/me/cases/{_o(w, a).case}", citizen_api),
    Route(
        "api-me-information-request-answer",
        lambda w, a: f"/api/v1/me/cases/{_o(w, a).case}/information-requests/{_o(w, a).request}/answer",
        citizen_api,
        method="post",
        data={"answer": "Die Kopie reiche ich hiermit nach."},
    ),
    Route("api-me-postbox-list", lambda w, a: "/api/v1/me/postbox", citizen_api),
    Route("api-me-postbox-detail", lambda w, a: f"/api/v1/me/postbox/{_o(w, a).message}", citizen_api),
    Route(
        "api-me-postbox-read",
        lambda w, a: f"/api/v1/me/postbox/{_o(w, a).message}/read",
        citizen_api,
        method="post",
    ),
    Route("api-me-document", lambda w, a: f"/api/v1/me/documents/{_o(w, a).document}", citizen_api),
]
