"""Writes of the care finder's core: vacancy reports (from the report page, the operator API and the
Heimaufsicht), each one transaction. Facility editing, alerts, reminders and open data have their own
modules (``services_facilities``, ``alerts``, ``reminders``, ``opendata``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.outbox.services import outbox_enqueue

from .models import CareOffer, Facility, VacancyReport

MAX_EXPECTED_ENTRIES = 12
EXPECTED_HORIZON_DAYS = 365
ALERT_MATCH_KIND = "care.alerts_match"


class ReportInvalid(Problem):
    """A vacancy report that cannot be stored as sent (400, code ``care-report-invalid``)."""

    def __init__(self, detail_de: str, detail_en: str, *, field: str = "") -> None:
        super().__init__(
            detail_de, detail_en, code="care-report-invalid", extra={"field": field} if field else None
        )


@dataclass(frozen=True)
class ReportLine:
    """The report for one care type: free places now and, optionally, expected free places by date."""

    care_type: str
    free_places: int
    expected: Sequence[tuple[date, int]] = field(default_factory=tuple)


def _validated_expected(line: ReportLine, offer: CareOffer, *, today: date) -> list[dict[str, object]]:
    if len(line.expected) > MAX_EXPECTED_ENTRIES:
        raise ReportInvalid(
            f"Höchstens {MAX_EXPECTED_ENTRIES} künftige Termine je Versorgungsart.",
            f"At most {MAX_EXPECTED_ENTRIES} future dates per care type.",
            field=f"{line.care_type}.expected",
        )
    entries: list[dict[str, object]] = []
    previous: date | None = None
    for day, places in line.expected:
        if day <= today or day > today + timedelta(days=EXPECTED_HORIZON_DAYS):
            raise ReportInvalid(
                f"Erwartete Termine liegen nach heute und höchstens {EXPECTED_HORIZON_DAYS} Tage voraus.",
                f"An expected date must be after today and at most {EXPECTED_HORIZON_DAYS} days ahead.",
                field=f"{line.care_type}.expected",
            )
        if previous is not None and day <= previous:
            raise ReportInvalid(
                "Die erwarteten Termine müssen aufsteigend und ohne Doppelungen angegeben sein.",
                "Expected dates must be ascending and unique.",
                field=f"{line.care_type}.expected",
            )
        if not 0 <= places <= offer.capacity:
            raise ReportInvalid(
                f"Erwartete freie Plätze müssen zwischen 0 und {offer.capacity} liegen.",
                f"Expected free places must be between 0 and {offer.capacity}.",
                field=f"{line.care_type}.expected",
            )
        entries.append({"date": day.isoformat(), "places": places})
        previous = day
    return entries


def vacancy_report_submit(
    *,
    facility: Facility,
    actor: User | None,
    lines: Sequence[ReportLine],
    channel: str,
    request_key: str = "",
    now: datetime | None = None,
) -> list[VacancyReport]:
    """Store one report per line (same time), update each offer's current vacancy, and queue alert
    matching for every offer that becomes free (none or unknown before, some now).

    Lines must name distinct care types the facility offers; places lie within the capacity. With a
    ``request_key`` (the API's Idempotency-Key) a repeated request returns the stored reports unchanged.
    "All full" is a report of 0 for every offer. The caller has checked that ``actor`` may report for
    ``facility`` (operator access or staff scope).
    """
    if not lines:
        raise ReportInvalid("Die Meldung enthält keine Versorgungsart.", "The report names no care type.")
    care_types = [line.care_type for line in lines]
    if len(set(care_types)) != len(care_types):
        raise ReportInvalid(
            "Jede Versorgungsart darf nur einmal gemeldet werden.",
            "Each care type may be reported only once.",
            field="care_type",
        )
    if len(request_key) > 100:
        raise ReportInvalid(
            "Der Idempotenzschlüssel ist länger als 100 Zeichen.",
            "The idempotency key exceeds 100 characters.",
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            offers = {
                offer.care_type: offer
                for offer in CareOffer.objects.select_for_update().filter(
                    facility=facility, care_type__in=care_types
                )
            }
            if request_key:
                existing = list(
                    VacancyReport.objects.filter(offer__facility=facility, request_key=request_key).order_by(
                        "id"
                    )
                )
                if existing:
                    return existing
            reports: list[VacancyReport] = []
            became_free: list[VacancyReport] = []
            for line in lines:
                offer = offers.get(line.care_type)
                if offer is None:
                    raise ReportInvalid(
                        "Diese Versorgungsart bietet die Einrichtung nicht an.",
                        "The facility does not offer this care type.",
                        field=line.care_type,
                    )
                if not 0 <= line.free_places <= offer.capacity:
                    raise ReportInvalid(
                        f"Freie Plätze müssen zwischen 0 und {offer.capacity} liegen.",
                        f"Free places must be between 0 and {offer.capacity}.",
                        field=line.care_type,
                    )
                expected = _validated_expected(line, offer, today=today)
                report = VacancyReport(
                    offer=offer,
                    free_places=line.free_places,
                    expected=expected,
                    reported_at=now,
                    reported_by=actor,
                    channel=channel,
                    request_key=request_key,
                )
                reports.append(report)
                if line.free_places > 0 and not offer.free_now:
                    became_free.append(report)
                offer.free_now, offer.reported_at, offer.expected = line.free_places, now, expected
            VacancyReport.objects.bulk_create(reports)
            # One plain UPDATE per offer (a facility has one to three): cheaper than bulk_update's CASE.
            for offer in offers.values():
                offer.save(update_fields=["free_now", "reported_at", "expected"])
            for report in became_free:
                outbox_enqueue(
                    kind=ALERT_MATCH_KIND,
                    payload={"report_id": report.pk},
                    dedupe_key=f"{ALERT_MATCH_KIND}:{report.pk}",
                    authority_id=facility.authority_id,
                )
            return reports
    except IntegrityError:
        if not request_key:
            raise
        # A concurrent request with the same key won the race: answer with what it stored.
        return list(
            VacancyReport.objects.filter(offer__facility=facility, request_key=request_key).order_by("id")
        )
