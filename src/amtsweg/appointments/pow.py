"""Proof of work on booking: a signed, single-use challenge the client must solve.

The server hands out ``v1.<difficulty>.<issued>.<nonce>.<signature>``; the client finds a decimal
``solution`` such that ``SHA-256("<challenge>:<solution>")`` starts with ``difficulty`` zero bits
(2^difficulty hashes on average — a fraction of a second in a browser, a real cost to anyone
booking thousands of times). The challenge is stateless until it is redeemed: a signature proves
it is ours, the issue time bounds its age, and redeeming it marks it used in the cache, so one
solution books once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

from .problems import ChallengeFailed

_VERSION = "v1"
MAX_SOLUTION_LENGTH = 20


@dataclass(frozen=True)
class Challenge:
    challenge: str
    difficulty: int
    expires_at: datetime


def _signature(body: str) -> str:
    return salted_hmac("amtsweg.appointments.pow", body, algorithm="sha256").hexdigest()[:32]


def challenge_issue(*, difficulty: int | None = None) -> Challenge:
    """A new challenge at the configured difficulty."""
    bits = int(settings.APPOINTMENTS_POW_DIFFICULTY if difficulty is None else difficulty)
    issued = int(time.time())
    body = f"{_VERSION}.{bits}.{issued}.{secrets.token_hex(12)}"
    lifetime = int(settings.APPOINTMENTS_POW_SECONDS)
    return Challenge(f"{body}.{_signature(body)}", bits, datetime.fromtimestamp(issued + lifetime, tz=UTC))


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def _failed(detail_de: str, detail_en: str) -> ChallengeFailed:
    return ChallengeFailed(detail_de, detail_en)


def challenge_verify(challenge: str, solution: str) -> None:
    """Accept a solved challenge once; raise :class:`ChallengeFailed` otherwise."""
    parts = challenge.split(".")
    if len(parts) != 5 or parts[0] != _VERSION or not parts[1].isdigit() or not parts[2].isdigit():
        raise _failed("Die Sicherheitsprüfung ist ungültig.", "The security check is invalid.")
    body, signature = ".".join(parts[:4]), parts[4]
    if not constant_time_compare(_signature(body), signature):
        raise _failed("Die Sicherheitsprüfung ist ungültig.", "The security check is invalid.")
    bits, issued = int(parts[1]), int(parts[2])
    if bits < int(settings.APPOINTMENTS_POW_DIFFICULTY):
        raise _failed("Die Sicherheitsprüfung ist zu leicht.", "The security check is too easy.")
    age = time.time() - issued
    if age > int(settings.APPOINTMENTS_POW_SECONDS) or age < -60:
        raise _failed(
            "Die Sicherheitsprüfung ist abgelaufen. Bitte laden Sie die Seite neu.",
            "The security check has expired. Please reload the page.",
        )
    if not solution.isdigit() or len(solution) > MAX_SOLUTION_LENGTH:
        raise _failed("Die Sicherheitsprüfung ist nicht gelöst.", "The security check is not solved.")
    digest = hashlib.sha256(f"{challenge}:{solution}".encode()).digest()
    if leading_zero_bits(digest) < bits:
        raise _failed("Die Sicherheitsprüfung ist nicht gelöst.", "The security check is not solved.")
    # Single use: the first redemption wins, a replay is refused (kept as long as the challenge lives).
    if not cache.add(f"pow:{parts[3]}", 1, timeout=int(settings.APPOINTMENTS_POW_SECONDS) + 120):
        raise _failed(
            "Diese Sicherheitsprüfung wurde schon verwendet.", "This security check was already used."
        )


def pow_solve(challenge: str, difficulty: int) -> str:
    """Solve a challenge (for tests, the benchmark and API clients written in Python)."""
    counter = 0
    while True:
        digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
        if leading_zero_bits(digest) >= difficulty:
            return str(counter)
        counter += 1
