"""Opening hours written the way offices publish them: ``Mo-Do 08:00-16:00; Fr 08:00-12:30``."""

from __future__ import annotations

import re
from datetime import time

_WEEKDAYS = {"Mo": 0, "Di": 1, "Mi": 2, "Do": 3, "Fr": 4, "Sa": 5, "So": 6}


def parse_opening_hours(spec: str) -> list[tuple[int, time, time]]:
    """'Mo-Do 08:00-16:00; Fr 08:00-12:30, 14:00-16:00' → [(weekday, opens, closes), ...]."""
    result: list[tuple[int, time, time]] = []
    for part in spec.split(";"):
        days, _, periods = part.strip().partition(" ")
        first, _, last = days.partition("-")
        day_range = range(_WEEKDAYS[first], _WEEKDAYS[last or first] + 1)
        for period in periods.split(","):
            match = re.fullmatch(r"\s*(\d\d):(\d\d)-(\d\d):(\d\d)\s*", period)
            if not match:
                raise ValueError(f"bad opening hours: {period!r}")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            result.extend((day, time(h1, m1), time(h2, m2)) for day in day_range)
    return result
