"""Isolation matrix rows of the care finder's alerts routes.

Place alerts belong to whoever holds the key of the e-mailed links, not to an account or a town: every
role gets the same answer, and a key it does not hold answers 404 (never another alert's data).
"""

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public


def _key(w: World, a: Authority) -> str:
    """A fresh pending alert's key (the link of its confirmation e-mail)."""
    from django.db import transaction

    from .. import alerts
    from ..geocoding import Place

    with transaction.atomic():
        return alerts.alert_subscribe(
            email="matrix@example.org",
            care_type="vollstationaer",
            place=Place(51.2, 6.69, "Neuss", "position"),
            radius_km=5,
        ).key


def _bad_input(role: str, target: str) -> set[int]:
    return {400}


def _not_found(role: str, target: str) -> set[int]:
    return {404}


def _no_content(role: str, target: str) -> set[int]:
    return {204}


ROUTES: list[Route] = [
    Route("portal:care_alert_subscribe", lambda w, a: "/pflegefinder/platz-alarm/", public),
    Route("portal:care_alert_sent", lambda w, a: "/pflegefinder/platz-alarm/gesendet/", public),
    Route(
        "portal:care_alert_subscribe",
        lambda w, a: "/pflegefinder/platz-alarm/?q=41460&radius_km=10&care_type=kurzzeitpflege",
        public,
    ),
    Route(
        "portal:care_alert_subscribe",
        lambda w, a: "/pflegefinder/platz-alarm/",
        _bad_input,
        method="post",
        data={"email": "not-an-address", "q": "41460"},
    ),
    Route(
        "portal:care_alert_confirm",
        lambda w, a: f"/pflegefinder/platz-alarm/bestaetigen/{_key(w, a)}/",
        public,
    ),
    Route(
        "portal:care_alert_confirm",
        lambda w, a: f"/pflegefinder/platz-alarm/bestaetigen/{_key(w, a)}/",
        public,
        method="post",
    ),
    Route(
        "portal:care_alert_confirm",
        lambda w, a: "/pflegefinder/platz-alarm/bestaetigen/unbekannt/",
        _not_found,
    ),
    Route(
        "portal:care_alert_unsubscribe",
        lambda w, a: f"/pflegefinder/platz-alarm/abmelden/{_key(w, a)}/",
        public,
    ),
    Route(
        "portal:care_alert_unsubscribe",
        lambda w, a: f"/pflegefinder/platz-alarm/abmelden/{_key(w, a)}/",
        public,
        method="post",
    ),
    Route(
        "portal:care_alert_unsubscribe",
        lambda w, a: "/pflegefinder/platz-alarm/abmelden/unbekannt/",
        _not_found,
        method="post",
    ),
    Route(
        "api-care-alert-subscribe",
        lambda w, a: "/api/v1/care/alerts",
        _bad_input,
        method="post",
        data={"email": "x@example.org", "care_type": "vollstationaer"},
    ),
    Route(
        "api-care-alert-confirm",
        lambda w, a: f"/api/v1/care/alerts/{_key(w, a)}/confirm",
        public,
        method="post",
    ),
    Route(
        "api-care-alert-confirm",
        lambda w, a: "/api/v1/care/alerts/unbekannt/confirm",
        _not_found,
        method="post",
    ),
    Route(
        "api-care-alert-delete",
        lambda w, a: f"/api/v1/care/alerts/{_key(w, a)}",
        _no_content,
        method="delete",
    ),
    Route("api-care-alert-delete", lambda w, a: "/api/v1/care/alerts/unbekannt", _not_found, method="delete"),
]
