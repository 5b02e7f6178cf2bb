"""Isolation-matrix rows of the staff side of cases: back-office pages and actions, staff API.

The target is a case of Neuss: its readers (Neuss staff, the alliance administrator) may read and
work on it, staff of another town get 404 for every page, action and endpoint (never 403, which
would tell them the case exists), citizens 403, anonymous visitors the login (pages) or 401/403.
Every action row posts valid data, so "allowed" means the action really ran.
"""

from __future__ import annotations

from amtsweg.cases.models import Document
from amtsweg.cases.services import case_decide
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_list, staff_read

from . import factories


def _case(w: World, a: Authority, *, decided: bool = False) -> int:
    """A case of the town service at ``a`` (new, or decided) with one attachment."""
    factories.notice_templates(w)
    case = factories.submit_case(w, authority=a, attachment=b"%PDF-1.4\n%%EOF\n")
    if decided:
        reader = w.caseworker_neuss if a == w.neuss else w.caseworker_dormagen
        case_decide(case=case, decision="granted", actor=reader, channel="web")
    return case.pk


def _document(w: World, a: Authority) -> tuple[int, str]:
    pk = _case(w, a)
    document = Document.objects.filter(case_id=pk).values_list("pk", flat=True).get()
    return pk, str(document)


def page_action(role: str, target: str) -> set[int]:
    """A form post in the back office: done and redirected (302) for the case's readers."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def staff_create(role: str, target: str) -> set[int]:
    expected = staff_read(role, target)
    return {201} if expected == {200} else expected


def _bo(w: World, a: Authority, suffix: str, *, decided: bool = False) -> str:
    return f"/backoffice/{a.ags}/vorgaenge/{_case(w, a, decided=decided)}/{suffix}"


def _api(w: World, a: Authority, suffix: str = "") -> str:
    return f"/api/v1/staff/cases/{_case(w, a)}{suffix}"


def _bo_document(w: World, a: Authority) -> str:
    pk, document = _document(w, a)
    return f"/backoffice/{a.ags}/vorgaenge/{pk}/dokumente/{document}/"


def _api_document(w: World, a: Authority) -> str:
    pk, document = _document(w, a)
    return f"/api/v1/staff/cases/{pk}/documents/{document}"


ROUTES: list[Route] = [
    # back office
    Route("backoffice:cases", lambda w, a: f"/backoffice/{a.ags}/vorgaenge/?ansicht=alle", page_read),
    Route("backoffice:case-detail", lambda w, a: _bo(w, a, ""), page_read),
    Route("backoffice:case-document", _bo_document, page_read),
    Route(
        "backoffice:cases-bulk",
        lambda w, a: f"/backoffice/{a.ags}/vorgaenge/sammelaktion/",
        page_action,
        method="post",
        data={"aktion": "mir"},
    ),
    Route("backoffice:case-claim", lambda w, a: _bo(w, a, "uebernehmen/"), page_action, method="post"),
    Route(
        "backoffice:case-assign",
        lambda w, a: _bo(w, a, "zuweisen/"),
        page_action,
        method="post",
        data={"assignee": ""},
    ),
    Route(
        "backoffice:case-team", lambda w, a: _bo(w, a, "team/"), page_action, method="post", data={"team": ""}
    ),
    Route(
        "backoffice:case-status",
        lambda w, a: _bo(w, a, "status/"),
        page_action,
        method="post",
        data={"status": "in_bearbeitung", "comment": "Matrix"},
    ),
    Route(
        "backoffice:case-note",
        lambda w, a: _bo(w, a, "notizen/"),
        page_action,
        method="post",
        data={"text": "Rückruf vereinbart"},
    ),
    Route(
        "backoffice:case-request-information",
        lambda w, a: _bo(w, a, "nachforderung/"),
        page_action,
        method="post",
        data={"message": "Bitte reichen Sie eine Kopie des Ausweises nach."},
    ),
    Route(
        "backoffice:case-decide",
        lambda w, a: _bo(w, a, "entscheidung/"),
        page_action,
        method="post",
        data={"decision": "granted"},
    ),
    Route(
        "backoffice:case-close",
        lambda w, a: _bo(w, a, "abschluss/", decided=True),
        page_action,
        method="post",
    ),
    # staff API
    Route("api-staff-case-list", lambda w, a: "/api/v1/staff/cases", staff_list),
    Route("api-staff-case-detail", lambda w, a: _api(w, a), staff_read),
    Route(
        "api-staff-case-status",
        lambda w, a: _api(w, a, "/status"),
        staff_read,
        method="post",
        data={"status": "in_bearbeitung", "comment": "Matrix"},
    ),
    Route(
        "api-staff-case-assign",
        lambda w, a: _api(w, a, "/assign"),
        staff_read,
        method="post",
        data={"assignee": None},
    ),
    Route("api-staff-case-claim", lambda w, a: _api(w, a, "/claim"), staff_read, method="post"),
    Route("api-staff-case-notes", lambda w, a: _api(w, a, "/notes"), staff_read),
    Route(
        "api-staff-case-notes",
        lambda w, a: _api(w, a, "/notes"),
        staff_create,
        method="post",
        data={"text": "Rückruf vereinbart"},
    ),
    Route(
        "api-staff-case-information-requests",
        lambda w, a: _api(w, a, "/information-requests"),
        staff_create,
        method="post",
        data={"message": "Bitte reichen Sie eine Kopie des Ausweises nach."},
    ),
    Route(
        "api-staff-case-decision",
        lambda w, a: _api(w, a, "/decision"),
        staff_read,
        method="post",
        data={"decision": "granted"},
    ),
    Route("api-staff-case-document", _api_document, staff_read),
]
