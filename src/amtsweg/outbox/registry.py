"""Handlers of outbox messages, by kind. Each module registers its own in ``<module>/handlers.py``
(imported from its AppConfig.ready); the registry is frozen once all apps are ready."""

from __future__ import annotations

from collections.abc import Callable

from .models import OutboxMessage

Handler = Callable[[OutboxMessage], None]
_HANDLERS: dict[str, Handler] = {}
_frozen = False


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (e.g. the recipient address is invalid)."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``function`` as the handler of messages of ``kind`` (e.g. ``"email.receipt"``).

    A handler must be idempotent where it can be (check whether its effect already exists), because
    a worker that dies after the effect but before marking the message done makes it run again.
    """

    def register(function: Handler) -> Handler:
        if _frozen:
            raise RuntimeError(f"outbox handler {kind!r} registered after start-up")
        if kind in _HANDLERS and _HANDLERS[kind] is not function:
            raise RuntimeError(f"outbox handler {kind!r} registered twice")
        _HANDLERS[kind] = function
        return function

    return register


def freeze() -> None:
    global _frozen
    _frozen = True


def get_handler(kind: str) -> Handler:
    try:
        return _HANDLERS[kind]
    except KeyError as exc:
        raise PermanentFailure(f"no handler for outbox messages of kind {kind!r}") from exc


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)
