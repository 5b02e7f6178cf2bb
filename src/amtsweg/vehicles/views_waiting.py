"""The public waiting-time page of the road-traffic offices (``/kfz/wartezeiten/``).

No login, no JavaScript. The page does not reload itself: an automatic refresh (``<meta
http-equiv="refresh">``) takes control away from people using screen readers or magnification
and fails WCAG 2.2.1/3.2.5 (axe rule ``meta-refresh``); instead it says when the figures were
computed and offers a link to reload them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import waiting


@require_safe
def waiting_times(request: HttpRequest) -> HttpResponse:
    offices = waiting.waiting_times()
    return render(
        request,
        "vehicles/waiting_times.html",
        {
            "offices": offices,
            "as_of": min((office.as_of for office in offices), default=None),
            "cache_seconds": waiting.cache_seconds(),
            "road_traffic_prefix": waiting.ROAD_TRAFFIC_PREFIX,
            "breadcrumbs": [
                (_("Startseite"), reverse("portal:home")),
                (_("Wartezeiten der Straßenverkehrsämter"), None),
            ],
        },
    )
