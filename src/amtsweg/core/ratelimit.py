"""A fixed-window rate limiter on the shared cache (database by default, Redis when configured)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
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
    key = _key(scope, subject, window)
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit


def is_blocked(scope: str, subject: str, *, limit: int, window: int) -> bool:
    count = cache.get(_key(scope, subject, window), 0)
    return int(count) >= limit


def clear(scope: str, subject: str, *, window: int) -> None:
    cache.delete(_key(scope, subject, window))
