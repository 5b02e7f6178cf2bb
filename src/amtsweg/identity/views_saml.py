"""SAML login pages: start (redirect to the IdP), assertion consumer service, completion, SP metadata.

Why three steps and where the pending request lives: the IdP answers with a cross-site POST, and
our session cookie (``SameSite=Lax``) is not sent on cross-site POSTs. So the ACS cannot rely on
the session: the pending request (its id, ``next`` and the level needed) is kept in the shared
cache, keyed by the request id, and pysaml2 accepts only a response whose signed ``InResponseTo``
names such a pending request, which is used up on first use (a replayed or second response is
refused). The signed ``InResponseTo`` alone would not stop login CSRF (an attacker starts a login,
then makes a victim's browser post the attacker's response), so the ACS does not log anybody in:
it verifies, keeps the result for two minutes under a one-time token and redirects (303) to the
completion page. That is a top-level GET on our own site, so the browser now sends both the
session cookie (a citizen logged in with a password gets the identity linked to *their* account:
step-up) and the ``amtsweg_saml`` cookie set at the start; the completion logs in only if that
cookie matches the one the login began with. Both cookies stay ``SameSite=Lax`` (no
``SameSite=None`` needed, which browsers refuse on plain HTTP anyway).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem

from . import saml, services
from .levels import TrustLevel
from .methods import after_login_url

logger = logging.getLogger(__name__)
COOKIE_PATH = "/konto/anmelden/saml/"
START_LIMIT = 60  # starts per client address and LOGIN_RATE_WINDOW: each one stores a pending request


def _provider(name: str) -> saml.SamlProvider:
    idp = saml.provider(name)
    if idp is None:
        raise Http404("unknown SAML provider")
    return idp


def _refused(request: HttpRequest, idp: saml.SamlProvider, error: saml.SamlLoginError) -> HttpResponse:
    # The reason code and provider only: never the response, the NameID or any attribute.
    logger.warning("SAML login refused: provider=%s reason=%s", idp.name, error.reason)
    status = 403 if isinstance(error, saml.SamlLevelTooLow) else 400
    return render(request, "portal/error.html", {"status": status, "message": error.message}, status=status)


@require_safe
def start(request: HttpRequest, name: str) -> HttpResponse:
    """``/konto/anmelden/saml/<name>/?next=…&niveau=…``: off to the IdP with a signed AuthnRequest."""
    idp = _provider(name)
    if not ratelimit.hit(
        "saml-start-ip",
        ratelimit.client_address(request),
        limit=START_LIMIT,
        window=settings.LOGIN_RATE_WINDOW,
    ):
        message = _("Zu viele Versuche. Bitte warten Sie einige Minuten.")
        return render(request, "portal/error.html", {"status": 429, "message": message}, status=429)
    needed_value = request.GET.get("niveau", "")
    needed = TrustLevel(needed_value) if needed_value in TrustLevel.values else TrustLevel.NORMAL
    begin = saml.login_begin(
        request, idp=idp, next_url=after_login_url(request, request.GET.get("next")), needed=needed
    )
    response = HttpResponseRedirect(begin.redirect_url)
    response.set_cookie(
        saml.BROWSER_COOKIE,
        begin.browser_secret,
        max_age=saml.PENDING_SECONDS,
        path=COOKIE_PATH,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


@csrf_exempt  # the IdP posts here; the signature and the one-time InResponseTo protect it
@require_POST
def acs(request: HttpRequest, name: str) -> HttpResponse:
    """``/konto/anmelden/saml/<name>/acs/``: verify the IdP's answer, then on to the completion."""
    idp = _provider(name)
    try:
        token = saml.response_verify(request, idp=idp, saml_response=request.POST.get("SAMLResponse", ""))
    except saml.SamlLoginError as error:
        return _refused(request, idp, error)
    url = reverse("portal:saml_complete", args=[idp.name]) + "?t=" + token
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the browser follows with a GET (carrying our SameSite=Lax cookies)
    return response


@require_safe
def complete(request: HttpRequest, name: str) -> HttpResponse:
    """``/konto/anmelden/saml/<name>/abschluss/?t=…``: log in, in the browser that began the login."""
    idp = _provider(name)
    try:
        result = saml.result_take(
            idp=idp,
            token=request.GET.get("t", ""),
            browser_secret=request.COOKIES.get(saml.BROWSER_COOKIE, ""),
        )
    except saml.SamlLoginError as error:
        return _refused(request, idp, error)
    try:
        services.external_login(
            request,
            method=idp.key,
            issuer=result.issuer,
            subject=result.subject,
            level=result.level,
            attributes=result.attributes,
        )
    except Problem as problem:
        logger.warning("SAML login refused: provider=%s reason=%s", idp.name, problem.code)
        return render(
            request,
            "portal/error.html",
            {"status": problem.status_code, "message": problem.localized()},
            status=problem.status_code,
        )
    response = HttpResponseRedirect(after_login_url(request, result.next_url))
    response.delete_cookie(saml.BROWSER_COOKIE, path=COOKIE_PATH, samesite="Lax")
    return response


@require_safe
def metadata(request: HttpRequest, name: str) -> HttpResponse:
    """``/konto/anmelden/saml/<name>/metadata/``: our SP metadata for the IdP's registration."""
    idp = _provider(name)
    return HttpResponse(
        saml.sp_metadata(request, idp), content_type="application/samlmetadata+xml; charset=utf-8"
    )
