"""Isolation-matrix rows of the counter entry: the page and its submit, and the staff API.

The target is Neuss: its clerks (and the alliance administrator) enter applications there; staff of
another town get 404 for the page, the submit and the API (never 403, which would confirm the town),
citizens 403, anonymous visitors the login (page) or 401/403 (API). Posts carry valid answers, so
"allowed" means an application was really submitted.
"""

from __future__ import annotations

import uuid

from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_read

from .factories_counter import MOVE_SERVICE, move_answers, move_services


def _ensure_move(w: World) -> None:
    if not Service.objects.filter(leika_key=MOVE_SERVICE).exists():
        move_services(w)


def _flat(answers: dict[str, object]) -> dict[str, object]:
    """Answers as the HTML form posts them (dotted names for rows of groups)."""
    flat: dict[str, object] = {}
    for key, value in answers.items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                assert isinstance(row, dict)
                flat[f"{key}.{index}._row"] = "1"
                flat.update({f"{key}.{index}.{sub}": v for sub, v in row.items()})
        else:
            flat[key] = value
    return flat


def _page(w: World, a: Authority) -> str:
    _ensure_move(w)
    return f"/backoffice/{a.ags}/schalter/"


def _entry(w: World, a: Authority) -> str:
    _ensure_move(w)
    return f"/backoffice/{a.ags}/schalter/?leistung={MOVE_SERVICE}"


def _api(w: World, a: Authority) -> str:
    _ensure_move(w)
    return "/api/v1/staff/counter/applications"


PAGE_POST: dict[str, object] = {
    "entry": str(uuid.UUID(int=10)),
    "person_art": "konto",
    "person_email": "clara@example.org",
    "ausweis_geprueft": "1",
    "_action": "submit",
    **_flat(move_answers(plates=["NE-AB 123"])),
}
API_POST: dict[str, object] = {
    "authority": "05162024",
    "service": MOVE_SERVICE,
    "entry": str(uuid.UUID(int=11)),
    "identity_checked": True,
    "applicant": {"existing": True, "email": "clara@example.org"},
    "answers": move_answers(plates=["NE-AB 123"]),
}


def page_submit(role: str, target: str) -> set[int]:
    """A counter entry posted: submitted and redirected to the case (302) for the town's clerks."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def api_submit(role: str, target: str) -> set[int]:
    expected = staff_read(role, target)
    return {201} if expected == {200} else expected


ROUTES: list[Route] = [
    Route("backoffice:counter", _page, page_read),
    Route("backoffice:counter", _entry, page_read),
    Route("backoffice:counter", _entry, page_submit, method="post", data=PAGE_POST),
    Route(
        "api-staff-counter-application",
        _api,
        api_submit,
        method="post",
        data=API_POST,
    ),
]
