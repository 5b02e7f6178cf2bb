"""How strongly the person behind a request has proven who they are, and the one login that records it.

Every login goes through ``assurance_login``: it logs the account in (Django's ``login``, which
rotates the session key) and stores the trust level and method in the session. ``assurance_of``
reads them back for pages, the API and ``cases.services.submission_submit``, which records them on
the submission. Token-authenticated API clients count as ``normal`` (a token is issued after a
password login); a stronger level needs a session established by a stronger method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from .levels import TrustLevel, satisfies
from .models import Organisation, User

SESSION_KEY = "amtsweg_assurance"
SESSION_ORGANISATION = "amtsweg_organisation"
METHOD_API_TOKEN = "api-token"  # noqa: S105  (a method name, not a secret)
METHOD_SESSION = "session"  # a session made without assurance_login (Django admin, tests)


@dataclass(frozen=True)
class Assurance:
    """The proven trust level of a request's user and the login method that proved it."""

    level: TrustLevel
    method: str
    authenticated_at: datetime | None = None
    organisation_id: int | None = None  # the organisation the person acts for, if any

    def satisfies(self, needed: str) -> bool:
        return satisfies(self.level, needed)


ANONYMOUS = Assurance(TrustLevel.NONE, "")


def assurance_login(
    request: HttpRequest, *, user: User, method: str, level: TrustLevel, backend: str | None = None
) -> None:
    """Log ``user`` in with ``method`` at ``level`` (a step-up by the same person keeps the session)."""
    login(request, user, backend=backend or "django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = {
        "level": str(level),
        "method": method,
        "at": timezone.now().isoformat(),
    }


def assurance_of(request: Any) -> Assurance:
    """The assurance of ``request`` (a Django or DRF request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if isinstance(getattr(request, "auth", None), Token):
        return Assurance(TrustLevel.NORMAL, METHOD_API_TOKEN)
    session = getattr(request, "session", None)
    stored = session.get(SESSION_KEY) if session is not None else None
    organisation = session.get(SESSION_ORGANISATION) if session is not None else None
    if not isinstance(stored, dict) or stored.get("level") not in TrustLevel.values:
        return Assurance(TrustLevel.NORMAL, METHOD_SESSION, organisation_id=organisation)
    return Assurance(
        TrustLevel(stored["level"]),
        str(stored.get("method", "")),
        parse_datetime(str(stored.get("at", ""))),
        organisation_id=organisation if isinstance(organisation, int) else None,
    )


def organisation_choose(request: HttpRequest, organisation: Organisation | None) -> None:
    """Act for ``organisation`` from now on (``None``: as a private person). Membership is checked
    by the caller (``identity.selectors.organisations_of``)."""
    if organisation is None:
        request.session.pop(SESSION_ORGANISATION, None)
    else:
        request.session[SESSION_ORGANISATION] = organisation.pk
