"""Login methods as plug-ins: a typed registry every way of proving who one is registers with.

A plug-in module (``identity.oidc``, ``identity.saml``, ``identity.simulator``, the local password
login) calls ``register`` once with a function that returns the methods it currently offers: the
OIDC plug-in yields one method per configured issuer, the simulator none unless demo mode is on.
Login and step-up pages list ``login_methods(at_least=…)``; nothing else knows the plug-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme

from .levels import TrustLevel, rank


@dataclass(frozen=True)
class LoginMethod:
    """One way to log in: ``start`` gives the URL that begins it for a page ``next`` and a level."""

    key: str  # stable, recorded on submissions: "local", "oidc:<name>", "saml:<name>", "demo"
    label: str | Promise
    level: TrustLevel  # the highest level the method can prove
    start: Callable[[str, TrustLevel], str] = field(compare=False)
    description: str | Promise = ""
    demo: bool = False  # shown with a clear "demo only" mark
    citizen: bool = True  # offered on the citizen login (staff log in with password + TOTP)


MethodSource = Callable[[], Iterable[LoginMethod]]
_SOURCES: dict[str, MethodSource] = {}


def register(name: str, source: MethodSource) -> None:
    """Register ``source`` under ``name`` (idempotent: registering again replaces it)."""
    _SOURCES[name] = source


def login_methods(*, at_least: str = TrustLevel.NONE) -> list[LoginMethod]:
    """The methods on offer now that prove at least ``at_least``, strongest first."""
    methods = [method for source in _SOURCES.values() for method in source() if method.citizen]
    chosen = [method for method in methods if rank(method.level) >= rank(at_least)]
    return sorted(chosen, key=lambda method: (-rank(method.level), method.demo, str(method.label)))


def login_method(key: str) -> LoginMethod | None:
    """The method registered under ``key`` (``None`` when it is not offered, e.g. no longer configured)."""
    return next((m for source in _SOURCES.values() for m in source() if m.key == key), None)


def after_login_url(request: HttpRequest, next_url: str | None) -> str:
    """Where a login (of any method) goes on: ``next_url`` if it is on this site, else "Mein Konto"."""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("portal:account")
