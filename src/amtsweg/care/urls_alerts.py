"""Pages of the care finder: alerts part (see urls.py): subscribe, confirm, unsubscribe."""

from django.urls import URLPattern, path

from . import views_alerts

portal_patterns: list[URLPattern] = [
    path("pflegefinder/platz-alarm/", views_alerts.subscribe, name="care_alert_subscribe"),
    path("pflegefinder/platz-alarm/gesendet/", views_alerts.sent, name="care_alert_sent"),
    path("pflegefinder/platz-alarm/bestaetigen/<str:key>/", views_alerts.confirm, name="care_alert_confirm"),
    path(
        "pflegefinder/platz-alarm/abmelden/<str:key>/",
        views_alerts.unsubscribe,
        name="care_alert_unsubscribe",
    ),
]
backoffice_patterns: list[URLPattern] = []
