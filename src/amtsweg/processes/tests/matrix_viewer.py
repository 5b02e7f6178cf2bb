"""Isolation-matrix rows for the viewer routes of the processes module.

Process models are shared in the alliance: through the API any staff member may read any variant
(``model_read``); the back-office pages name an authority, so staff of another town get 404 there
(they read the same model under their own authority's URL). A case's process is case data: only the
case's authority (``page_read``/``staff_read``).
"""

from __future__ import annotations

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, page_read, staff_read

from . import factories_viewer


def model_read(role: str, target: str) -> set[int]:
    """Shared in the alliance: every staff account reads it; citizens 403, anonymous 401/403."""
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {200}


def _version(w: World, a: Authority) -> int:
    return factories_viewer.process_version(w, authority=a).pk


def _case(w: World, a: Authority) -> int:
    return factories_viewer.case_with_process(w, authority=a).pk


ROUTES: list[Route] = [
    Route(
        "backoffice:process-version-diagram",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/versionen/{_version(w, a)}/diagramm/",
        page_read,
    ),
    Route(
        "backoffice:process-version-bpmn",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/versionen/{_version(w, a)}/bpmn/",
        page_read,
    ),
    Route(
        "backoffice:case-process",
        lambda w, a: f"/backoffice/{a.ags}/vorgaenge/{_case(w, a)}/prozess/",
        page_read,
    ),
    Route(
        "api-staff-process-version-bpmn",
        lambda w, a: f"/api/v1/staff/processes/versions/{_version(w, a)}/bpmn",
        model_read,
    ),
    Route("api-staff-case-process", lambda w, a: f"/api/v1/staff/cases/{_case(w, a)}/process", staff_read),
]
