"""Waiting times of the road-traffic offices (Wartezeiten der Straßenverkehrsämter), for the public
page ``/kfz/wartezeiten/`` and ``GET /api/v1/vehicles/waiting-times``.

Which offices: the ``appointments.AppointmentOffice``s of the registration authority
(``settings.VEHICLES_AUTHORITY_AGS``) that offer at least one road-traffic service (LeiKa keys
``99036…``). For each: whether it is open now, how many people wait in its waiting room, an
estimate of the wait for someone who draws a number now, and the next free appointment for each
service it gives online (``appointments.slots.earliest_free``).

The estimator (documented for citizens in docs/vehicles.md)
-----------------------------------------------------------
Someone who draws a walk-in number now is called after the people already in the waiting room
(due appointments are called first, walk-ins fill the gaps: ``appointments.queue.call_order``), so

    estimate = people waiting × service time ÷ counters serving

* *people waiting*: today's tickets in status ``waiting`` (appointments checked in and walk-ins);
* *service time*: the median time a counter is taken by one visit (call-up to finish) over the
  office's last ``SERVICE_SAMPLE`` finished visits of the past ``SERVICE_DAYS`` days — the median,
  because one two-hour case must not double the estimate for everyone; with fewer than
  ``MIN_SERVICE_SAMPLES`` visits the median of the configured appointment durations stands in
  (``service_basis`` says which);
* *counters serving*: the counters that called someone in the last ``RECENT_MINUTES`` minutes or
  are serving now — the counters that are staffed, not the ones that exist; when none has called
  yet (just opened), the office's active counters (``counters_assumed``).

This reacts the moment the waiting room fills or empties. The other candidate — the median wait of
the people called in the last hour — lags by up to an hour and says "no wait" at opening time while
the room is full; it is reported next to the estimate (``recent_median_wait_minutes``, from
``recent_calls`` call-ups) so both can be compared. An office whose queue has not been used in the
past ``SERVICE_DAYS`` days has no data: the status is ``no_data`` and no figure is invented; a closed
office has status ``closed``. ``beyond_closing`` warns when the estimate runs past the end of the
current opening period.

Load
----
The figures of an office are computed with a handful of queries and cached in the shared cache for
``settings.VEHICLES_WAITING_CACHE_SECONDS`` (default 30) under a key with the office's calendar
``revision``: a change of hours, counters or services is seen at once, queue movements within
half a minute. The page says when the figures were computed ("Stand").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from amtsweg.appointments import calendar, slots
from amtsweg.appointments.models import AppointmentOffice, OfficeService, QueueTicket
from amtsweg.appointments.problems import BookingError
from amtsweg.appointments.stats import percentile

ROAD_TRAFFIC_PREFIX = "99036"
SERVICE_DAYS = 14
SERVICE_SAMPLE = 100
MIN_SERVICE_SAMPLES = 5
RECENT_MINUTES = 60
# The median of the last hour's waits is only shown from this many call-ups on.
MIN_RECENT_CALLS = 3
_CACHE_VERSION = "v1"

Status = QueueTicket.Status


class QueueState:
    """What the waiting-time figure of an office is."""

    ESTIMATE = "estimate"  # open, queue in use: an estimate in minutes
    NO_DATA = "no_data"  # open, but the office's queue has not been used recently
    CLOSED = "closed"  # closed now (outside opening hours, holiday or closure)


@dataclass(frozen=True)
class NextAppointment:
    """The next free appointment of one service at the office (``None``: nothing in the window)."""

    leika_key: str
    service_name: str
    duration_minutes: int
    starts_at: datetime | None


@dataclass(frozen=True)
class OfficeWaiting:
    """The waiting-time figures of one road-traffic office at ``as_of`` (no personal data)."""

    appointment_office_id: int
    office_id: int
    name: str
    authority_ags: str
    authority_name: str
    authority_slug: str
    office_slug: str
    street: str
    postcode: str
    city: str
    as_of: datetime
    open_now: bool
    closes_at: datetime | None
    state: str
    waiting: int | None
    estimate_minutes: int | None
    counters: int | None
    counters_assumed: bool
    service_minutes: float | None
    service_basis: str | None  # "observed" | "configured" | None
    recent_median_wait_minutes: float | None
    recent_calls: int
    beyond_closing: bool
    online_booking: bool
    appointments: list[NextAppointment] = field(default_factory=list)

    @property
    def display_minutes(self) -> int | None:
        """The estimate as the page says it: to the next 5 minutes from 10 minutes on (an estimate
        to the minute would promise a precision it does not have)."""
        if self.estimate_minutes is None:
            return None
        if self.estimate_minutes < 10:
            return self.estimate_minutes
        return int(math.ceil(self.estimate_minutes / 5) * 5)


def cache_seconds() -> int:
    return int(getattr(settings, "VEHICLES_WAITING_CACHE_SECONDS", 30))


def _road_traffic() -> QuerySet[AppointmentOffice]:
    road_traffic = OfficeService.objects.filter(service__leika_key__startswith=ROAD_TRAFFIC_PREFIX)
    return AppointmentOffice.objects.filter(
        office__authority__ags=settings.VEHICLES_AUTHORITY_AGS,
        office__authority__is_active=True,
        pk__in=road_traffic.values("office_id"),
    )


def road_traffic_offices() -> list[AppointmentOffice]:
    """The registration authority's offices with road-traffic services, by name (configuration loaded)."""
    return slots.load_many(_road_traffic().order_by("office__name", "pk"))


