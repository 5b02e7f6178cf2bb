"""Verification codes (Prüfcodes) printed on notices: short, typed by hand, and signed.

A code is 16 characters of Crockford's base32 (digits and capitals without I, L, O and U), shown in
four groups: ``7K3M-Q9TD-XW2B-HC4R``. The first eight characters are a random identifier, the last
eight an HMAC-SHA256 of it (40 bits, keyed with ``SECRET_KEY`` and a salt of its own). So a code
that was altered or made up is rejected before any database lookup, and guessing a valid one takes
about 2^40 tries — far beyond the rate limit of the verification page (below: 20 failures per
address and 10 minutes by default).

Reading is forgiving like Crockford's scheme intends: case, spaces and dashes do not matter, and
``O`` counts as ``0``, ``I`` and ``L`` as ``1``. Rotating ``SECRET_KEY`` must keep the old key in
``SECRET_KEY_FALLBACKS`` for as long as issued notices are to be verifiable.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.crypto import salted_hmac

from amtsweg.core import ratelimit
from amtsweg.core.ratelimit import TokenBucket

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 8  # 40 bits
MAC_LENGTH = 8  # 40 bits
CODE_LENGTH = ID_LENGTH + MAC_LENGTH
GROUP = 4
_SALT = "amtsweg.notices.verification-code"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t\u00a0\u2010\u2011\u2012\u2013")


class Malformed(ValueError):
    """The text is not a verification code at all (wrong length or characters)."""


class Verdict(StrEnum):
    VALID = "valid"  # issued and in force
    REVOKED = "revoked"  # issued, then revoked (aufgehoben)
    UNKNOWN = "unknown"  # correctly signed, but no such notice here (or not issued yet)
    INVALID = "invalid"  # the signature does not match: mistyped, altered or forged
    MALFORMED = "malformed"  # not a code at all


@dataclass(frozen=True)
class Code:
    """A syntactically valid code; ``signed`` says whether its MAC is ours."""

    value: str  # canonical: 16 characters, no separators

    @property
    def identifier(self) -> str:
        return self.value[:ID_LENGTH]

    @property
    def display(self) -> str:
        return format_code(self.value)

    @property
    def signed(self) -> bool:
        given = self.value[ID_LENGTH:]
        return any(hmac.compare_digest(given, _mac(self.identifier, key)) for key in _keys())


def _keys() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _encode(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, 32)
        chars.append(ALPHABET[index])
    return "".join(reversed(chars))


def _mac(identifier: str, key: str) -> str:
    digest = salted_hmac(_SALT, identifier, secret=key, algorithm="sha256").digest()
    return _encode(digest[: MAC_LENGTH * 5 // 8], MAC_LENGTH)


def new_code() -> str:
    """A fresh signed code (canonical form), signed with the current ``SECRET_KEY``."""
    identifier = _encode(secrets.token_bytes(ID_LENGTH * 5 // 8), ID_LENGTH)
    return identifier + _mac(identifier, settings.SECRET_KEY)


def format_code(value: str) -> str:
    """``7K3MQ9TDXW2BHC4R`` → ``7K3M-Q9TD-XW2B-HC4R``."""
    return "-".join(value[i : i + GROUP] for i in range(0, len(value), GROUP))


def parse_code(text: str) -> Code:
    """Read what a person typed or a QR code carried; raise :class:`Malformed` if it cannot be a code."""
    if len(text) > 4 * CODE_LENGTH:
        raise Malformed(text[:80])
    value = text.strip().upper().translate(_IGNORED).translate(_READ_AS)
    if len(value) != CODE_LENGTH or any(char not in ALPHABET for char in value):
        raise Malformed(text)
    return Code(value)


# --- rate limit -----------------------------------------------------------------------------------
#
# Two guards per client address, shared by the page and the API:
#
# * failures (malformed, invalid, unknown) are counted in the shared cache: after
#   ``NOTICE_VERIFY_FAILURE_LIMIT`` of them in a window of ``NOTICE_VERIFY_FAILURE_WINDOW`` seconds
#   every verification from that address is refused (429) until the window ends. This is what stops
#   enumeration; answers "valid" and "revoked" never count, so an employer checking a pile of real
#   certificates is never blocked by it, and a check of a real code costs a cache read, not a write.
# * a burst guard in process memory (``ratelimit.TokenBucket``): ``NOTICE_VERIFY_BURST`` checks at
#   once, then ``NOTICE_VERIFY_REFILL`` per second, per web worker process — so a flood of valid
#   codes from one address is slowed too, without a shared write per request.

SCOPE = "notice-verify-failures"


@dataclass(frozen=True)
class Limits:
    failures: int  # failed verifications per address and window before the address is blocked
    window: int  # seconds
    burst: int  # verifications at once per address (per worker process)
    refill: float  # further verifications per second per address (per worker process)


def limits() -> Limits:
    """The rate limits of verification; settings may override every figure."""
    return Limits(
        failures=int(getattr(settings, "NOTICE_VERIFY_FAILURE_LIMIT", 20)),
        window=int(getattr(settings, "NOTICE_VERIFY_FAILURE_WINDOW", 600)),
        burst=int(getattr(settings, "NOTICE_VERIFY_BURST", 200)),
        refill=float(getattr(settings, "NOTICE_VERIFY_REFILL", 10.0)),
    )


_buckets: dict[tuple[int, float], TokenBucket] = {}


def _bucket(current: Limits) -> TokenBucket:
    # One bucket set per configuration, so a changed setting (tests, a reload) takes effect at once.
    key = (current.burst, current.refill)
    bucket = _buckets.get(key)
    if bucket is None:
        _buckets.clear()
        bucket = _buckets[key] = TokenBucket(capacity=current.burst, rate=current.refill)
    return bucket


def reset_burst_guard() -> None:
    """Forget this process's burst buckets (tests)."""
    _buckets.clear()


def burst_wait(address: str) -> int:
    """Take one token of ``address``'s burst guard: 0 if it may verify now, else the seconds to wait."""
    wait = _bucket(limits()).take(address)
    return 0 if wait <= 0 else max(1, math.ceil(wait))


def blocked_for(address: str) -> int:
    """Seconds ``address`` stays blocked after too many failed verifications (0: not blocked)."""
    current = limits()
    if ratelimit.count(SCOPE, address, window=current.window) >= current.failures:
        return ratelimit.window_remaining(current.window)
    return 0


def failure_counted(address: str) -> int:
    """Count a failed verification of ``address``; the seconds it is blocked if this one was one too
    many (then its answer must not be shown), else 0."""
    current = limits()
    if ratelimit.add(SCOPE, address, window=current.window) > current.failures:
        return ratelimit.window_remaining(current.window)
    return 0
