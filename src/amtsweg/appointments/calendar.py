"""Local time of the offices and the public holidays of North Rhine-Westphalia.

Offices keep wall-clock hours in ``Europe/Berlin``. A day is not always 24 hours: the last Sunday
of March has 23, the last Sunday of October 25; ``instant`` turns a wall-clock time of a day into
the real instant, so a grid built on instants stays right on those days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TZ = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


@lru_cache(maxsize=32)
def _holidays(year: int) -> dict[date, str]:
    # The maintained ``holidays`` library knows the NRW set (incl. Fronleichnam and Allerheiligen).
    calendar = holidays.country_holidays("DE", subdiv="NW", years=year, language="de")
    return dict(calendar.items())


def is_holiday(day: date) -> str | None:
    """The German name of the NRW public holiday on ``day``, or ``None``."""
    return _holidays(day.year).get(day)


def local(moment: datetime) -> datetime:
    """An aware instant in the offices' time zone."""
    return moment.astimezone(TZ)


def instant(day: date, wall: time) -> datetime:
    """The instant (UTC) of wall-clock ``wall`` on ``day`` in Europe/Berlin.

    A wall time that does not exist (02:30 on the last Sunday of March) is read with the offset
    before the change, i.e. it is the instant the clocks jumped past; a wall time that exists twice
    (02:30 on the last Sunday of October) is its first occurrence (``fold=0``).
    """
    return datetime.combine(day, wall, tzinfo=TZ).astimezone(UTC)


def midnight(day: date) -> datetime:
    """The instant (UTC) at which ``day`` begins in Europe/Berlin."""
    return instant(day, time(0))


def day_length(day: date) -> timedelta:
    """23, 24 or 25 hours."""
    return midnight(day + timedelta(days=1)) - midnight(day)


def local_day(moment: datetime) -> date:
    return local(moment).date()
