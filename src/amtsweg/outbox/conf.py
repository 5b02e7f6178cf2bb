"""Tunables of outbox delivery, read from settings with documented defaults (see docs/configuration.md)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def max_attempts() -> int:
    """Attempts before a message is given up and shown on the failed-deliveries page."""
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8))


def backoff_base() -> timedelta:
    """Wait after the first failure; each further failure waits four times as long."""
    return timedelta(seconds=float(getattr(settings, "OUTBOX_BACKOFF_SECONDS", 30)))


def backoff_cap() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600)))


def lease() -> timedelta:
    """How long one attempt may take before another worker may take the message over.

    Longer than the slowest handler (the SMTP timeout, a PDF rendering); a worker killed mid-attempt
    delays the message by at most this long.
    """
    return timedelta(seconds=float(getattr(settings, "OUTBOX_LEASE_SECONDS", 300)))


def sweep_seconds() -> float:
    """How often a running worker looks for messages whose task was lost."""
    return float(getattr(settings, "OUTBOX_SWEEP_SECONDS", 60))


def overdue() -> timedelta:
    """A pending message older than this shows on the failed-deliveries page as delayed."""
    return timedelta(seconds=float(getattr(settings, "OUTBOX_OVERDUE_SECONDS", 900)))


def public_url() -> str:
    """Base address of the portal for links in e-mails (no trailing slash)."""
    return str(getattr(settings, "PUBLIC_URL", "") or "http://127.0.0.1:8000").rstrip("/")
