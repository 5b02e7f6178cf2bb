"""Isolation-matrix rows for the comparison routes of the processes module.

The pages take the user's own authority (other towns' staff get 404 for its ``ags``); what they show
are process models and aggregated figures of the whole alliance, so the API answers every staff
member of the alliance (authorities outside it are 404, tested in test_comparison_http.py).
"""

from amtsweg.testing import Route, page_read, staff_list

ROUTES: list[Route] = [
    Route(
        "backoffice:process-comparison", lambda w, a: f"/backoffice/{a.ags}/prozesse/vergleich/", page_read
    ),
    Route(
        "backoffice:process-heatmap",
        lambda w, a: f"/backoffice/{a.ags}/prozesse/leistungen/{w.town_service.pk}/heatmap/",
        page_read,
    ),
    Route(
        "api-staff-process-comparison",
        lambda w, a: (
            f"/api/v1/staff/processes/comparison?service={w.town_service.leika_key}"
            f"&authority={w.neuss.ags}&authority={w.dormagen.ags}"
        ),
        staff_list,
    ),
]
