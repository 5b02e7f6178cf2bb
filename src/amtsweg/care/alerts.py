"""Place alerts (Platz-Alarm): subscription with double opt-in, matching a report against alerts, e-mails.

A subscription starts pending; its confirmation e-mail carries a link with the random ``key``. Confirmed,
it gets ``AlertCell`` rows (every 0.25° grid cell its circle touches, per care type): matching a report is
one indexed equality lookup on the facility's cell, then the exact haversine distance and the
specialisations are checked in Python. Unsubscribing deletes the cells, so only active alerts are found.

E-mail addresses are personal data: outbox payloads carry subscription and notification ids only, logs
carry ids. Unconfirmed subscriptions are deleted after ``CARE_ALERT_CONFIRM_DAYS`` (``alerts_expire``),
unsubscribed ones after the same time (the unsubscribe link of an old e-mail then says "not subscribed").
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amtsweg.core.problems import Problem
from amtsweg.outbox import conf as outbox_conf
from amtsweg.outbox.handlers import send_to_address
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, handler
from amtsweg.outbox.services import external_effect, outbox_enqueue

from . import geo
from .geocoding import Place
from .models import (
    AlertCell,
    AlertNotification,
    AlertSubscription,
    CareType,
    Specialisation,
    VacancyReport,
    specialisation_mask,
    specialisations_of,
)

logger = logging.getLogger(__name__)

CONFIRM_KIND = "care.alert_confirm"
MATCH_KIND = "care.alerts_match"
MAIL_KIND = "care.alert_mail"
MIN_RADIUS_KM = 0.5
MAX_RADIUS_KM = 100.0
RESEND_CONFIRMATION_AFTER = timedelta(hours=1)
MAX_LABEL = 200


class AlertInvalid(Problem):
    """A subscription that cannot be stored as sent (400, ``extra["field"]`` names the input)."""

    code = "care-alert-invalid"


class AlertUnknown(Problem):
    status_code = 404
    code = "care-alert-unknown"


class AlertExpired(Problem):
    status_code = 410
    code = "care-alert-expired"


class AlertUnsubscribed(Problem):
    status_code = 410
    code = "care-alert-unsubscribed"


def _invalid(field: str, de: str, en: str) -> AlertInvalid:
    return AlertInvalid(de, en, extra={"field": field})


def _unknown() -> AlertUnknown:
    return AlertUnknown(
        "Diesen Platz-Alarm gibt es nicht (mehr). Vielleicht wurde er schon abgemeldet oder nie bestätigt.",
        "This place alert does not exist (any more). It may have been unsubscribed or never confirmed.",
    )


def confirm_days() -> int:
    return int(settings.CARE_ALERT_CONFIRM_DAYS)


def min_interval() -> timedelta:
    return timedelta(hours=int(settings.CARE_ALERT_MIN_INTERVAL_HOURS))


def mail_language(code: str) -> str:
    codes = [c for c, _name in settings.LANGUAGES]
    base = (code or "").lower().split("-")[0]
    return base if base in codes else str(settings.LANGUAGE_CODE)


# --- subscribe, confirm, unsubscribe, expire ---------------------------------------------------------------


def _validate(
    *,
    email: str,
    care_type: str,
    place: Place,
    radius_km: float,
    specialisations: list[str] | tuple[str, ...],
) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise _invalid(
            "email",
            "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@beispiel.de.",
            "Please enter a valid e-mail address, e.g. name@example.org.",
        ) from None
    if care_type not in CareType.values:
        raise _invalid(
            "care_type",
            "Bitte wählen Sie eine Versorgungsart.",
            "Please choose a type of care.",
        )
    if not (MIN_RADIUS_KM <= float(radius_km) <= MAX_RADIUS_KM):
        raise _invalid(
            "radius_km",
            f"Der Umkreis muss zwischen {MIN_RADIUS_KM:g} und {MAX_RADIUS_KM:g} km liegen.",
            f"The radius must be between {MIN_RADIUS_KM:g} and {MAX_RADIUS_KM:g} km.",
        )
    if not (-90.0 <= place.latitude <= 90.0 and -180.0 <= place.longitude <= 180.0):
        raise _invalid("q", "Der Ort liegt außerhalb der Erde.", "The place lies outside the earth.")
    unknown = [code for code in specialisations if code not in Specialisation.values]
    if unknown:
        raise _invalid(
            "specialisation",
            f"Unbekannter Schwerpunkt: {', '.join(unknown)}.",
            f"Unknown specialisation: {', '.join(unknown)}.",
        )
    return email


def _enqueue_confirmation(subscription: AlertSubscription, now: datetime) -> None:
    outbox_enqueue(
        kind=CONFIRM_KIND,
        payload={"subscription_id": subscription.pk},
        dedupe_key=f"{CONFIRM_KIND}:{subscription.pk}:{int(now.timestamp())}",
    )


def alert_subscribe(
    *,
    email: str,
    care_type: str,
    place: Place,
    radius_km: float,
    specialisations: list[str] | tuple[str, ...] = (),
    language: str = "de",
    now: datetime | None = None,
) -> AlertSubscription:
    """Record a pending alert and queue its confirmation e-mail (``AlertInvalid`` for bad input).

    The same alert (address, care type, place, radius) asked for again while one is pending or active is
    not stored twice: its confirmation e-mail is sent again, at most once an hour. The answer is the same
    either way, so the form tells nobody whether an address has subscribed already.
    """
    now = now or timezone.now()
    email = _validate(
        email=email, care_type=care_type, place=place, radius_km=radius_km, specialisations=specialisations
    )
    radius = round(float(radius_km), 3)
    latitude, longitude = round(place.latitude, 6), round(place.longitude, 6)
    bits = specialisation_mask(list(specialisations))
    with transaction.atomic():
        existing = (
            AlertSubscription.objects.select_for_update()
            .filter(
                email__iexact=email,
                care_type=care_type,
                latitude=latitude,
                longitude=longitude,
                radius_km=radius,
                unsubscribed_at__isnull=True,
            )
            .filter(Q(confirmed_at__isnull=False) | Q(created_at__gte=now - timedelta(days=confirm_days())))
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            changed = []
            if existing.specialisation_bits != bits and existing.confirmed_at is None:
                existing.specialisation_bits = bits
                changed.append("specialisation_bits")
            if existing.language != mail_language(language):
                existing.language = mail_language(language)
                changed.append("language")
            if changed:
                existing.save(update_fields=changed)
            recently = OutboxMessage.objects.filter(
                kind=CONFIRM_KIND,
                payload__subscription_id=existing.pk,
                created_at__gte=now - RESEND_CONFIRMATION_AFTER,
            ).exists()
            if not recently:
                _enqueue_confirmation(existing, now)
            return existing
        subscription = AlertSubscription.objects.create(
            email=email,
            care_type=care_type,
            latitude=latitude,
            longitude=longitude,
            radius_km=radius,
            place_label=(place.label or "")[:MAX_LABEL],
            specialisation_bits=bits,
            language=mail_language(language),
            key=secrets.token_urlsafe(32),
        )
        if subscription.created_at != now:
            # created_at is auto_now_add; the service's clock decides (tests pass ``now``).
            AlertSubscription.objects.filter(pk=subscription.pk).update(created_at=now)
            subscription.created_at = now
        _enqueue_confirmation(subscription, now)
    logger.info("care alert %s subscribed (pending confirmation)", subscription.pk)
    return subscription


def alert_for_key(key: str) -> AlertSubscription:
    """The alert of a confirmation or unsubscribe link (``AlertUnknown`` 404 otherwise)."""
    subscription = AlertSubscription.objects.filter(key=key).first() if key else None
    if subscription is None:
        raise _unknown()
    return subscription


def is_expired(subscription: AlertSubscription, now: datetime) -> bool:
    return subscription.confirmed_at is None and subscription.created_at < now - timedelta(
        days=confirm_days()
    )


def alert_confirm(*, key: str, now: datetime | None = None) -> AlertSubscription:
    """Confirm an alert (double opt-in) and index it; confirming again changes nothing.

    ``AlertExpired`` (410) after ``CARE_ALERT_CONFIRM_DAYS``, ``AlertUnsubscribed`` (410) after an
    unsubscribe, ``AlertUnknown`` (404) for an unknown key.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscription = AlertSubscription.objects.select_for_update().filter(key=key).first() if key else None
        if subscription is None:
            raise _unknown()
        if subscription.unsubscribed_at is not None:
            raise AlertUnsubscribed(
                "Dieser Platz-Alarm wurde abgemeldet. Sie können jederzeit einen neuen einrichten.",
                "This place alert was unsubscribed. You can set up a new one at any time.",
            )
        if subscription.confirmed_at is not None:
            return subscription
        if is_expired(subscription, now):
            raise AlertExpired(
                f"Der Bestätigungslink ist nach {confirm_days()} Tagen abgelaufen. Bitte richten Sie den "
                "Platz-Alarm neu ein.",
                f"The confirmation link expired after {confirm_days()} days. Please set up the place alert "
                "again.",
            )
        subscription.confirmed_at = now
        subscription.save(update_fields=["confirmed_at"])
        AlertCell.objects.bulk_create(
            [
                AlertCell(subscription=subscription, cell=cell, care_type=subscription.care_type)
                for cell in sorted(
                    geo.cells_for_circle(
                        subscription.latitude, subscription.longitude, subscription.radius_km
                    )
                )
            ],
            ignore_conflicts=True,
        )
    logger.info("care alert %s confirmed", subscription.pk)
    return subscription


