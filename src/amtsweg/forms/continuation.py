"""Drafts that a specialised service fills through its own pages (e.g. the instruction under § 43 IfSG).

Such a service registers a resolver that returns the URL where the citizen continues the draft, or
``None`` for drafts that are not its own. The generic pages send the citizen there instead of into
the generic form steps: resuming a draft from the list of started applications, and coming back
from paying a draft's fee.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import Draft

Resolver = Callable[[Draft], str | None]
_RESOLVERS: list[Resolver] = []


def draft_flow(resolver: Resolver) -> Resolver:
    """Register ``resolver`` (a decorator); registering the same function twice keeps one."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)
    return resolver


def draft_continue_url(draft: Draft) -> str | None:
    """The page of the service that owns ``draft``, or ``None`` for an ordinary form draft."""
    for resolver in _RESOLVERS:
        url = resolver(draft)
        if url is not None:
            return url
    return None
