"""Staff login, second step: the TOTP code (``anmelden/zweiter-faktor/``) and setting up the
authenticator (``konto/authenticator/``). Thin: the rules are in ``identity.staff``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from amtsweg.core import ratelimit

from . import staff
from .models import User


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app (or, on the login, a recovery code)."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, recovery: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if recovery:
            field.help_text = gettext_lazy(
                "Die sechs Ziffern, die Ihre Authenticator-App gerade anzeigt. Ohne Ihr Telefon: einer "
                "Ihrer Wiederherstellungscodes (z. B. ABCD-EFGH-JKLM); jeder gilt nur einmal."
            )
        else:
            field.label = gettext_lazy("Code aus der Authenticator-App")
            field.help_text = gettext_lazy("Die sechs Ziffern, die die App nach dem Einrichten anzeigt.")
            field.widget.attrs["inputmode"] = "numeric"
        field.widget.attrs["aria-describedby"] = "id_code_helptext"


def after_password(request: HttpRequest, *, user: User, next_url: str) -> HttpResponse:
    """The password was right: ask for the code, ask to set up an authenticator, or log in."""
    if staff.totp_device(user) is not None:
        staff.pending_start(request, user=user, step="totp", next_url=next_url)
        return redirect("backoffice:staff_second_factor")
    if settings.STAFF_TWO_FACTOR == "required":
        staff.pending_start(request, user=user, step="enrol", next_url=next_url)
        return redirect("backoffice:staff_authenticator")
    staff.staff_login(request, user=user, second_factor=False)
    messages.info(
        request,
        _(
            "Ihr Dienstkonto ist nur mit dem Passwort geschützt. Richten Sie unter „Authenticator-App“ "
            "einen zweiten Faktor ein."
        ),
    )
    return redirect(next_url)


def _expired(request: HttpRequest) -> HttpResponse:
    messages.warning(request, _("Die Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an."))
    return redirect("backoffice:login")


def _locked(request: HttpRequest) -> HttpResponse:
    staff.pending_clear(request)
    messages.error(request, staff.LOCKED_MESSAGE)
    return redirect("backoffice:login")


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """``anmelden/zweiter-faktor/``: the code after the password; never reachable logged in."""
    pending = staff.pending_of(request)
    if pending is None or pending.step != "totp":
        return _expired(request)
    if staff.is_locked(pending.user):
        return _locked(request)
    form = CodeForm(request.POST if request.method == "POST" else None, recovery=True)
    if request.method == "POST" and form.is_valid():
        result = staff.totp_verify(user=pending.user, code=form.cleaned_data["code"])
        if result.ok:
            staff.staff_login(request, user=pending.user, second_factor=True)
            if result.kind == "recovery":
                messages.warning(
                    request,
                    _(
                        "Sie haben sich mit einem Wiederherstellungscode angemeldet; noch %(n)d Codes sind "
                        "übrig. Wenn Ihr Telefon verloren ist, lassen Sie den Authenticator zurücksetzen."
                    )
                    % {"n": result.recovery_codes_left},
                )
            return redirect(pending.next_url or "backoffice:home")
        if staff.login_failed(user=pending.user):
            return _locked(request)
        form.add_error("code", _("Der Code ist falsch oder wurde schon verwendet."))
    context = {"form": form, "demo_code": staff.totp_demo_code(pending.user)}
    return render(request, "identity/staff/second_factor.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def authenticator(request: HttpRequest) -> HttpResponse:
    """``konto/authenticator/``: set up the authenticator app (QR code, first code, recovery codes).

    Reached half logged in (the password was right, ``STAFF_TWO_FACTOR == "required"`` and there is
    no authenticator yet) or logged in as staff without one. Success logs in with ``local+totp``.
    """
    user: User | None
    pending = staff.pending_of(request)
    if isinstance(request.user, User) and request.user.is_authenticated:
        if not request.user.is_staff_account:
            return render(
                request,
                "portal/error.html",
                {"status": 403, "message": _("Das Backoffice ist nur für Dienstkonten.")},
                status=403,
            )
        user, next_url = request.user, "backoffice:home"
    elif pending is not None and pending.step == "enrol":
        user, next_url = pending.user, pending.next_url or "backoffice:home"
        if staff.is_locked(user):
            return _locked(request)
    else:
        return redirect("backoffice:login")

    device = staff.totp_device(user)
    if device is not None:
        return render(request, "identity/staff/authenticator_done.html", {"device": device})
    device = staff.totp_enrol(user=user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        address = ratelimit.client_address(request)
        if not ratelimit.hit("totp-enrol", f"{user.pk}:{address}", limit=10, window=300):
            form.add_error("code", _("Zu viele Versuche. Bitte warten Sie einige Minuten."))
        else:
            try:
                codes = staff.totp_confirm(user=user, code=form.cleaned_data["code"])
            except staff.InvalidCode:
                form.add_error(
                    "code", _("Der Code ist falsch oder abgelaufen. Prüfen Sie die Uhrzeit des Telefons.")
                )
            else:
                staff.staff_login(request, user=user, second_factor=True)
                return render(
                    request,
                    "identity/staff/recovery_codes.html",
                    {"codes": codes, "next_url": resolve_url(next_url)},
                )
    secret = device.secret
    return render(
        request,
        "identity/staff/authenticator.html",
        {
            "form": form,
            "qr_data_uri": staff.totp_qr_data_uri(device),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "half_logged_in": not request.user.is_authenticated,
        },
    )
