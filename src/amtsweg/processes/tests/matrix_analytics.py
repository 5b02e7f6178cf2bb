"""Isolation-matrix rows for the analytics routes of the processes module.

The analysis page and its exports live under an authority (``<ags>/``): its readers get them, staff of
another town 404. The API has no authority in its path: every staff account gets 200 with only the
cases it may read (checked in test_analytics_http.py), everyone else 401/403.
"""

from __future__ import annotations

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, page_read, staff_list

from .factories_analytics import HAPPY, event_case, model_version


def _service(w: World, a: Authority) -> int:
    """The town service, with one case of ``a`` in its event log."""
    event_case(w, version=model_version(w), path=HAPPY, authority=a)
    return w.town_service.pk


ROUTES: list[Route] = [
    Route(
        "backoffice:process-analytics",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/analyse/{_service(w, a)}/",
        page_read,
    ),
    Route(
        "backoffice:process-analytics-xes",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/analyse/{_service(w, a)}/export.xes",
        page_read,
    ),
    Route(
        "backoffice:process-analytics-csv",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/analyse/{_service(w, a)}/export.csv",
        page_read,
    ),
    Route(
        "api-staff-process-analytics",
        lambda w, a: f"/api/v1/staff/processes/analytics/{_service(w, a)}",
        staff_list,
    ),
    Route(
        "api-staff-process-analytics-xes",
        lambda w, a: f"/api/v1/staff/processes/analytics/{_service(w, a)}/export.xes",
        staff_list,
    ),
    Route(
        "api-staff-process-analytics-csv",
        lambda w, a: f"/api/v1/staff/processes/analytics/{_service(w, a)}/export.csv",
        staff_list,
    ),
]