def is_road_traffic_office(office_id: int) -> bool:
    """Whether the ``tenancy.Office`` is one of :func:`road_traffic_offices` (one query, for links)."""
    return _road_traffic().filter(office_id=office_id).exists()


def road_traffic_office(office_id: int) -> AppointmentOffice | None:
    """One of :func:`road_traffic_offices` by its ``tenancy.Office`` id (the API's office id)."""
    for office in road_traffic_offices():
        if office.office_id == office_id:
            return office
    return None


def _key(office: AppointmentOffice) -> str:
    return f"vehicles:waiting:{_CACHE_VERSION}:{office.pk}:{office.revision}"


def waiting_times(*, now: datetime | None = None, use_cache: bool = True) -> list[OfficeWaiting]:
    """The figures of every road-traffic office (cached per office, see the module docstring)."""
    return figures_for(road_traffic_offices(), now=now, use_cache=use_cache)


def figures_for(
    offices: Sequence[AppointmentOffice], *, now: datetime | None = None, use_cache: bool = True
) -> list[OfficeWaiting]:
    """The figures of ``offices`` (loaded by ``slots.load``/``load_many``), in the given order."""
    keys = {office.pk: _key(office) for office in offices}
    cached: dict[str, OfficeWaiting] = cache.get_many(list(keys.values())) if use_cache else {}
    result: list[OfficeWaiting] = []
    fresh: dict[str, OfficeWaiting] = {}
    for office in offices:
        figures = cached.get(keys[office.pk])
        if figures is None:
            figures = office_waiting(office, now=now)
            fresh[keys[office.pk]] = figures
        result.append(figures)
    if fresh and use_cache:
        cache.set_many(fresh, timeout=cache_seconds())
    return result


# --- one office ----------------------------------------------------------------------------------


def _opening(office: AppointmentOffice, now: datetime) -> tuple[bool, datetime | None]:
    """Open at ``now``? And when the current opening period ends (closures and holidays close)."""
    day = calendar.local_day(now)
    if calendar.is_holiday(day):
        return False, None
    for closure in office.closures.all():
        if closure.counter_id is None and closure.starts_at <= now < closure.ends_at:
            return False, None
    for period in office.office.opening_hours.all():
        if period.weekday != day.weekday():
            continue
        opens, closes = calendar.instant(day, period.opens), calendar.instant(day, period.closes)
        if opens <= now < closes:
            # An office-wide closure that starts before the period ends shortens it.
            for closure in office.closures.all():
                if closure.counter_id is None and now <= closure.starts_at < closes:
                    closes = closure.starts_at
            return True, closes
    return False, None


def _minutes(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds() / 60)


def _service_time(office: AppointmentOffice, now: datetime) -> tuple[float | None, str | None]:
    rows = (
        QueueTicket.objects.filter(
            office=office,
            status=Status.DONE,
            called_at__isnull=False,
            finished_at__isnull=False,
            finished_at__gte=now - timedelta(days=SERVICE_DAYS),
            finished_at__lte=now,
        )
        .order_by("-finished_at")
        .values_list("called_at", "finished_at")[:SERVICE_SAMPLE]
    )
    observed = [_minutes(finished - called) for called, finished in rows if called and finished]
    if len(observed) >= MIN_SERVICE_SAMPLES:
        return percentile(observed, 0.5), "observed"
    configured = [float(service.duration_minutes) for service in office.services.all()]
    if configured:
        return percentile(configured, 0.5), "configured"
    return None, None


