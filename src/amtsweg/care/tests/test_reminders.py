"""Reminders to facilities that have not reported, with a frozen clock (Europe/Berlin), the e-mail
over a real SMTP server, the sweep, and the Heimaufsicht's list of facilities that keep not reporting."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import SMTPCapture, deliver_due_messages
from amtsweg.testing import World, run_in_threads

from ..models import CareFinder, OpenDataRelease, ReportReminder
from ..reminders import REMINDER_KIND, reminders_send
from ..selectors_supervision import facilities_not_reporting, supervision_overview
from ..services import ReportLine, vacancy_report_submit
from ..sweep import care_sweep
from .factories import CareSetup, care_setup

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


DAY = date(2026, 11, 24)


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


def report(care: CareSetup, facility_name: str, moment: datetime, free: int = 1) -> None:
    facility = getattr(care, facility_name)
    lines = [
        ReportLine(care_type=o.care_type, free_places=min(free, o.capacity)) for o in facility.offers.all()
    ]
    vacancy_report_submit(facility=facility, actor=None, lines=lines, channel="web", now=moment)


def reminded(day: date = DAY) -> set[str]:
    return set(ReportReminder.objects.filter(due_date=day).values_list("facility__name", flat=True))


def test_no_reminder_before_the_due_time(care: CareSetup) -> None:
    assert reminders_send(now=at(DAY, 9, 59)) == 0
    assert not ReportReminder.objects.exists()
    assert not OutboxMessage.objects.filter(kind=REMINDER_KIND).exists()


def test_after_the_due_time_every_facility_without_todays_report_is_reminded_once(care: CareSetup) -> None:
    report(care, "st_quirin", at(DAY, 8, 30))
    report(care, "rheinblick", at(DAY - timedelta(days=1), 9, 0))  # yesterday does not count
    assert reminders_send(now=at(DAY, 10, 1)) == 2
    assert reminded() == {"Tagespflege Rheinblick", "Haus am Stadtpark"}
    assert reminders_send(now=at(DAY, 10, 2)) == 0
    assert reminders_send(now=at(DAY, 23, 59)) == 0
    assert ReportReminder.objects.count() == 2
    assert OutboxMessage.objects.filter(kind=REMINDER_KIND).count() == 2
    payloads = list(OutboxMessage.objects.filter(kind=REMINDER_KIND).values_list("payload", flat=True))
    assert all(set(p) == {"reminder_id"} for p in payloads)  # ids only, no address


def test_a_report_after_midnight_utc_but_before_local_midnight_counts_for_the_local_day(
    care: CareSetup,
) -> None:
    # 00:30 Berlin on DAY is 23:30 UTC on the previous day: still a report of DAY.
    report(care, "st_quirin", at(DAY, 0, 30))
    reminders_send(now=at(DAY, 10, 0))
    assert "Seniorenzentrum St. Quirin" not in reminded()


def test_disabled_finder_or_reminders_send_nothing(care: CareSetup) -> None:
    CareFinder.objects.update(reminders_enabled=False)
    assert reminders_send(now=at(DAY, 12)) == 0
    CareFinder.objects.update(reminders_enabled=True, enabled=False)
    assert reminders_send(now=at(DAY, 12)) == 0
    assert not ReportReminder.objects.exists()


def test_inactive_facilities_and_facilities_without_address_are_not_reminded(care: CareSetup) -> None:
    care.am_stadtpark.active = False
    care.am_stadtpark.save()
    care.rheinblick.email = ""
    care.rheinblick.report_email = ""
    care.rheinblick.save()
    assert reminders_send(now=at(DAY, 10)) == 1
    assert reminded() == {"Seniorenzentrum St. Quirin"}
    # ... but the one without an address is on the Heimaufsicht's list (never reported), flagged.
    rows = {r.name: r for r in facilities_not_reporting(care.finder, now=at(DAY, 10))}
    assert not rows["Tagespflege Rheinblick"].has_reminder_address


def test_due_time_is_per_finder_and_every_day_counts(care: CareSetup) -> None:
    CareFinder.objects.update(report_due_time=time(14, 0))
    assert reminders_send(now=at(DAY, 13, 59)) == 0
    assert reminders_send(now=at(DAY, 14, 0)) == 3
    # The next day (a Sunday or not: care places change every day) starts over.
    next_day = DAY + timedelta(days=5)  # 2026-11-29 is a Sunday
    assert next_day.weekday() == 6
    report(care, "rheinblick", at(next_day, 7))
    assert reminders_send(now=at(next_day, 9)) == 0
    assert reminders_send(now=at(next_day, 14, 30)) == 2
    assert reminded(next_day) == {"Seniorenzentrum St. Quirin", "Haus am Stadtpark"}


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_remind_each_facility_once(world: World) -> None:
    care_setup(world)
    results, errors = run_in_threads(2, lambda i: reminders_send(now=at(DAY, 11)))
    assert not errors
    assert sum(results) == 3
    assert ReportReminder.objects.count() == 3
    assert OutboxMessage.objects.filter(kind=REMINDER_KIND).count() == 3


def test_the_reminder_email_names_facility_link_and_supervision(
    care: CareSetup, smtp_server: SMTPCapture
) -> None:
    care.st_quirin.report_email = "meldung@st-quirin.example"
    care.st_quirin.save()
    report(care, "rheinblick", at(DAY, 8))
    report(care, "am_stadtpark", at(DAY, 8))
    with time_machine.travel(at(DAY, 10, 5), tick=False):
        assert reminders_send(now=at(DAY, 10, 5)) == 1
        assert deliver_due_messages(kinds=[REMINDER_KIND]) == 1
    mail = smtp_server.wait_for(1)[0]
    assert mail.recipients == ["meldung@st-quirin.example"]
    assert "Seniorenzentrum St. Quirin" in mail.message["Subject"]
    assert f"/pflegefinder/meine-einrichtungen/{care.st_quirin.pk}/meldung/" in mail.text
    assert "heimaufsicht@kreis.example" in mail.text
    assert "Rhein-Kreis Neuss" in mail.text
    assert "24.11.2026" in mail.text and "10:00" in mail.text


def test_no_email_when_the_facility_reported_meanwhile(care: CareSetup, smtp_server: SMTPCapture) -> None:
    with time_machine.travel(at(DAY, 10, 5), tick=False):
        reminders_send(now=at(DAY, 10, 5))
        report(care, "st_quirin", at(DAY, 10, 6))
        assert deliver_due_messages(kinds=[REMINDER_KIND]) == 3
    assert sorted(r for m in smtp_server.wait_for(2) for r in m.recipients) == [
        "info@haus.example",
        "info@tagespflege.example",
    ]


def test_escalation_list_worst_first_with_days_and_reminders(care: CareSetup) -> None:
    # escalate_after_days = 3: a last report 3 or more calendar days ago, or none, is listed.
    report(care, "st_quirin", at(DAY - timedelta(days=2), 23, 59))  # 2 days: not listed
    report(care, "rheinblick", at(DAY - timedelta(days=3), 0, 1))  # 3 days: listed
    for back in (1, 2, 3):
        reminders_send(now=at(DAY - timedelta(days=back), 11))
    rows = facilities_not_reporting(care.finder, now=at(DAY, 9))
    assert [r.name for r in rows] == ["Haus am Stadtpark", "Tagespflege Rheinblick"]
    never, three = rows
    assert never.last_reported_at is None and never.days_since is None
    assert never.reminders_30d == 3 and never.operator == "Caritas-Pflege Muster e. V."
    assert three.days_since == 3 and three.reminders_30d == 2  # reminded on days -2 and -1, not -3 (reported)
    assert three.email == "info@tagespflege.example"
    overview = supervision_overview(care.finder, now=at(DAY, 9))
    assert (overview.facilities, overview.not_reporting, overview.reminders_today) == (3, 2, 0)
    assert overview.stale == 2  # St. Quirin reported 33 hours ago (< 48 h): fresh


def test_sweep_sends_reminders_and_releases_todays_open_data_once(care: CareSetup) -> None:
    care_sweep(now=at(DAY, 9))
    assert not ReportReminder.objects.exists() and not OpenDataRelease.objects.exists()
    care_sweep(now=at(DAY, 10))
    care_sweep(now=at(DAY, 10, 1))
    assert ReportReminder.objects.count() == 3
    assert list(OpenDataRelease.objects.values_list("date", flat=True)) == [DAY]
    assert OpenDataRelease.objects.get().rows == 4  # St. Quirin 2 offers + Rheinblick + Am Stadtpark


def test_a_failing_sweep_step_does_not_hold_up_the_others(
    care: CareSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .. import sweep

    def broken(*, now: datetime) -> int:
        raise RuntimeError("database briefly unreachable")

    monkeypatch.setattr(sweep, "reminders_send", broken)
    care_sweep(now=at(DAY, 11))
    assert not ReportReminder.objects.exists()
    assert OpenDataRelease.objects.filter(date=DAY).exists()