def alert_unsubscribe(*, key: str, now: datetime | None = None) -> AlertSubscription:
    """Stop an alert (pending or active): no more e-mails; unsubscribing again changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = AlertSubscription.objects.select_for_update().filter(key=key).first() if key else None
        if subscription is None:
            raise _unknown()
        AlertCell.objects.filter(subscription=subscription).delete()
        if subscription.unsubscribed_at is None:
            subscription.unsubscribed_at = now
            subscription.save(update_fields=["unsubscribed_at"])
            logger.info("care alert %s unsubscribed", subscription.pk)
    return subscription


def alerts_expire(now: datetime | None = None) -> int:
    """Delete alerts never confirmed within ``CARE_ALERT_CONFIRM_DAYS`` and alerts unsubscribed longer
    than that (their e-mail addresses are not kept without a purpose); the number deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=confirm_days())
    _deleted, by_model = AlertSubscription.objects.filter(
        Q(confirmed_at__isnull=True, created_at__lt=cutoff) | Q(unsubscribed_at__lt=cutoff)
    ).delete()
    count = int(by_model.get(AlertSubscription._meta.label, 0))
    if count:
        logger.info("care alerts expired: %s", count)
    return count


# --- matching ----------------------------------------------------------------------------------------------


def alert_matches(
    *, latitude: float, longitude: float, care_type: str, specialisation_bits: int
) -> list[int]:
    """Ids of the active alerts a free place of ``care_type`` at (latitude, longitude) answers.

    One indexed lookup on ``AlertCell`` (the facility's grid cell × care type) joined to the alerts'
    circles; the exact distance and "every specialisation asked for is offered" are checked here.
    """
    rows = AlertCell.objects.filter(cell=geo.cell_of(latitude, longitude), care_type=care_type).values_list(
        "subscription_id",
        "subscription__latitude",
        "subscription__longitude",
        "subscription__radius_km",
        "subscription__specialisation_bits",
    )
    haversine = geo.haversine_km
    return sorted(
        pk
        for pk, lat, lon, radius, bits in rows
        if bits & ~specialisation_bits == 0 and haversine(lat, lon, latitude, longitude) <= radius
    )


