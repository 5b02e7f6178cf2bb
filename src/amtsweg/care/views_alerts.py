"""Pages of the place alerts (Platz-Alarm): subscribe (prefilled from a search), confirm (double opt-in)
and unsubscribe. No login: the random key in the e-mailed links is the credential.

Confirming and unsubscribing happen on POST only; the GET pages show a button, because mail scanners
fetch every link of an e-mail. The unsubscribe URL also takes the one-click POST of a mail client
(RFC 8058, ``List-Unsubscribe-Post``), which carries no CSRF token: that view is CSRF-exempt, the key
is its credential and unsubscribing is the only thing it can do.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem

from . import alerts, search_params
from .models import CareType, Specialisation

RADIUS_CHOICES = (2, 5, 10, 20, 50, 100)
RATE_SCOPE = "care-alert-subscribe"
RATE_WINDOW = 3600
PLACE_FIELDS = ("lat", "lon", "postcode", "town")


def _specialisations(data: Any) -> list[str]:
    # Repeated parameters (the form) and "demenz,palliativ" (links built by apps) both work.
    values: list[str] = []
    for item in data.getlist("specialisation") if hasattr(data, "getlist") else []:
        for part in str(item).split(","):
            if part.strip() and part.strip() not in values:
                values.append(part.strip())
    return values


def subscribe_limited(request: HttpRequest) -> bool:
    """Count one subscription attempt of the client address; ``True`` when over the hourly limit."""
    return not ratelimit.hit(
        RATE_SCOPE,
        ratelimit.client_address(request),
        limit=int(settings.CARE_ALERT_SUBSCRIBE_LIMIT),
        window=RATE_WINDOW,
    )


def _form_context(data: Any, errors: list[dict[str, str]]) -> dict[str, Any]:
    fields = {error["field"] for error in errors}
    return {
        "form": data,
        "errors": errors,
        "error_fields": fields,
        "error_messages": {error["field"]: error["message"] for error in errors},
        "care_types": CareType.choices,
        "specialisations": Specialisation.choices,
        "selected_specialisations": _specialisations(data),
        "radius_choices": RADIUS_CHOICES,
        "mail_languages": settings.LANGUAGES,
        "selected_language": data.get("language") or alerts.mail_language(get_language() or "de"),
    }


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The subscribe form (GET, prefilled from the search's parameters) and its submission (POST)."""
    if request.method == "GET":
        return render(request, "care/alerts/subscribe.html", _form_context(request.GET, []))
    data = request.POST
    if subscribe_limited(request):
        context = _form_context(
            data,
            [
                {
                    "field": "email",
                    "message": _(
                        "Von Ihrem Anschluss kamen in der letzten Stunde zu viele Anmeldungen. Bitte "
                        "versuchen Sie es später noch einmal."
                    ),
                }
            ],
        )
        response = render(request, "care/alerts/subscribe.html", context, status=429)
        response["Retry-After"] = str(ratelimit.window_remaining(RATE_WINDOW))
        return response
    errors: list[dict[str, str]] = []
    email = str(data.get("email", "")).strip()
    try:
        validate_email(email)
    except ValidationError:
        errors.append(
            {
                "field": "email",
                "message": _("Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@beispiel.de."),
            }
        )
    care_type = str(data.get("care_type", ""))
    if care_type not in CareType.values:
        errors.append({"field": "care_type", "message": _("Bitte wählen Sie eine Versorgungsart.")})
    place = None
    query = None
    try:
        query, place = search_params.parse_search(data)
    except Problem as problem:
        field = str(problem.extra.get("field", "q"))
        errors.append({"field": "q" if field in PLACE_FIELDS else field, "message": problem.localized()})
    if not errors and place is not None and query is not None:
        try:
            alerts.alert_subscribe(
                email=email,
                care_type=care_type,
                place=place,
                radius_km=query.radius_km,
                specialisations=_specialisations(data),
                language=str(data.get("language", "")) or (get_language() or "de"),
            )
        except Problem as problem:
            errors.append({"field": str(problem.extra.get("field", "email")), "message": problem.localized()})
    if errors:
        return render(request, "care/alerts/subscribe.html", _form_context(data, errors), status=400)
    # Post/redirect/get: reloading the page that says "check your inbox" does not subscribe again.
    return redirect("portal:care_alert_sent")


@require_safe
def sent(request: HttpRequest) -> HttpResponse:
    """After subscribing: check your inbox (no address shown: the URL carries nothing personal)."""
    return render(request, "care/alerts/subscribed.html", {"days": alerts.confirm_days()})


def _problem_page(request: HttpRequest, problem: Problem) -> HttpResponse:
    return render(
        request,
        "care/alerts/problem.html",
        {"message": problem.localized(), "code": problem.code},
        status=problem.status_code,
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, key: str) -> HttpResponse:
    """GET: what is confirmed and a button; POST: confirm (double opt-in)."""
    try:
        subscription = alerts.alert_for_key(key)
        if request.method == "POST":
            subscription = alerts.alert_confirm(key=key)
            return render(
                request,
                "care/alerts/confirmed.html",
                {"about": alerts.summary(subscription), "key": key},
            )
        if subscription.unsubscribed_at is not None or alerts.is_expired(subscription, timezone.now()):
            # Raises: show the expiry or the unsubscription now instead of after a click.
            alerts.alert_confirm(key=key)
    except Problem as problem:
        return _problem_page(request, problem)
    return render(
        request,
        "care/alerts/confirm.html",
        {"about": alerts.summary(subscription), "subscription": subscription, "key": key},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, key: str) -> HttpResponse:
    """GET: a button; POST (the button or a mail client's one-click request): unsubscribe."""
    try:
        if request.method == "POST":
            alerts.alert_unsubscribe(key=key)
            return render(request, "care/alerts/unsubscribed.html", {})
        subscription = alerts.alert_for_key(key)
    except Problem as problem:
        return _problem_page(request, problem)
    return render(
        request,
        "care/alerts/unsubscribe.html",
        {"about": alerts.summary(subscription), "subscription": subscription, "key": key},
    )
