"""Applications that a specialised service runs through its own pages (e.g. the instruction under
§ 43 IfSG, whose draft is filled by material, declaration and quiz pages in the person's language).

Such a service registers resolvers that return its own URL, or ``None`` for what is not its own:
``draft_flow`` for an existing draft (resuming it from the list of started applications, coming
back from paying its fee), ``service_flow`` for starting an application of a service at an
authority. The generic pages send the citizen there instead of into the generic form steps.
"""

from __future__ import annotations

from collections.abc import Callable

from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Authority

from .models import Draft

Resolver = Callable[[Draft], str | None]
_RESOLVERS: list[Resolver] = []
StartResolver = Callable[[Service, Authority], str | None]
_START_RESOLVERS: list[StartResolver] = []


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


def service_flow(resolver: StartResolver) -> StartResolver:
    """Register ``resolver`` for starting applications (a decorator)."""
    if resolver not in _START_RESOLVERS:
        _START_RESOLVERS.append(resolver)
    return resolver


def service_start_url(service: Service, authority: Authority) -> str | None:
    """Where an application for ``service`` at ``authority`` starts, if a specialised service runs it."""
    for resolver in _START_RESOLVERS:
        url = resolver(service, authority)
        if url is not None:
            return url
    return None
