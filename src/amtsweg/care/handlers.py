"""Outbox handlers of the care finder, registered at start-up by ``CareConfig.ready``: alert matching
and alert e-mails (``alerts``), reminder e-mails (``reminders``)."""

from . import alerts, reminders  # noqa: F401
