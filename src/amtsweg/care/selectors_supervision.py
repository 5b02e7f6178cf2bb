"""Reads of the Heimaufsicht (supervisory office of the Kreis): facilities that keep not reporting,
and the counts of its overview. Callers pass a finder they reached through ``tenancy.access``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import CareFinder, CareOffer, Facility, ReportReminder
from .reminders import local_midnight

REMINDER_WINDOW_DAYS = 30


@dataclass(frozen=True)
class NotReportingRow:
    """A facility whose last report (over all its offers) is ``escalate_after_days`` or more days old."""

    facility_id: int
    name: str
    town: str
    operator: str
    phone: str
    email: str  # the reminder address (report_email, else the public one); "" = none
    last_reported_at: datetime | None  # None: never reported
    days_since: int | None  # calendar days since the last report (local dates); None: never
    reminders_30d: int

    @property
    def has_reminder_address(self) -> bool:
        return bool(self.email)


@dataclass(frozen=True)
class Overview:
    facilities: int
    stale: int  # active facilities with at least one offer whose report is stale or missing
    not_reporting: int
    reminders_today: int


def _reminder_count(today: date) -> Subquery:
    recent = (
        ReportReminder.objects.filter(
            facility=OuterRef("pk"), due_date__gt=today - timedelta(days=REMINDER_WINDOW_DAYS)
        )
        .order_by()
        .values("facility")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(recent, output_field=IntegerField())


def facilities_not_reporting(finder: CareFinder, *, now: datetime | None = None) -> list[NotReportingRow]:
    """Active facilities of ``finder`` whose last report is at least ``escalate_after_days`` calendar
    days old (local dates) or missing, worst first: never reported, then the oldest last report, then
    the most reminders in the last 30 days, then by name."""
    return facility_rows(finder, now=now, overdue_only=True)


def facility_rows(
    finder: CareFinder, *, now: datetime | None = None, overdue_only: bool = False
) -> list[NotReportingRow]:
    """Every active facility of ``finder`` (or only the overdue ones) with its reporting record, worst
    first (see ``facilities_not_reporting``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = local_midnight(today - timedelta(days=finder.escalate_after_days - 1))
    rows = Facility.objects.filter(authority_id=finder.authority_id, active=True).annotate(
        last=Max("offers__reported_at")
    )
    if overdue_only:
        rows = rows.filter(Q(last__isnull=True) | Q(last__lt=cutoff))
    rows = (
        rows.annotate(reminders_30d=Coalesce(_reminder_count(today), 0))
        .select_related("operator")
        .order_by("name", "pk")
    )
    result = []
    for facility in rows:
        last: datetime | None = facility.last
        result.append(
            NotReportingRow(
                facility_id=facility.pk,
                name=facility.name,
                town=facility.town,
                operator=facility.operator.name,
                phone=facility.phone,
                email=facility.report_email or facility.email,
                last_reported_at=last,
                days_since=None if last is None else (today - timezone.localdate(last)).days,
                reminders_30d=facility.reminders_30d,
            )
        )
    result.sort(
        key=lambda r: (
            r.days_since is not None,
            -(r.days_since or 0),
            -r.reminders_30d,
            r.name,
        )
    )
    return result


def supervision_overview(finder: CareFinder, *, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    today = timezone.localdate(now)
    active = Facility.objects.filter(authority_id=finder.authority_id, active=True)
    stale_before = now - timedelta(hours=finder.stale_after_hours)
    stale_offer = CareOffer.objects.filter(facility=OuterRef("pk")).filter(
        Q(reported_at__isnull=True) | Q(reported_at__lt=stale_before)
    )
    return Overview(
        facilities=active.count(),
        stale=active.filter(Exists(stale_offer)).count(),
        not_reporting=len(facilities_not_reporting(finder, now=now)),
        reminders_today=ReportReminder.objects.filter(
            facility__authority_id=finder.authority_id, due_date=today
        ).count(),
    )
