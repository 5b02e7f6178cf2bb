"""Rate limits: fixed windows on the shared cache (database by default, Redis when configured), and
a token bucket in process memory for burst guards that must not cost a shared write per request."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def _key(scope: str, subject: str, window: int) -> str:
    # Hash the subject so no e-mail address or IP is stored in clear in the cache table.
    digest = hashlib.sha256(subject.encode("utf-8", "replace")).hexdigest()[:32]
    return f"rl:{scope}:{int(time.time()) // window}:{digest}"


def hit(scope: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one attempt; ``True`` while ``subject`` stays within ``limit`` per ``window`` seconds."""
    return add(scope, subject, window=window) <= limit


def is_blocked(scope: str, subject: str, *, limit: int, window: int) -> bool:
    count = cache.get(_key(scope, subject, window), 0)
    return int(count) >= limit


def clear(scope: str, subject: str, *, window: int) -> None:
    cache.delete(_key(scope, subject, window))


def count(scope: str, subject: str, *, window: int) -> int:
    """How often ``subject`` was counted in ``scope`` in the current window (a read, no write)."""
    return int(cache.get(_key(scope, subject, window), 0))


def add(scope: str, subject: str, *, window: int) -> int:
    """Count one event for ``subject`` in the current window of ``scope``; the count so far."""
    key = _key(scope, subject, window)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1
    if _incr_resets_timeout():
        # The generic incr (database cache) is a get and a set with the default timeout (5 minutes):
        # the count would vanish before a longer window ends. Redis and locmem keep the expiry.
        cache.touch(key, window_remaining(window) + 1)
    return count


def _incr_resets_timeout() -> bool:
    return type(caches["default"]).incr is BaseCache.incr


def window_remaining(window: int) -> int:
    """Seconds until the current fixed window of ``window`` seconds ends (at least 1): a Retry-After."""
    return max(1, window - int(time.time()) % window)


class TokenBucket:
    """A per-subject token bucket in this process's memory: bursts up to ``capacity``, then ``rate``
    per second. Needs no shared write per request (each web worker process keeps its own buckets,
    so with N workers a subject gets up to N times the figures); bounded to ``max_subjects``
    buckets, the least recently used forgotten first (a forgotten subject starts with a full bucket).
    Thread-safe, for threaded workers.
    """

    def __init__(self, *, capacity: float, rate: float, max_subjects: int = 10_000) -> None:
        self.capacity = capacity
        self.rate = rate
        self.max_subjects = max_subjects
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, last refill
        self._lock = threading.Lock()

    def take(self, subject: str, *, now: float | None = None) -> float:
        """Take one token for ``subject``: 0.0 if granted, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(subject, (self.capacity, now))
            tokens = min(self.capacity, tokens + max(0.0, now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate if self.rate > 0 else float("inf")
            self._buckets[subject] = (tokens, now)
            while len(self._buckets) > self.max_subjects:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