def _payload_id(outbox: OutboxMessage, key: str) -> int:
    value = outbox.payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentFailure(f"payload has no {key!r} id")
    return value


@handler(MATCH_KIND)
def alerts_match(outbox: OutboxMessage) -> None:
    """Match a report that made places free (payload ``{"report_id": id}``) against the active alerts and
    queue one e-mail per alert; alerts e-mailed within ``CARE_ALERT_MIN_INTERVAL_HOURS`` are skipped.

    Runs in one transaction with marking the message done; the notification row (unique per alert and
    report) and the e-mail's dedupe key make a second run send nothing twice.
    """
    report = (
        VacancyReport.objects.select_related("offer__facility__authority__care_finder")
        .filter(pk=_payload_id(outbox, "report_id"))
        .first()
    )
    if report is None:
        logger.info("outbox message %s: report is gone, no alerts", outbox.pk)
        return
    offer = report.offer
    facility = offer.facility
    finder = getattr(facility.authority, "care_finder", None)
    if not facility.active or (finder is not None and not finder.enabled):
        logger.info("outbox message %s: facility inactive or finder disabled, no alerts", outbox.pk)
        return
    if not offer.free_now:
        logger.info("outbox message %s: offer no longer free, no alerts", outbox.pk)
        return
    now = timezone.now()
    cutoff = now - min_interval()
    matched = alert_matches(
        latitude=facility.latitude,
        longitude=facility.longitude,
        care_type=offer.care_type,
        specialisation_bits=facility.specialisation_bits,
    )
    sent = 0
    for subscription_id in matched:
        if AlertNotification.objects.filter(subscription_id=subscription_id, report=report).exists():
            continue
        # A conditional update per alert: two reports matched at once cannot both pass the throttle.
        claimed = (
            AlertSubscription.objects.filter(
                pk=subscription_id, confirmed_at__isnull=False, unsubscribed_at__isnull=True
            )
            .filter(Q(last_notified_at__isnull=True) | Q(last_notified_at__lte=cutoff))
            .update(last_notified_at=now)
        )
        if not claimed:
            continue
        try:
            with transaction.atomic():
                notification = AlertNotification.objects.create(
                    subscription_id=subscription_id, report=report, created_at=now
                )
        except IntegrityError:
            continue
        outbox_enqueue(
            kind=MAIL_KIND,
            payload={"notification_id": notification.pk},
            dedupe_key=f"{MAIL_KIND}:{notification.pk}",
        )
        sent += 1
    logger.info(
        "outbox message %s: report %s matched %s alerts, %s e-mails queued",
        outbox.pk,
        report.pk,
        len(matched),
        sent,
    )


