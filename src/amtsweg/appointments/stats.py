"""Selectors of the office's back-office pages: the day and week calendar, capacity planning
(bookable vs booked per day) and statistics (lead time, waiting time, no-show rate, channels).

Open time comes from the free-slot engine's bitmaps (``slots.grids``), so the calendar, the
capacity figures and the booking pages agree on breaks, closures, holidays and DST days. Counts and
sums are computed in the database grouped by local day; percentiles in Python, because SQLite has
no percentile aggregate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import Authority

from . import calendar, slots
from .models import (
    Appointment,
    AppointmentOffice,
    Closure,
    Counter,
    LeadTimeSample,
    QueueTicket,
)

# Appointments that hold a person's time at the counter (what the calendar shows and capacity counts).
BOOKED = (Appointment.Status.BOOKED, Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW)
SHOWN = (*BOOKED, Appointment.Status.RESERVED)
# A booking that happened: confirmed at some point (a cancelled one was booked before it was cancelled).
HAPPENED = (*BOOKED, Appointment.Status.CANCELLED)


# --- offices ------------------------------------------------------------------------------------


def offices_for_staff(*, user: Actor, authority: Authority) -> QuerySet[AppointmentOffice]:
    """The authority's offices that give appointments, readable by ``user``, with today's numbers."""
    today = calendar.local_day(timezone.now())
    start, end = calendar.midnight(today), calendar.midnight(today + timedelta(days=1))
    return (
        access.scope(
            AppointmentOffice.objects.filter(office__authority=authority), user, via="office__authority"
        )
        .select_related("office")
        .annotate(
            today_booked=Count(
                "appointments",
                filter=Q(
                    appointments__starts_at__gte=start,
                    appointments__starts_at__lt=end,
                    appointments__status__in=SHOWN,
                ),
                distinct=True,
            ),
            today_waiting=Count(
                "tickets",
                filter=Q(tickets__day=today, tickets__status=QueueTicket.Status.WAITING),
                distinct=True,
            ),
            today_done=Count(
                "tickets",
                filter=Q(tickets__day=today, tickets__status=QueueTicket.Status.DONE),
                distinct=True,
            ),
        )
        .order_by("office__name")
    )


def office_for_staff(
    *, user: Actor, authority: Authority, slug: str, administer: bool = False
) -> AppointmentOffice | None:
    """The office ``slug`` of ``authority`` if ``user`` may read (or administer) it."""
    return (
        access.scope(
            AppointmentOffice.objects.filter(office__authority=authority, office__slug=slug),
            user,
            via="office__authority",
            administer=administer,
        )
        .select_related("office__authority")
        .first()
    )


# --- the day calendar ---------------------------------------------------------------------------


@dataclass
class Cell:
    """One counter at one grid unit: an appointment (starting here, spanning ``rowspan`` units),
    free time, or closed time with the reason."""

    kind: str  # "appointment" | "free" | "break" | "closure" | "closed"
    appointment: Appointment | None = None
    rowspan: int = 1
    label: str = ""


@dataclass
class Row:
    at: datetime  # local time
    cells: list[Cell | None]  # None: covered by an appointment cell above


@dataclass
class DayPlan:
    day: date
    holiday: str | None
    counters: list[Counter]
    rows: list[Row]
    appointments: list[Appointment]  # everything of the day incl. cancelled, by time
    closures: list[Closure]
    unit_minutes: int


def _appointments_between(office: AppointmentOffice, start: datetime, end: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(office=office, starts_at__lt=end, ends_at__gt=start)
        .select_related("counter")
        .prefetch_related("items__service__service")
        .order_by("starts_at", "counter__label")
    )


def _opening_periods(office: AppointmentOffice, day: date) -> list[tuple[datetime, datetime]]:
    return [
        (calendar.instant(day, period.opens), calendar.instant(day, period.closes))
        for period in office.office.opening_hours.all()
        if period.weekday == day.weekday()
    ]


def day_plan(*, office: AppointmentOffice, day: date, now: datetime | None = None) -> DayPlan:
    """The day of ``office`` as a table: rows by grid unit, a column per active counter."""
    grids = slots.grids(office, day, 1, now=now)
    counters = list(Counter.objects.filter(office=office, active=True).order_by("label", "pk"))
    counters = [counter for counter in counters if counter.pk in grids]
    origin, end = calendar.midnight(day), calendar.midnight(day + timedelta(days=1))
    unit = timedelta(minutes=office.grid_minutes)
    units = (end - origin) // unit
    appointments = list(_appointments_between(office, origin, end))
    closures = list(
        Closure.objects.filter(office=office, starts_at__lt=end, ends_at__gt=origin).select_related("counter")
    )
    periods = _opening_periods(office, day)
    shown = [a for a in appointments if a.status in SHOWN]

    used = 0
    for counter in counters:
        used |= grids[counter.pk][0].open
    by_counter: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in shown:
        by_counter[appointment.counter_id].append(appointment)
        first = max(0, (appointment.starts_at - origin) // unit)
        last = min(units, -((origin - appointment.ends_at) // unit))
        used |= ((1 << (last - first)) - 1) << first if last > first else 0
    rows: list[Row] = []
    if used:
        first_row, last_row = (used & -used).bit_length() - 1, used.bit_length()
        rows = [Row(calendar.local(origin + i * unit), []) for i in range(first_row, last_row)]
        for counter in counters:
            _fill_column(
                rows,
                first_row,
                grids[counter.pk][0],
                by_counter.get(counter.pk, []),
                [c for c in closures if c.counter_id in (None, counter.pk)],
                periods,
            )
    return DayPlan(
        day=day,
        holiday=calendar.is_holiday(day),
        counters=counters,
        rows=rows,
        appointments=appointments,
        closures=closures,
        unit_minutes=office.grid_minutes,
    )


def _fill_column(
    rows: list[Row],
    first_row: int,
    grid: slots.DayGrid,
    appointments: list[Appointment],
    closures: list[Closure],
    periods: list[tuple[datetime, datetime]],
) -> None:
    starting = {max(first_row, grid.index(a.starts_at)): a for a in appointments}
    covered_until = -1
    for offset, row in enumerate(rows):
        index = first_row + offset
        if index < covered_until:
            row.cells.append(None)
            continue
        appointment = starting.get(index)
        if appointment is not None:
            span = max(
                1, min(-((grid.origin - appointment.ends_at) // grid.unit), first_row + len(rows)) - index
            )
            covered_until = index + span
            row.cells.append(Cell("appointment", appointment, rowspan=span))
            continue
        if grid.open >> index & 1:
            row.cells.append(Cell("free"))
            continue
        moment = grid.at(index)
        closure = next((c for c in closures if c.starts_at <= moment < c.ends_at), None)
        if closure is not None:
            row.cells.append(Cell("closure", label=closure.reason))
        elif any(opens <= moment < closes for opens, closes in periods) and not calendar.is_holiday(grid.day):
            row.cells.append(Cell("break"))
        else:
            row.cells.append(Cell("closed"))


# --- capacity -----------------------------------------------------------------------------------


@dataclass
class CounterDay:
    bookable_minutes: int = 0
    free_minutes: int = 0
    booked_minutes: int = 0
    reserved_minutes: int = 0
    appointments: int = 0


@dataclass
class CapacityDay:
    """One day of an office: bookable minutes (counters × opening hours minus breaks, closures and
    holidays), booked and reserved minutes, free minutes (bookable and not blocked by anything,
    including cancelled appointments held back), and the utilisation (booked / bookable)."""

    day: date
    holiday: str | None
    bookable_minutes: int = 0
    free_minutes: int = 0
    booked_minutes: int = 0
    reserved_minutes: int = 0
    appointments: int = 0
    counters: dict[int, CounterDay] = field(default_factory=dict)

    @property
    def utilisation(self) -> float | None:
        if not self.bookable_minutes:
            return None
        return 100 * self.booked_minutes / self.bookable_minutes


def _minutes(value: timedelta | None) -> int:
    return int(value.total_seconds() // 60) if value else 0


def capacity(
    *, office: AppointmentOffice, start: date, end: date, now: datetime | None = None
) -> list[CapacityDay]:
    """Per day from ``start`` to ``end`` (inclusive) and per counter: bookable vs booked minutes."""
    days = (end - start).days + 1
    grids = slots.grids(office, start, days, now=now)
    result = [
        CapacityDay(
            day=start + timedelta(days=offset), holiday=calendar.is_holiday(start + timedelta(days=offset))
        )
        for offset in range(days)
    ]
    for counter_id, counter_grids in grids.items():
        for capacity_day, grid in zip(result, counter_grids, strict=True):
            unit_minutes = int(grid.unit.total_seconds() // 60)
            cell = capacity_day.counters.setdefault(counter_id, CounterDay())
            cell.bookable_minutes = grid.open.bit_count() * unit_minutes
            cell.free_minutes = grid.free.bit_count() * unit_minutes
            capacity_day.bookable_minutes += cell.bookable_minutes
            capacity_day.free_minutes += cell.free_minutes
    index = {capacity_day.day: capacity_day for capacity_day in result}
    duration = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    rows = (
        Appointment.objects.filter(
            office=office,
            status__in=SHOWN,
            starts_at__gte=calendar.midnight(start),
            starts_at__lt=calendar.midnight(end + timedelta(days=1)),
        )
        .annotate(day=TruncDate("starts_at", tzinfo=calendar.TZ))
        .values("day", "counter_id")
        .annotate(
            booked=Sum(duration, filter=Q(status__in=BOOKED)),
            reserved=Sum(duration, filter=Q(status=Appointment.Status.RESERVED)),
            count=Count("pk", filter=Q(status__in=BOOKED)),
        )
        .order_by()
    )
    for row in rows:
        capacity_day = index[row["day"]]
        cell = capacity_day.counters.setdefault(row["counter_id"], CounterDay())
        cell.booked_minutes = _minutes(row["booked"])
        cell.reserved_minutes = _minutes(row["reserved"])
        cell.appointments = row["count"]
        capacity_day.booked_minutes += cell.booked_minutes
        capacity_day.reserved_minutes += cell.reserved_minutes
        capacity_day.appointments += cell.appointments
    return result


@dataclass
class CapacityTotals:
    bookable_minutes: int
    booked_minutes: int
    reserved_minutes: int
    free_minutes: int
    appointments: int

    @property
    def utilisation(self) -> float | None:
        return 100 * self.booked_minutes / self.bookable_minutes if self.bookable_minutes else None


def capacity_totals(days: Sequence[CapacityDay]) -> CapacityTotals:
    return CapacityTotals(
        bookable_minutes=sum(d.bookable_minutes for d in days),
        booked_minutes=sum(d.booked_minutes for d in days),
        reserved_minutes=sum(d.reserved_minutes for d in days),
        free_minutes=sum(d.free_minutes for d in days),
        appointments=sum(d.appointments for d in days),
    )


# --- the week -----------------------------------------------------------------------------------


@dataclass
class WeekDay:
    capacity: CapacityDay
    cells: list[CounterDay]  # in the order of ``WeekPlan.counters``
    appointments: list[Appointment]


@dataclass
class WeekPlan:
    monday: date
    counters: list[Counter]
    days: list[WeekDay]


def week_plan(*, office: AppointmentOffice, monday: date, now: datetime | None = None) -> WeekPlan:
    """Monday to Sunday: per day and counter the booked vs bookable minutes, and the appointments."""
    sunday = monday + timedelta(days=6)
    days = capacity(office=office, start=monday, end=sunday, now=now)
    counters = list(Counter.objects.filter(office=office, active=True).order_by("label", "pk"))
    appointments: dict[date, list[Appointment]] = defaultdict(list)
    for appointment in _appointments_between(
        office, calendar.midnight(monday), calendar.midnight(sunday + timedelta(days=1))
    ).filter(status__in=SHOWN):
        appointments[calendar.local_day(appointment.starts_at)].append(appointment)
    return WeekPlan(
        monday=monday,
        counters=counters,
        days=[
            WeekDay(
                capacity=capacity_day,
                cells=[capacity_day.counters.get(counter.pk, CounterDay()) for counter in counters],
                appointments=appointments.get(capacity_day.day, []),
            )
            for capacity_day in days
        ],
    )


# --- statistics ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) with linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class DailyFigures:
    day: date
    bookings: int = 0
    cancellations: int = 0
    attended: int = 0
    no_show: int = 0
    waits: list[float] = field(default_factory=list)  # minutes from check-in to call-up
    lead_average: float | None = None  # minutes to the next free slot, mean of the day's samples
    lead_samples: int = 0

    @property
    def no_show_rate(self) -> float | None:
        judged = self.attended + self.no_show
        return 100 * self.no_show / judged if judged else None

    @property
    def wait_median(self) -> float | None:
        return percentile(self.waits, 0.5)

    @property
    def wait_p90(self) -> float | None:
        return percentile(self.waits, 0.9)


@dataclass
class Statistics:
    start: date
    end: date
    days: list[DailyFigures]
    lead_median: float | None
    lead_p90: float | None
    lead_latest: LeadTimeSample | None
    lead_none: int  # samples without any free slot in the booking window
    lead_samples: int
    wait_median: float | None
    wait_p90: float | None
    waits: int
    attended: int
    no_show: int
    bookings: int
    cancellations: int
    moves: int
    by_channel: list[tuple[str, int]]
    cancelled_by: list[tuple[str, int]]

    @property
    def no_show_rate(self) -> float | None:
        judged = self.attended + self.no_show
        return 100 * self.no_show / judged if judged else None


def statistics(*, office: AppointmentOffice, start: date, end: date) -> Statistics:
    """The office's figures from ``start`` to ``end`` (inclusive, local days)."""
    since, until = calendar.midnight(start), calendar.midnight(end + timedelta(days=1))
    days = {
        start + timedelta(days=n): DailyFigures(start + timedelta(days=n))
        for n in range((end - start).days + 1)
    }

    # A booking is a confirmed appointment that was not made by moving another one (a move creates
    # a new row and cancels the old one: it is counted as a move, neither booking nor cancellation).
    booked = Appointment.objects.filter(
        office=office,
        created_at__gte=since,
        created_at__lt=until,
        status__in=HAPPENED,
        confirmed_at__isnull=False,
        rescheduled_from__isnull=True,
    )
    for row in (
        booked.annotate(day=TruncDate("created_at", tzinfo=calendar.TZ))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        days[row["day"]].bookings = row["n"]
    by_channel = [
        (row["channel"], row["n"])
        for row in booked.values("channel").annotate(n=Count("pk")).order_by("-n", "channel")
    ]

    ended = Appointment.objects.filter(office=office, cancelled_at__gte=since, cancelled_at__lt=until)
    cancelled = ended.filter(rescheduled_to__isnull=True)
    moves = ended.filter(rescheduled_to__isnull=False).count()
    for row in (
        cancelled.annotate(day=TruncDate("cancelled_at", tzinfo=calendar.TZ))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        days[row["day"]].cancellations = row["n"]
    cancelled_by = [
        (row["cancelled_by"], row["n"])
        for row in cancelled.values("cancelled_by").annotate(n=Count("pk")).order_by("-n", "cancelled_by")
    ]

    outcomes = (
        Appointment.objects.filter(
            office=office,
            starts_at__gte=since,
            starts_at__lt=until,
            status__in=(Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW),
        )
        .annotate(day=TruncDate("starts_at", tzinfo=calendar.TZ))
        .values("day")
        .annotate(
            attended=Count("pk", filter=Q(status=Appointment.Status.ATTENDED)),
            no_show=Count("pk", filter=Q(status=Appointment.Status.NO_SHOW)),
        )
        .order_by()
    )
    for outcome in outcomes:
        days[outcome["day"]].attended = outcome["attended"]
        days[outcome["day"]].no_show = outcome["no_show"]

    wait = ExpressionWrapper(F("called_at") - F("checked_in_at"), output_field=DurationField())
    all_waits: list[float] = []
    for day, waited in (
        QueueTicket.objects.filter(office=office, day__gte=start, day__lte=end, called_at__isnull=False)
        .annotate(wait=wait)
        .values_list("day", "wait")
    ):
        minutes = max(0.0, waited.total_seconds() / 60)
        days[day].waits.append(minutes)
        all_waits.append(minutes)

    samples = LeadTimeSample.objects.filter(office=office, measured_at__gte=since, measured_at__lt=until)
    for row in (
        samples.annotate(day=TruncDate("measured_at", tzinfo=calendar.TZ))
        .values("day")
        .annotate(average=Avg("lead_minutes"), n=Count("pk"))
        .order_by()
    ):
        days[row["day"]].lead_average = row["average"]
        days[row["day"]].lead_samples = row["n"]
    leads = [
        float(v)
        for v in samples.filter(lead_minutes__isnull=False).values_list("lead_minutes", flat=True)
        if v is not None
    ]

    figures = list(days.values())
    return Statistics(
        start=start,
        end=end,
        days=figures,
        lead_median=percentile(leads, 0.5),
        lead_p90=percentile(leads, 0.9),
        lead_latest=samples.order_by("-measured_at").first(),
        lead_none=samples.filter(lead_minutes__isnull=True).count(),
        lead_samples=sum(d.lead_samples for d in figures),
        wait_median=percentile(all_waits, 0.5),
        wait_p90=percentile(all_waits, 0.9),
        waits=len(all_waits),
        attended=sum(d.attended for d in figures),
        no_show=sum(d.no_show for d in figures),
        bookings=sum(d.bookings for d in figures),
        cancellations=sum(d.cancellations for d in figures),
        moves=moves,
        by_channel=by_channel,
        cancelled_by=cancelled_by,
    )


# --- lead-time samples (written by the worker's sweep) -------------------------------------------


def lead_time_sample(*, now: datetime | None = None) -> int:
    """Record for every enabled office how far ahead its earliest free slot is; returns the count.

    The earliest slot of an office is the earliest over its online services, each asked alone
    (the shortest wait a citizen with any one of them would see). Called hourly by the worker.
    """
    now = now or timezone.now()
    offices = slots.load_many(slots.bookable_offices())
    keys = {s.service.leika_key for office in offices for s in office.services.all() if s.bookable_online}
    earliest: dict[int, datetime] = {}
    for key in sorted(keys):  # one calculation per service across all offices, not per office
        for offer in slots.earliest_free(offices, [(key, 1)], limit=len(offices), now=now):
            known = earliest.get(offer.office.pk)
            earliest[offer.office.pk] = offer.starts_at if known is None else min(known, offer.starts_at)
    samples = [
        LeadTimeSample(
            office=office,
            measured_at=now,
            lead_minutes=math.ceil((earliest[office.pk] - now).total_seconds() / 60)
            if office.pk in earliest
            else None,
        )
        for office in offices
    ]
    LeadTimeSample.objects.bulk_create(samples)
    return len(samples)
