"""The free-slot engine.

A day of a counter is a bitmap of grid units counted from local midnight (``DayGrid``): a bit is
set where the counter is open (opening hours minus breaks, closures and public holidays) and, in a
second bitmap, where an appointment still blocks it. A request of ``n`` units fits at unit ``i``
when the ``n`` bits from ``i`` are all free, so the starts of a day are
``free & free >> 1 & … & free >> (n - 1)`` — a few integer operations per counter and day, which
keeps a 60-day window of an office well under a millisecond of arithmetic. The instants of the
units come from the real local midnight, so the 23- and 25-hour days are exact.

Everything an office's calendar needs is loaded in a handful of queries (``load``), also for many
offices at once ("earliest free anywhere").
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import BigIntegerField, Func, Prefetch, Q, QuerySet
from django.utils import timezone

from amtsweg.tenancy.models import Alliance, Authority, OpeningHours

from . import calendar
from .models import Appointment, AppointmentOffice, Break, Counter, OfficeService
from .problems import BookingError

MAX_DISTINCT_SERVICES = 5
# "Earliest free anywhere" looks this far ahead first and widens only where nothing was found.
_FIRST_LOOK_DAYS = 14


@dataclass(frozen=True)
class DayGrid:
    """One counter on one day: ``open`` and ``taken`` bitmaps over ``units`` grid units."""

    day: date
    origin: datetime
    unit: timedelta
    units: int
    open: int
    taken: int

    @property
    def free(self) -> int:
        return self.open & ~self.taken

    def at(self, index: int) -> datetime:
        return self.origin + index * self.unit

    def index(self, moment: datetime) -> int:
        return (moment - self.origin) // self.unit


@dataclass(frozen=True)
class DaySlots:
    day: date
    starts: list[datetime]


@dataclass(frozen=True)
class Offer:
    office: AppointmentOffice
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Request:
    """The services of one appointment, with quantities, and how it takes place."""

    office_services: tuple[tuple[OfficeService, int], ...]
    mode: str = Appointment.Mode.IN_PERSON

    @property
    def duration_minutes(self) -> int:
        return sum(service.duration_minutes * quantity for service, quantity in self.office_services)

    def units(self, grid_minutes: int) -> int:
        return -(-self.duration_minutes // grid_minutes)  # ceil

    @property
    def service_ids(self) -> frozenset[int]:
        return frozenset(service.pk for service, _quantity in self.office_services)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class _Plan:
    """An office's calendar configuration, with its opening bitmaps computed once per counter and day."""

    office: AppointmentOffice
    hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)
    closures: list[tuple[int | None, int, int]] = field(default_factory=list)
    counters: list[Counter] = field(default_factory=list)
    counter_services: dict[int, frozenset[int]] = field(default_factory=dict)
    _open: dict[tuple[int, date], int] = field(default_factory=dict)

    @property
    def unit(self) -> timedelta:
        return timedelta(minutes=self.office.grid_minutes)

    @property
    def unit_seconds(self) -> int:
        return self.office.grid_minutes * 60

    def open_bitmap(self, counter: Counter, day: date, origin: int, units: int) -> int:
        key = (counter.pk, day)
        bitmap = self._open.get(key)
        if bitmap is None:
            bitmap = self._open[key] = self._compute_open(counter, day, origin, units)
        return bitmap

    def _compute_open(self, counter: Counter, day: date, origin: int, units: int) -> int:
        if calendar.is_holiday(day):
            return 0
        unit = self.unit_seconds
        bitmap = 0
        for opens, closes in self.hours.get(day.weekday(), ()):
            start = -((origin - _epoch(calendar.instant(day, opens))) // unit)
            end = (_epoch(calendar.instant(day, closes)) - origin) // unit
            bitmap |= _mask(start, end, units)
        if not bitmap:
            return 0
        for pause in self.breaks:
            if pause.counter_id not in (None, counter.pk) or pause.weekday not in (None, day.weekday()):
                continue
            start = (_epoch(calendar.instant(day, pause.starts)) - origin) // unit
            end = -((origin - _epoch(calendar.instant(day, pause.ends))) // unit)
            bitmap &= ~_mask(start, end, units)
        day_end = origin + units * unit
        for counter_id, starts, ends in self.closures:
            if counter_id not in (None, counter.pk) or ends <= origin or starts >= day_end:
                continue
            bitmap &= ~_mask((starts - origin) // unit, -((origin - ends) // unit), units)
        return bitmap


def _offices_queryset(queryset: QuerySet[AppointmentOffice]) -> QuerySet[AppointmentOffice]:
    return queryset.select_related("office__authority").prefetch_related(
        Prefetch("office__opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        "breaks",
        "closures",
        Prefetch("counters", queryset=Counter.objects.filter(active=True).prefetch_related("services")),
        Prefetch("services", queryset=OfficeService.objects.select_related("service")),
    )


def _build_plan(office: AppointmentOffice) -> _Plan:
    plan = _Plan(office=office)
    for period in office.office.opening_hours.all():
        plan.hours.setdefault(period.weekday, []).append((period.opens, period.closes))
    plan.breaks = list(office.breaks.all())
    plan.closures = [(c.counter_id, _epoch(c.starts_at), _epoch(c.ends_at)) for c in office.closures.all()]
    plan.counters = list(office.counters.all())
    plan.counter_services = {c.pk: frozenset(s.pk for s in c.services.all()) for c in plan.counters}
    return plan


# Per process: office id → (revision, office with its configuration prefetched, plan). The revision
# changes with any configuration change (``signals``), so a stale entry is never used.
_CACHE: dict[int, tuple[str, AppointmentOffice, _Plan]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256


def _remember(office: AppointmentOffice) -> AppointmentOffice:
    plan = _build_plan(office)
    office._slot_plan = plan  # type: ignore[attr-defined]
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[office.pk] = (office.revision, office, plan)
    return office


def load(office: AppointmentOffice | int) -> AppointmentOffice:
    """The office with its calendar configuration (cached per process, checked by revision).

    The returned instance is shared: read it, never change and save it.
    """
    pk = office if isinstance(office, int) else office.pk
    revision = AppointmentOffice.objects.filter(pk=pk).values_list("revision", flat=True).first()
    if revision is None:
        raise AppointmentOffice.DoesNotExist(f"no appointment office {pk}")
    cached = _CACHE.get(pk)
    if cached is not None and cached[0] == revision:
        return cached[1]
    return _remember(_offices_queryset(AppointmentOffice.objects.filter(pk=pk)).get())


def load_many(offices: QuerySet[AppointmentOffice] | Iterable[AppointmentOffice]) -> list[AppointmentOffice]:
    """Like :func:`load` for many offices: one query for the revisions, one load for the stale ones."""
    if isinstance(offices, QuerySet):
        pairs = list(offices.values_list("pk", "revision"))
    else:
        wanted = [office.pk for office in offices]
        revisions = dict(AppointmentOffice.objects.filter(pk__in=wanted).values_list("pk", "revision"))
        pairs = [(pk, revisions[pk]) for pk in wanted if pk in revisions]
    stale = [pk for pk, revision in pairs if (_CACHE.get(pk) or ("",))[0] != revision]
    if stale:
        for office in _offices_queryset(AppointmentOffice.objects.filter(pk__in=stale)):
            _remember(office)
    return [_CACHE[pk][1] for pk, _revision in pairs if pk in _CACHE]


def _plan(office: AppointmentOffice) -> _Plan:
    plan = getattr(office, "_slot_plan", None)
    if plan is None:
        plan = _build_plan(office)
        office._slot_plan = plan  # type: ignore[attr-defined]
    return plan


def _mask(start: int, end: int, units: int) -> int:
    start, end = max(start, 0), min(end, units)
    return ((1 << (end - start)) - 1) << start if end > start else 0


class _EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, computed by the database (no per-row conversion)."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() rather than strftime('%s'): no percent sign to collide with parameter markers.
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)", **extra
        )


def _blocking(
    offices: Sequence[AppointmentOffice], start: datetime, end: datetime, now: datetime
) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        Q(released_at__isnull=True) | Q(released_at__gt=now),
        office__in=[office.pk for office in offices],
        starts_at__lt=end,
        ends_at__gt=start,
    )


Taken = dict[int, list[tuple[int, int]]]


def _taken(offices: Sequence[AppointmentOffice], start: datetime, end: datetime, now: datetime) -> Taken:
    """Per counter, the intervals (epoch seconds) that appointments still block."""
    taken: Taken = defaultdict(list)
    rows = (
        _blocking(offices, start, end, now)
        .annotate(_s=_EpochSeconds("starts_at"), _e=_EpochSeconds("ends_at"))
        .values_list("counter_id", "_s", "_e")
    )
    for counter_id, starts, ends in rows:
        taken[counter_id].append((starts, ends))
    return taken


def _frames(plan: _Plan, first: date, days: int) -> list[tuple[date, datetime, int, int]]:
    unit = plan.unit_seconds
    frames = []
    following = calendar.midnight(first)
    for offset in range(days):
        day = first + timedelta(days=offset)
        origin = following
        following = calendar.midnight(day + timedelta(days=1))
        frames.append((day, origin, _epoch(origin), (_epoch(following) - _epoch(origin)) // unit))
    return frames


def _grids(
    plan: _Plan, first: date, days: int, taken: Taken, counters: Iterable[Counter] | None = None
) -> dict[int, list[DayGrid]]:
    unit = plan.unit_seconds
    unit_delta = plan.unit
    frames = _frames(plan, first, days)
    result: dict[int, list[DayGrid]] = {}
    for counter in plan.counters if counters is None else counters:
        intervals = sorted(taken.get(counter.pk, ()))
        grids = []
        position = 0
        for day, origin_dt, origin, units in frames:
            day_end = origin + units * unit
            busy = 0
            while position < len(intervals) and intervals[position][1] <= origin:
                position += 1
            scan = position
            while scan < len(intervals) and intervals[scan][0] < day_end:
                starts, ends = intervals[scan]
                busy |= _mask((starts - origin) // unit, -((origin - ends) // unit), units)
                scan += 1
            grids.append(
                DayGrid(
                    day, origin_dt, unit_delta, units, plan.open_bitmap(counter, day, origin, units), busy
                )
            )
        result[counter.pk] = grids
    return result


def grids(
    office: AppointmentOffice, start: date, days: int, *, now: datetime | None = None
) -> dict[int, list[DayGrid]]:
    """Per active counter id, the grid of each day from ``start`` for ``days`` days."""
    now = now or timezone.now()
    office = load(office)
    plan = _plan(office)
    window_start = calendar.midnight(start)
    window_end = calendar.midnight(start + timedelta(days=days))
    return _grids(plan, start, days, _taken([office], window_start, window_end, now))


def resolve_services(
    office: AppointmentOffice,
    items: Sequence[tuple[int | str, int]],
    *,
    mode: str = Appointment.Mode.IN_PERSON,
) -> Request:
    """The office's services for ``items`` (OfficeService id or LeiKa key, quantity), checked."""
    by_id = {service.pk: service for service in office.services.all()}
    by_key = {service.service.leika_key: service for service in by_id.values()}
    quantities: dict[int, int] = defaultdict(int)
    if not items:
        raise BookingError(
            "Bitte wählen Sie mindestens eine Leistung.",
            "Please choose at least one service.",
            code="service-missing",
        )
    for key, quantity in items:
        service = by_id.get(key) if isinstance(key, int) else by_key.get(str(key))
        if service is None and isinstance(key, str) and key.isdigit() and len(key) < 14:
            service = by_id.get(int(key))
        if service is None or not service.bookable_online:
            raise BookingError(
                "Diese Leistung kann hier nicht online gebucht werden.",
                "This service cannot be booked online here.",
                code="service-unknown",
                extra={"service": str(key)},
            )
        quantities[service.pk] += quantity
    if len(quantities) > MAX_DISTINCT_SERVICES:
        raise BookingError(
            f"Höchstens {MAX_DISTINCT_SERVICES} verschiedene Leistungen in einem Termin.",
            f"At most {MAX_DISTINCT_SERVICES} different services in one appointment.",
            code="service-too-many",
        )
    chosen = []
    for pk, quantity in quantities.items():
        service = by_id[pk]
        if not 1 <= quantity <= service.max_quantity:
            raise BookingError(
                f"„{service.service.name}“: Anzahl 1 bis {service.max_quantity}.",
                f"“{service.service.name}”: quantity 1 to {service.max_quantity}.",
                code="quantity-invalid",
            )
        chosen.append((service, quantity))
    request = Request(tuple(chosen), mode)
    if mode == Appointment.Mode.VIDEO and not (office.video_enabled and all(s.video for s, _q in chosen)):
        raise BookingError(
            "Diese Leistungen sind hier nicht als Videotermin möglich.",
            "These services are not available as a video appointment here.",
            code="video-unavailable",
        )
    if not _capable(_plan(office), request):
        raise BookingError(
            "Kein Schalter dieser Dienststelle bietet alle gewählten Leistungen zusammen an.",
            "No counter of this office offers all the chosen services together.",
            code="no-counter",
        )
    return request


def _capable(plan: _Plan, request: Request) -> list[Counter]:
    wanted = request.service_ids
    video = request.mode == Appointment.Mode.VIDEO
    return [
        counter
        for counter in plan.counters
        if (counter.video if video else counter.in_person)
        and (not plan.counter_services[counter.pk] or wanted <= plan.counter_services[counter.pk])
    ]


def window(office: AppointmentOffice, now: datetime) -> tuple[datetime, datetime, date]:
    """The booking window: earliest start, end (exclusive) and its first day."""
    today = calendar.local_day(now)
    first_day = today + timedelta(days=office.book_from_days)
    earliest = max(now, calendar.midnight(first_day))
    end = calendar.midnight(today + timedelta(days=office.book_until_days + 1))
    return earliest, end, calendar.local_day(earliest)


def _day_starts(
    grids_by_counter: Sequence[list[DayGrid]], index: int, units: int, earliest: datetime
) -> list[datetime]:
    starts_bitmap = 0
    grid = grids_by_counter[0][index]
    for counter_grids in grids_by_counter:
        free = counter_grids[index].free
        fits = free
        for shift in range(1, units):
            fits &= free >> shift
            if not fits:
                break
        starts_bitmap |= fits
    if not starts_bitmap:
        return []
    first = grid.index(earliest) if earliest > grid.origin else 0
    if first > 0:
        starts_bitmap &= ~((1 << first) - 1)
        if earliest > grid.at(first):
            starts_bitmap &= ~(1 << first)
    starts = []
    while starts_bitmap:
        low = starts_bitmap & -starts_bitmap
        starts.append(grid.at(low.bit_length() - 1))
        starts_bitmap ^= low
    return starts


def _free(
    plan: _Plan,
    request: Request,
    first: date,
    days: int,
    earliest: datetime,
    end: datetime,
    taken: Taken,
    *,
    limit: int | None = None,
) -> list[DaySlots]:
    counters = _capable(plan, request)
    if not counters or days <= 0:
        return []
    units = request.units(plan.office.grid_minutes)
    by_counter = list(_grids(plan, first, days, taken, counters).values())
    result: list[DaySlots] = []
    found = 0
    for index in range(days):
        starts = [s for s in _day_starts(by_counter, index, units, earliest) if s < end]
        if starts:
            result.append(DaySlots(by_counter[0][index].day, starts))
            found += len(starts)
            if limit is not None and found >= limit:
                break
    return result


def free_slots(
    office: AppointmentOffice,
    items: Sequence[tuple[int | str, int]] | Request,
    *,
    mode: str = Appointment.Mode.IN_PERSON,
    start: date | None = None,
    days: int | None = None,
    now: datetime | None = None,
) -> list[DaySlots]:
    """The free starts for the request at ``office``, per day, within the booking window."""
    now = now or timezone.now()
    office = load(office)
    request = items if isinstance(items, Request) else resolve_services(office, items, mode=mode)
    earliest, end, first = window(office, now)
    if start is not None and start > first:
        earliest, first = max(earliest, calendar.midnight(start)), start
    last = calendar.local_day(end - timedelta(seconds=1))
    if days is not None:
        last = min(last, first + timedelta(days=days - 1))
        end = min(end, calendar.midnight(last + timedelta(days=1)))
    count = (last - first).days + 1
    plan = _plan(office)
    taken = _taken([office], calendar.midnight(first), end, now)
    return _free(plan, request, first, count, earliest, end, taken)


def next_free(
    office: AppointmentOffice,
    request: Request,
    *,
    after: datetime,
    limit: int = 5,
    now: datetime | None = None,
) -> list[datetime]:
    """Up to ``limit`` free starts after ``after`` (the alternatives offered when a time was taken)."""
    now = now or timezone.now()
    earliest, end, _first = window(office, now)
    earliest = max(earliest, after)
    first = calendar.local_day(earliest)
    days = (calendar.local_day(end - timedelta(seconds=1)) - first).days + 1
    plan = _plan(office)
    taken = _taken([office], calendar.midnight(first), end, now)
    starts: list[datetime] = []
    for day in _free(plan, request, first, days, earliest, end, taken, limit=limit):
        starts.extend(day.starts)
    return starts[:limit]


def bookable_offices(
    *, authority: Authority | None = None, alliance: Alliance | None = None
) -> QuerySet[AppointmentOffice]:
    """Offices that give appointments online, with their calendar data prefetched."""
    queryset = AppointmentOffice.objects.filter(enabled=True, office__authority__is_active=True)
    if authority is not None:
        queryset = queryset.filter(office__authority=authority)
    if alliance is not None:
        queryset = queryset.filter(office__authority__alliance=alliance)
    return _offices_queryset(queryset.order_by("office__authority__name", "office__name"))


def earliest_free(
    offices: Iterable[AppointmentOffice],
    service_keys: Sequence[tuple[str, int]],
    *,
    mode: str = Appointment.Mode.IN_PERSON,
    limit: int = 10,
    now: datetime | None = None,
) -> list[Offer]:
    """The earliest free slot of each office that offers all ``service_keys``, earliest first."""
    now = now or timezone.now()
    candidates: list[tuple[_Plan, Request]] = []
    for office in load_many(offices):
        try:
            request = resolve_services(office, list(service_keys), mode=mode)
        except BookingError:
            continue
        candidates.append((_plan(office), request))
    offers: list[Offer] = []
    horizon = _FIRST_LOOK_DAYS
    pending = candidates
    searched_until: dict[int, date] = {}
    while pending:
        windows = {plan.office.pk: window(plan.office, now) for plan, _request in pending}
        start = min(calendar.midnight(w[2]) for w in windows.values())
        end = max(min(w[1], calendar.midnight(w[2] + timedelta(days=horizon))) for w in windows.values())
        taken = _taken([plan.office for plan, _r in pending], start, end, now)
        still: list[tuple[_Plan, Request]] = []
        for plan, request in pending:
            earliest, office_end, first = windows[plan.office.pk]
            first = max(first, searched_until.get(plan.office.pk, first))
            last = min(
                calendar.local_day(office_end - timedelta(seconds=1)),
                calendar.local_day(end - timedelta(seconds=1)),
            )
            days = (last - first).days + 1
            found = _free(plan, request, first, days, earliest, min(end, office_end), taken, limit=1)
            if found:
                starts_at = found[0].starts[0]
                offers.append(
                    Offer(plan.office, starts_at, starts_at + timedelta(minutes=request.duration_minutes))
                )
            elif last < calendar.local_day(office_end - timedelta(seconds=1)):
                searched_until[plan.office.pk] = last + timedelta(days=1)
                still.append((plan, request))
        pending = still
        horizon *= 4
    offers.sort(key=lambda offer: (offer.starts_at, offer.office.office.authority.name))
    return offers[:limit]