def _next_appointments(office: AppointmentOffice, now: datetime) -> list[NextAppointment]:
    result: list[NextAppointment] = []
    for service in office.services.all():
        if not service.bookable_online:
            continue
        try:
            offers = slots.earliest_free([office], [(service.service.leika_key, 1)], limit=1, now=now)
        except BookingError:  # no counter offers it: no appointment, not an error of the page
            offers = []
        result.append(
            NextAppointment(
                leika_key=service.service.leika_key,
                service_name=service.service.name,
                duration_minutes=service.duration_minutes,
                starts_at=offers[0].starts_at if offers else None,
            )
        )
    # Road-traffic services first, then by name.
    result.sort(key=lambda row: (not row.leika_key.startswith(ROAD_TRAFFIC_PREFIX), row.service_name))
    return result


def office_waiting(office: AppointmentOffice, *, now: datetime | None = None) -> OfficeWaiting:
    """The figures of one office now (uncached; ``office`` loaded by ``slots.load``)."""
    now = now or timezone.now()
    today = calendar.local_day(now)
    open_now, closes_at = _opening(office, now)
    tickets = QueueTicket.objects.filter(office=office)
    queue_in_use = tickets.filter(checked_in_at__gte=now - timedelta(days=SERVICE_DAYS)).exists()

    waiting: int | None = None
    estimate: int | None = None
    counters: int | None = None
    counters_assumed = False
    service_minutes: float | None = None
    service_basis: str | None = None
    recent_waits: list[float] = []
    state = QueueState.CLOSED if not open_now else QueueState.NO_DATA
    if queue_in_use:
        since = now - timedelta(minutes=RECENT_MINUTES)
        waiting = tickets.filter(day=today, status=Status.WAITING, checked_in_at__lte=now).count()
        recent = list(
            tickets.filter(called_at__gte=since, called_at__lte=now).values_list(
                "checked_in_at", "called_at", "counter_id"
            )
        )
        recent_waits = [_minutes(called - checked_in) for checked_in, called, _counter in recent if called]
        staffed = {counter for _in, _called, counter in recent if counter is not None}
        staffed |= set(
            tickets.filter(day=today, status__in=(Status.CALLED, Status.IN_PROGRESS))
            .exclude(counter__isnull=True)
            .values_list("counter_id", flat=True)
        )
        if open_now:
            counters = len(staffed)
            if not counters:
                counters = sum(1 for counter in office.counters.all() if counter.in_person)
                counters_assumed = True
            service_minutes, service_basis = _service_time(office, now)
            if counters and service_minutes is not None:
                state = QueueState.ESTIMATE
                estimate = math.ceil(waiting * service_minutes / counters) if waiting else 0
    recent_median = percentile(recent_waits, 0.5) if len(recent_waits) >= MIN_RECENT_CALLS else None
    authority = office.office.authority
    return OfficeWaiting(
        appointment_office_id=office.pk,
        office_id=office.office_id,
        name=office.office.name,
        authority_ags=authority.ags,
        authority_name=authority.name,
        authority_slug=authority.slug,
        office_slug=office.office.slug,
        street=office.office.street,
        postcode=office.office.postcode,
        city=office.office.city,
        as_of=now,
        open_now=open_now,
        closes_at=closes_at,
        state=state,
        waiting=waiting,
        estimate_minutes=estimate,
        counters=counters,
        counters_assumed=counters_assumed,
        service_minutes=round(service_minutes, 1) if service_minutes is not None else None,
        service_basis=service_basis,
        recent_median_wait_minutes=round(recent_median, 1) if recent_median is not None else None,
        recent_calls=len(recent_waits),
        beyond_closing=bool(
            estimate is not None and closes_at is not None and now + timedelta(minutes=estimate) > closes_at
        ),
        online_booking=office.enabled,
        appointments=_next_appointments(office, now) if office.enabled else [],
    )


__all__ = [
    "NextAppointment",
    "OfficeWaiting",
    "QueueState",
    "figures_for",
    "office_waiting",
    "road_traffic_office",
    "road_traffic_offices",
    "waiting_times",
]
