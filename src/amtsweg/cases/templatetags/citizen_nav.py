"""``{% account_nav %}``: the header's account links ("Anmelden" or "Mein Konto" with the postbox)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from amtsweg.identity.models import User

from ..selectors_citizen import postbox_unread_count

register = template.Library()

# Pages after which returning there on login makes no sense.
_NO_RETURN = {"login", "logout", "register", "register_done"}


@register.inclusion_tag("cases/citizen/_account_nav.html", takes_context=True)
def account_nav(context: template.Context) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    citizen = isinstance(user, User) and user.is_authenticated and not user.is_staff_account
    staff = isinstance(user, User) and user.is_authenticated and user.is_staff_account
    match = getattr(request, "resolver_match", None)
    next_url = ""
    if (
        request is not None
        and request.method == "GET"
        and (match is None or match.url_name not in _NO_RETURN)
    ):
        next_url = request.get_full_path()
    return {
        "request": request,
        "citizen": citizen,
        "staff": staff,
        # One COUNT on the postbox index, and only for a logged-in citizen.
        "unread": _unread(context, user) if citizen and isinstance(user, User) else 0,
        "next_url": next_url,
        "csrf_token": context.get("csrf_token"),
    }


def _unread(context: template.Context, user: User) -> int:
    # Account pages count the unread messages already; the header reuses their figure.
    known = context.get("unread_count")
    return int(known) if known is not None else postbox_unread_count(user=user)
