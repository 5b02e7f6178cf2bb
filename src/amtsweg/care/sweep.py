"""The care finder's part of the worker's periodic sweep (every minute by default)."""

from __future__ import annotations

from datetime import datetime


def care_sweep(*, now: datetime | None = None) -> None:
    """Reminders for facilities that have not reported by their finder's due time, and the daily
    open-data release (H-FRESH fills this in)."""
