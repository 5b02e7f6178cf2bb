"""OpenID Connect login pages: the start (off to the provider) and the callback (back from it).

The callback is a top-level GET redirect from the provider, so the session cookie (``SameSite=Lax``)
comes with it: the ``state``, ``nonce`` and PKCE verifier wait in the session (``identity.oidc``),
and a citizen logged in with a password who steps up gets the identity linked to *their* account.
Every refusal is shown as a German error page and logged with the provider and a reason code
only, never a claim, token or name.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem

from . import oidc, services
from .levels import TrustLevel, describe
from .methods import after_login_url
from .views import step_up_url

logger = logging.getLogger(__name__)
START_LIMIT = 60  # starts per client address and LOGIN_RATE_WINDOW (each one writes to the session)


def _provider(name: str) -> oidc.OidcProvider:
    found = oidc.provider(name)
    if found is None:
        raise Http404("unknown OIDC provider")
    return found


def _error_page(
    request: HttpRequest,
    *,
    status: int,
    message: str,
    next_url: str = "",
    needed: TrustLevel | None = None,
) -> HttpResponse:
    retry = step_up_url(next_url, needed) if needed and needed != TrustLevel.NONE and next_url else ""
    return render(
        request,
        "identity/oidc_error.html",
        {
            "status": status,
            "message": message,
            "retry_url": retry,
            "needed_text": describe(needed) if needed else "",
        },
        status=status,
    )


def _refused(request: HttpRequest, provider: oidc.OidcProvider, error: oidc.OidcLoginError) -> HttpResponse:
    logger.warning("OIDC login refused: provider=%s reason=%s", provider.name, error.reason)
    if isinstance(error, oidc.LevelRefused):
        # ``next`` comes from the login's own session entry, never from the callback's query.
        return _error_page(
            request,
            status=error.status,
            message=str(error.message),
            next_url=after_login_url(request, error.next_url),
            needed=error.needed,
        )
    return _error_page(request, status=error.status, message=str(error.message))


@require_safe
def start(request: HttpRequest, name: str) -> HttpResponse:
    """``/konto/anmelden/oidc/<name>/?next=…&niveau=…``: off to the provider's login."""
    provider = _provider(name)
    if not ratelimit.hit(
        "oidc-start-ip",
        ratelimit.client_address(request),
        limit=START_LIMIT,
        window=settings.LOGIN_RATE_WINDOW,
    ):
        return _error_page(
            request, status=429, message=_("Zu viele Versuche. Bitte warten Sie einige Minuten.")
        )
    needed_value = request.GET.get("niveau", "")
    needed = TrustLevel(needed_value) if needed_value in TrustLevel.values else TrustLevel.NORMAL
    next_url = after_login_url(request, request.GET.get("next"))
    try:
        url = oidc.login_begin(request, provider=provider, next_url=next_url, needed=needed)
    except oidc.OidcLoginError as error:
        return _refused(request, provider, error)
    return HttpResponseRedirect(url)


@require_safe
def callback(request: HttpRequest, name: str) -> HttpResponse:
    """``/konto/anmelden/oidc/<name>/rueckkehr/?code=…&state=…``: verify, log in, go on to ``next``."""
    if not request.GET.get("state"):
        # Not an answer to any login of ours (whatever the provider name says).
        logger.warning("OIDC login refused: reason=state-missing")
        message = _("Diese Anfrage gehört zu keiner Anmeldung. Bitte beginnen Sie die Anmeldung noch einmal.")
        return _error_page(request, status=400, message=message)
    provider = _provider(name)
    try:
        result = oidc.login_complete(request, provider=provider, params=request.GET)
    except oidc.OidcLoginError as error:
        return _refused(request, provider, error)
    try:
        services.external_login(
            request,
            method=provider.key,
            issuer=result.issuer,
            subject=result.subject,
            level=result.level,
            attributes=result.attributes,
            organisation=result.organisation,
        )
    except Problem as problem:
        logger.warning("OIDC login refused: provider=%s reason=%s", provider.name, problem.code)
        return _error_page(request, status=problem.status_code, message=problem.localized())
    return HttpResponseRedirect(after_login_url(request, result.next_url))