# --- e-mails -----------------------------------------------------------------------------------------------


def absolute(url_name: str, **kwargs: Any) -> str:
    return outbox_conf.public_url() + reverse(url_name, kwargs=kwargs or None)


def confirm_url(subscription: AlertSubscription) -> str:
    return absolute("portal:care_alert_confirm", key=subscription.key)


def unsubscribe_url(subscription: AlertSubscription) -> str:
    return absolute("portal:care_alert_unsubscribe", key=subscription.key)


def _send(
    outbox: OutboxMessage,
    subscription: AlertSubscription,
    *,
    subject: str,
    template: str,
    context: dict[str, Any],
    one_click_unsubscribe: bool,
) -> None:
    """Send one e-mail in the alert's language, with ``List-Unsubscribe`` (RFC 2369) and, for alert
    e-mails, ``List-Unsubscribe-Post`` (RFC 8058 one-click: the link accepts a POST without a form)."""
    headers = {"List-Unsubscribe": f"<{unsubscribe_url(subscription)}>"}
    if one_click_unsubscribe:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    send_to_address(
        outbox,
        subscription.email,
        subject=subject,
        template=template,
        context={"subscription": subscription, **context},
        languages=[mail_language(subscription.language)],
        headers=headers,
    )


@dataclass(frozen=True)
class AlertSummary:
    """What an alert asks for, in words (for e-mails and pages)."""

    care_type: str
    radius_km: float
    place: str
    specialisations: list[str]


def summary(subscription: AlertSubscription) -> AlertSummary:
    labels = dict(Specialisation.choices)
    return AlertSummary(
        care_type=str(CareType(subscription.care_type).label),
        radius_km=subscription.radius_km,
        place=subscription.place_label,
        specialisations=[str(labels[code]) for code in specialisations_of(subscription.specialisation_bits)],
    )


@handler(CONFIRM_KIND)
@external_effect
def alert_confirm_mail(outbox: OutboxMessage) -> None:
    """E-mail the confirmation link of an alert (payload ``{"subscription_id": id}``)."""
    subscription = AlertSubscription.objects.filter(pk=_payload_id(outbox, "subscription_id")).first()
    if subscription is None or subscription.unsubscribed_at is not None:
        logger.info("outbox message %s: alert gone or unsubscribed, nothing sent", outbox.pk)
        return
    with translation.override(mail_language(subscription.language)):
        subject = _("Bitte bestätigen Sie Ihren Platz-Alarm im Pflegefinder")
        about = summary(subscription)
    _send(
        outbox,
        subscription,
        subject=subject,
        template="care/email/alert_confirm",
        context={
            "about": about,
            "link": confirm_url(subscription),
            "unsubscribe_link": unsubscribe_url(subscription),
            "days": confirm_days(),
        },
        one_click_unsubscribe=False,
    )


@handler(MAIL_KIND)
@external_effect
def alert_mail(outbox: OutboxMessage) -> None:
    """E-mail that a place became free (payload ``{"notification_id": id}``), unless the alert was
    unsubscribed in the meantime."""
    notification = (
        AlertNotification.objects.select_related("subscription", "report__offer__facility")
        .filter(pk=_payload_id(outbox, "notification_id"))
        .first()
    )
    if notification is None or not notification.subscription.is_active:
        logger.info("outbox message %s: alert gone or unsubscribed, nothing sent", outbox.pk)
        return
    subscription = notification.subscription
    report = notification.report
    facility = report.offer.facility
    with translation.override(mail_language(subscription.language)):
        care_type = str(CareType(report.offer.care_type).label)
        subject = _("Platz-Alarm: %(care_type)s in %(facility)s frei") % {
            "care_type": care_type,
            "facility": facility.name,
        }
        about = summary(subscription)
    distance = geo.haversine_km(
        subscription.latitude, subscription.longitude, facility.latitude, facility.longitude
    )
    _send(
        outbox,
        subscription,
        subject=subject,
        template="care/email/alert_mail",
        context={
            "about": about,
            "facility": facility.name,
            "address": f"{facility.street}, {facility.postcode} {facility.town}",
            "care_type": care_type,
            "free_places": report.free_places,
            "reported_at": timezone.localtime(report.reported_at),
            "distance_km": round(distance, 1),
            "link": absolute("portal:care_facility", pk=facility.pk),
            "unsubscribe_link": unsubscribe_url(subscription),
            "new_alert_link": absolute("portal:care_alert_subscribe"),
        },
        one_click_unsubscribe=True,
    )
