"""Capacity and statistics computed against hand-computed values: breaks, closures, holidays, DST
days, utilisation, waiting-time percentiles, no-show rate, channels, lead-time samples."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from amtsweg.appointments import calendar, stats
from amtsweg.appointments.models import (
    Appointment,
    AppointmentOffice,
    Break,
    Closure,
    LeadTimeSample,
    QueueTicket,
)
from amtsweg.appointments.tests.factories import appointment_office, book
from amtsweg.testing import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=calendar.TZ)  # a Monday
TUESDAY = date(2026, 3, 3)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=calendar.TZ)


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    config = appointment_office(world.neuss.offices.get(), counters=2, hours="Mo-Fr 08:00-12:00")
    Break.objects.create(office=config, starts=time(10), ends=time(10, 30))  # every day, all counters
    return config


def test_capacity_per_day_by_hand(office: AppointmentOffice) -> None:
    first = office.counters.get(label="1")
    Closure.objects.create(office=office, counter=first, starts_at=at(TUESDAY, 11), ends_at=at(TUESDAY, 12))
    book(office, at(TUESDAY, 8), now=NOW)  # Personalausweis, 30 minutes
    book(office, at(TUESDAY, 9), email="erika@example.org", now=NOW, confirm=False)  # a pending hold

    days = stats.capacity(office=office, start=TUESDAY, end=date(2026, 3, 8), now=NOW)
    tuesday = days[0]
    # 2 counters × 4 h − 30 min break each − 60 min closure of counter 1 = 480 − 60 − 60 = 360
    assert tuesday.bookable_minutes == 360
    assert tuesday.booked_minutes == 30
    assert tuesday.reserved_minutes == 30
    assert tuesday.free_minutes == 300
    assert tuesday.appointments == 1
    assert tuesday.utilisation == pytest.approx(100 * 30 / 360)
    wednesday = days[1]
    assert (wednesday.bookable_minutes, wednesday.booked_minutes, wednesday.free_minutes) == (420, 0, 420)
    assert [d.bookable_minutes for d in days[4:]] == [0, 0]  # weekend
    assert days[5].utilisation is None
    totals = stats.capacity_totals(days)
    assert totals.bookable_minutes == 360 + 3 * 420
    assert totals.booked_minutes == 30


def test_a_holiday_has_no_capacity(office: AppointmentOffice) -> None:
    good_friday = date(2026, 4, 3)
    [day] = stats.capacity(office=office, start=good_friday, end=good_friday, now=NOW)
    assert day.holiday == "Karfreitag"
    assert day.bookable_minutes == 0


@pytest.mark.parametrize(("sunday", "minutes"), [(date(2026, 3, 29), 120), (date(2026, 10, 25), 240)])
def test_dst_sundays_count_real_minutes(world: World, sunday: date, minutes: int) -> None:
    # 01:00–04:00 wall-clock is 2 real hours when the clocks jump forward, 4 when they fall back.
    config = appointment_office(world.neuss.offices.get(), counters=1, hours="So 01:00-04:00")
    [day] = stats.capacity(office=config, start=sunday, end=sunday, now=NOW)
    assert day.bookable_minutes == minutes
    assert day.free_minutes == minutes


def test_day_plan_marks_appointments_breaks_and_closures(office: AppointmentOffice) -> None:
    first, second = office.counters.order_by("label")
    Closure.objects.create(
        office=office, counter=second, starts_at=at(TUESDAY, 11), ends_at=at(TUESDAY, 12), reason="Schulung"
    )
    appointment, _token = book(office, at(TUESDAY, 8, 10), now=NOW)
    plan = stats.day_plan(office=office, day=TUESDAY, now=NOW)
    assert [r.at.strftime("%H:%M") for r in plan.rows][:2] == ["08:00", "08:10"]
    assert len(plan.rows) == 24  # 08:00–12:00 in 10-minute rows
    column = plan.counters.index(appointment.counter)
    cell = plan.rows[1].cells[column]
    assert cell is not None and cell.kind == "appointment" and cell.appointment == appointment
    assert cell.rowspan == 3
    assert plan.rows[2].cells[column] is None and plan.rows[3].cells[column] is None
    assert plan.rows[4].cells[column].kind == "free"  # type: ignore[union-attr]
    break_row = plan.rows[12]  # 10:00
    assert break_row.at.strftime("%H:%M") == "10:00"
    assert {c.kind for c in break_row.cells if c} == {"break"}
    closed = plan.rows[18].cells[plan.counters.index(second)]  # 11:00, counter 2
    assert closed is not None and (closed.kind, closed.label) == ("closure", "Schulung")
    assert plan.rows[18].cells[plan.counters.index(first)].kind == "free"  # type: ignore[union-attr]


def test_day_plan_of_a_holiday_is_empty_with_its_name(office: AppointmentOffice) -> None:
    plan = stats.day_plan(office=office, day=date(2026, 12, 25), now=NOW)
    assert plan.holiday == "Erster Weihnachtstag"
    assert plan.rows == []


def test_percentile_interpolates_between_ranks() -> None:
    assert stats.percentile([], 0.5) is None
    assert stats.percentile([7], 0.9) == 7
    assert stats.percentile([10, 2, 8, 4, 6], 0.5) == 6
    assert stats.percentile([10, 2, 8, 4, 6], 0.9) == pytest.approx(9.2)  # 8 + 0.6 × 2
    assert stats.percentile([1, 2, 3, 4], 0.5) == 2.5


def _ticket(office: AppointmentOffice, number: str, day: date, wait: int | None) -> QueueTicket:
    checked_in = at(day, 9)
    return QueueTicket.objects.create(
        office=office,
        day=day,
        number=number,
        checked_in_at=checked_in,
        called_at=checked_in + timedelta(minutes=wait) if wait is not None else None,
        status=QueueTicket.Status.DONE if wait is not None else QueueTicket.Status.WAITING,
    )


def test_statistics_by_hand(office: AppointmentOffice) -> None:
    monday = date(2026, 3, 2)
    for n, wait in enumerate([2, 4, 6, 8, 10, None]):
        _ticket(office, f"A{n:03d}", TUESDAY, wait)
    _ticket(office, "W001", monday, 30)
    _ticket(office, "W002", date(2026, 2, 27), 99)  # outside the period

    made = [
        book(office, at(TUESDAY, 8 + n // 2, 30 * (n % 2)), email=f"p{n}@example.org", now=NOW)[0]
        for n in range(4)
    ]
    Appointment.objects.filter(pk__in=[a.pk for a in made[:3]]).update(status=Appointment.Status.ATTENDED)
    Appointment.objects.filter(pk=made[3].pk).update(status=Appointment.Status.NO_SHOW, channel="api")
    Appointment.objects.filter(pk__in=[a.pk for a in made]).update(created_at=at(monday, 11))
    cancelled, _token = book(office, at(TUESDAY, 11), email="c@example.org", now=NOW)
    Appointment.objects.filter(pk=cancelled.pk).update(
        status=Appointment.Status.CANCELLED,
        cancelled_at=at(monday, 12),
        cancelled_by="citizen",
        created_at=at(monday, 11),
    )
    unconfirmed, _token = book(office, at(TUESDAY, 11, 30), email="u@example.org", now=NOW, confirm=False)
    Appointment.objects.filter(pk=unconfirmed.pk).update(
        status=Appointment.Status.EXPIRED, created_at=at(monday, 11)
    )

    for minutes, hour in ((60, 8), (120, 9), (None, 10)):
        LeadTimeSample.objects.create(office=office, measured_at=at(monday, hour), lead_minutes=minutes)

    figures = stats.statistics(office=office, start=monday, end=TUESDAY)
    # waits 30 (Monday) and 2, 4, 6, 8, 10 (Tuesday): median of six = (6 + 8) / 2
    assert figures.waits == 6
    assert figures.wait_median == pytest.approx(7)
    assert figures.wait_p90 == pytest.approx(10 + 0.5 * 20)  # position 4.5 between 10 and 30
    tuesday = figures.days[1]
    assert tuesday.wait_median == 6
    assert tuesday.wait_p90 == pytest.approx(9.2)
    assert (figures.attended, figures.no_show) == (3, 1)
    assert figures.no_show_rate == pytest.approx(25.0)
    assert tuesday.no_show_rate == pytest.approx(25.0)
    assert figures.bookings == 5  # 4 + the cancelled one; the expired hold was never a booking
    assert dict(figures.by_channel) == {"web": 4, "api": 1}
    assert figures.cancellations == 1 and dict(figures.cancelled_by) == {"citizen": 1}
    assert figures.days[0].bookings == 5 and figures.days[0].cancellations == 1
    assert figures.lead_median == 90
    assert figures.lead_p90 == pytest.approx(114)
    assert figures.lead_none == 1 and figures.lead_samples == 3
    assert figures.days[0].lead_average == pytest.approx(90)
    assert figures.lead_latest is not None and figures.lead_latest.lead_minutes is None


def test_lead_time_sample_records_each_enabled_office(world: World, office: AppointmentOffice) -> None:
    disabled = appointment_office(world.dormagen.offices.get(), enabled=False)
    assert stats.lead_time_sample(now=NOW) == 1
    sample = LeadTimeSample.objects.get()
    assert sample.office == office
    # Monday 10:00 → earliest bookable is tomorrow 08:00: 22 hours
    assert sample.lead_minutes == 22 * 60
    assert not LeadTimeSample.objects.filter(office=disabled).exists()


def test_lead_time_sample_without_free_slot(office: AppointmentOffice) -> None:
    Closure.objects.create(office=office, starts_at=NOW, ends_at=NOW + timedelta(days=400))
    assert stats.lead_time_sample(now=NOW) == 1
    assert LeadTimeSample.objects.get().lead_minutes is None
