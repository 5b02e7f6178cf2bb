"""The errors of booking, as problem+json in the API and as messages on the pages."""

from __future__ import annotations

from rest_framework import status

from amtsweg.core.problems import Problem


class BookingError(Problem):
    """A booking request that cannot be served as asked (400 unless a subclass says otherwise)."""

    code = "booking-invalid"


class SlotTaken(BookingError):
    """The time is no longer free; ``extra["alternatives"]`` lists the next free starts (ISO 8601)."""

    status_code = status.HTTP_409_CONFLICT
    code = "slot-taken"


class LimitReached(BookingError):
    """The person already has as many open appointments as the office allows."""

    status_code = status.HTTP_409_CONFLICT
    code = "limit-reached"


class HoldExpired(BookingError):
    """The reservation was not confirmed in time and its time was given to someone else."""

    status_code = status.HTTP_409_CONFLICT
    code = "hold-expired"


class InvalidState(BookingError):
    """The appointment is not in a state that allows this (e.g. cancelling a past one)."""

    status_code = status.HTTP_409_CONFLICT
    code = "appointment-state"


class ChallengeFailed(BookingError):
    """The proof of work is missing, wrong, expired or used before."""

    code = "pow-invalid"
