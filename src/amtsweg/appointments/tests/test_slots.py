"""The free-slot engine: opening hours, breaks, closures, holidays, DST days, several services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from amtsweg.appointments import calendar, slots
from amtsweg.appointments.models import Break, Closure, Counter
from amtsweg.appointments.problems import BookingError
from amtsweg.appointments.tests.factories import PERSONALAUSWEIS, REISEPASS, appointment_office, book
from amtsweg.testing import World

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 10:00 in Neuss: "now" of most tests.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=calendar.TZ)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=calendar.TZ)


def local_times(day_slots: slots.DaySlots) -> list[str]:
    return [f"{calendar.local(s):%H:%M}" for s in day_slots.starts]


def neuss_office(world: World, **kwargs: object) -> object:
    return appointment_office(world.neuss.offices.get(), **kwargs)  # type: ignore[arg-type]


def test_opening_hours_give_starts_on_the_grid(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-10:00")
    result = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], days=1, now=NOW)  # type: ignore[arg-type]
    assert result[0].day == date(2026, 3, 3)  # from tomorrow
    # 30 minutes in a 2-hour window on a 10-minute grid: 08:00 … 09:30.
    assert local_times(result[0]) == [f"{h:02d}:{m:02d}" for h in (8, 9) for m in range(0, 60, 10)][:10]


def test_several_services_add_up(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-09:00")
    result = slots.free_slots(office, [(PERSONALAUSWEIS, 1), (REISEPASS, 1)], days=1, now=NOW)  # type: ignore[arg-type]
    assert local_times(result[0]) == ["08:00", "08:10"]  # 50 minutes
    two = slots.free_slots(office, [(PERSONALAUSWEIS, 2)], days=1, now=NOW)  # type: ignore[arg-type]
    assert local_times(two[0]) == ["08:00"]  # 60 minutes
    with pytest.raises(BookingError) as error:
        slots.free_slots(office, [(PERSONALAUSWEIS, 5)], days=1, now=NOW)  # type: ignore[arg-type]
    assert error.value.code == "quantity-invalid"
    with pytest.raises(BookingError) as error:
        slots.free_slots(office, [("99999999999999", 1)], days=1, now=NOW)  # type: ignore[arg-type]
    assert error.value.code == "service-unknown"


def test_breaks_closures_and_bookings_take_time_out(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-12:00")
    tuesday = date(2026, 3, 3)
    Break.objects.create(office=office, starts=time(9, 0), ends=time(10, 0))  # type: ignore[misc]
    Closure.objects.create(office=office, starts_at=at(tuesday, 11), ends_at=at(tuesday, 12))  # type: ignore[misc]
    book(office, at(tuesday, 8), now=NOW)  # type: ignore[arg-type]
    result = slots.free_slots(office, [(REISEPASS, 1)], days=1, now=NOW)  # type: ignore[arg-type]
    # 08:00–08:30 booked (30 min Personalausweis), break 9–10, closure 11–12; Reisepass takes 20 min.
    assert local_times(result[0]) == ["08:30", "08:40", "10:00", "10:10", "10:20", "10:30", "10:40"]


def test_counter_breaks_only_that_counter(world: World) -> None:
    office = neuss_office(world, counters=2, hours="Mo-Fr 08:00-09:00")
    counter = Counter.objects.get(office=office, label="2")  # type: ignore[misc]
    Break.objects.create(office=office, counter=counter, starts=time(8), ends=time(9))  # type: ignore[misc]
    book(office, at(date(2026, 3, 3), 8), now=NOW)  # type: ignore[arg-type]
    result = slots.free_slots(office, [(REISEPASS, 1)], days=1, now=NOW)  # type: ignore[arg-type]
    assert local_times(result[0]) == ["08:30", "08:40"]


def test_nrw_public_holidays_are_closed(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-09:00")
    # Fronleichnam (Corpus Christi) is a holiday in NRW but not everywhere: Thursday 4 June 2026.
    now = datetime(2026, 6, 1, 10, tzinfo=calendar.TZ)
    days = [d.day for d in slots.free_slots(office, [(REISEPASS, 1)], days=5, now=now)]  # type: ignore[arg-type]
    assert date(2026, 6, 4) not in days
    assert days == [date(2026, 6, 2), date(2026, 6, 3), date(2026, 6, 5)]
    assert calendar.is_holiday(date(2026, 6, 4)) == "Fronleichnam"
    assert calendar.is_holiday(date(2026, 11, 1)) == "Allerheiligen"
    assert calendar.is_holiday(date(2026, 11, 18)) is None  # Buß- und Bettag: only Saxony


def test_spring_forward_day_has_an_hour_less(world: World) -> None:
    # A (rare) Sunday night service 01:00–04:00: on 29 March 2026 02:00–03:00 does not exist.
    office = neuss_office(world, counters=1, hours="So 01:00-04:00", grid=30)
    now = datetime(2026, 3, 27, 12, tzinfo=calendar.TZ)
    (day,) = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], days=3, now=now)  # type: ignore[arg-type]
    assert day.day == date(2026, 3, 29)
    assert local_times(day) == ["01:00", "01:30", "03:00", "03:30"]  # two real hours
    assert [f"{s:%H:%M}" for s in day.starts] == ["00:00", "00:30", "01:00", "01:30"]  # UTC
    assert calendar.day_length(date(2026, 3, 29)) == timedelta(hours=23)


def test_fall_back_day_has_an_hour_more(world: World) -> None:
    office = neuss_office(world, counters=1, hours="So 01:00-04:00", grid=30)
    now = datetime(2026, 10, 23, 12, tzinfo=calendar.TZ)
    (day,) = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], days=3, now=now)  # type: ignore[arg-type]
    assert day.day == date(2026, 10, 25)
    # Four real hours: 02:00–03:00 happens twice (CEST, then CET).
    assert len(day.starts) == 8
    assert [f"{calendar.local(s):%H:%M%z}" for s in day.starts] == [
        "01:00+0200", "01:30+0200", "02:00+0200", "02:30+0200",
        "02:00+0100", "02:30+0100", "03:00+0100", "03:30+0100",
    ]  # fmt: skip
    assert calendar.day_length(date(2026, 10, 25)) == timedelta(hours=25)


def test_weekdays_around_the_clock_change_keep_local_hours(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-08:30")
    now = datetime(2026, 3, 26, 12, tzinfo=calendar.TZ)
    result = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], days=4, now=now)  # type: ignore[arg-type]
    assert [(d.day, local_times(d)) for d in result] == [
        (date(2026, 3, 27), ["08:00"]),
        (date(2026, 3, 30), ["08:00"]),
    ]
    assert f"{result[0].starts[0]:%H:%M}" == "07:00"  # CET
    assert f"{result[1].starts[0]:%H:%M}" == "06:00"  # CEST


def test_window_is_from_tomorrow_to_60_days(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-So 08:00-08:30")
    result = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], now=NOW)  # type: ignore[arg-type]
    assert result[0].day == date(2026, 3, 3)
    assert date(2026, 3, 2) + timedelta(days=60) == date(2026, 5, 1)  # the last day, a holiday
    assert result[-1].day == date(2026, 4, 30)
    holidays_in_window = 3  # Karfreitag, Ostermontag, 1. Mai
    assert len(result) == 60 - holidays_in_window


def test_video_needs_a_video_counter(world: World) -> None:
    office = neuss_office(world, counters=2, hours="Mo-Fr 08:00-09:00")
    result = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], mode="video", days=1, now=NOW)  # type: ignore[arg-type]
    assert local_times(result[0]) == ["08:00", "08:10", "08:20", "08:30"]
    for counter in Counter.objects.filter(office=office):  # type: ignore[misc]
        counter.video = False
        counter.save()  # the cached calendar of the office is renewed (signals)
    with pytest.raises(BookingError) as error:
        slots.free_slots(office, [(PERSONALAUSWEIS, 1)], mode="video", days=1, now=NOW)  # type: ignore[arg-type]
    assert error.value.code == "no-counter"


def test_earliest_free_anywhere(world: World) -> None:
    neuss = neuss_office(world, counters=1, hours="Mo-Fr 08:00-08:30")
    dormagen = appointment_office(world.dormagen.offices.get(), counters=1, hours="Mo-Fr 09:00-09:30")
    tuesday = date(2026, 3, 3)
    book(neuss, at(tuesday, 8), now=NOW)  # type: ignore[arg-type]
    offers = slots.earliest_free(
        slots.bookable_offices(alliance=world.alliance), [(PERSONALAUSWEIS, 1)], now=NOW
    )
    assert [(o.office.pk, calendar.local(o.starts_at)) for o in offers] == [
        (dormagen.pk, at(tuesday, 9)),
        (neuss.pk, at(tuesday + timedelta(days=1), 8)),  # type: ignore[attr-defined]
    ]
    assert offers[0].ends_at - offers[0].starts_at == timedelta(minutes=30)


def test_earliest_free_looks_beyond_the_first_fortnight(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-08:30")
    Closure.objects.create(office=office, starts_at=NOW, ends_at=NOW + timedelta(days=30))  # type: ignore[misc]
    (offer,) = slots.earliest_free(slots.bookable_offices(), [(PERSONALAUSWEIS, 1)], now=NOW)
    assert calendar.local(offer.starts_at) == at(date(2026, 4, 2), 8)  # closed until 1 April 10:00


def test_configuration_changes_reach_the_cached_calendar(world: World) -> None:
    office = neuss_office(world, counters=1, hours="Mo-Fr 08:00-09:00")
    tuesday = date(2026, 3, 3)
    assert len(slots.free_slots(office, [(REISEPASS, 1)], days=1, now=NOW)[0].starts) == 5  # type: ignore[arg-type]
    pause = Break.objects.create(office=office, starts=time(8), ends=time(8, 30))  # type: ignore[misc]
    assert local_times(slots.free_slots(office, [(REISEPASS, 1)], days=1, now=NOW)[0]) == ["08:30", "08:40"]  # type: ignore[arg-type]
    pause.delete()
    hours = world.neuss.offices.get().opening_hours.get(weekday=1)
    hours.closes = time(8, 30)
    hours.save()
    assert local_times(slots.free_slots(office, [(REISEPASS, 1)], days=1, now=NOW)[0]) == ["08:00", "08:10"]  # type: ignore[arg-type]
    Closure.objects.create(office=office, starts_at=at(tuesday, 0), ends_at=at(tuesday, 23))  # type: ignore[misc]
    assert slots.free_slots(office, [(REISEPASS, 1)], days=1, now=NOW) == []  # type: ignore[arg-type]
