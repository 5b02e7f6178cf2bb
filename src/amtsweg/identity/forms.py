"""Account forms: the one rate-limited login both portals use, and citizen registration."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amtsweg.core import ratelimit

from .models import User


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AccountLoginForm(AuthenticationForm):
    """Login with e-mail and password for one kind of account, rate limited per address and account.

    The limits are shared by the portal and the back office (same cache keys), so switching the
    login page gives an attacker no extra attempts. Subclasses set ``account_kind`` and the
    ``wrong_kind`` message.
    """

    account_kind: ClassVar[str]
    username = forms.EmailField(
        label=_("E-Mail-Adresse"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("E-Mail-Adresse oder Passwort ist falsch."),
        "rate_limited": _("Zu viele Anmeldeversuche. Bitte warten Sie einige Minuten."),
        "wrong_kind": _("Dieses Konto kann sich hier nicht anmelden."),
        "unconfirmed": _(
            "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse mit dem Link, den wir Ihnen geschickt haben."
        ),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        password = self.fields["password"]
        password.widget.attrs["autocomplete"] = "current-password"

    def clean(self) -> dict[str, Any]:
        limit, window = settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW
        email = str(self.data.get("username", "")).strip().lower()
        address = ratelimit.client_address(self.request) if self.request else "unknown"
        if not (
            ratelimit.hit("login-ip", address, limit=limit * 3, window=window)
            and ratelimit.hit("login-account", email, limit=limit, window=window)
        ):
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        return super().clean()

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        # Only reached with the right password, so this reveals the account's kind to its owner only.
        if not (isinstance(user, User) and user.kind == self.account_kind):
            raise forms.ValidationError(self.error_messages["wrong_kind"], code="wrong_kind")
        if user.kind == User.Kind.CITIZEN and user.email_verified_at is None:
            raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")


class CitizenLoginForm(AccountLoginForm):
    """Login to the portal ("Mein Konto") for citizen accounts only."""

    account_kind = User.Kind.CITIZEN
    error_messages = {
        **AccountLoginForm.error_messages,
        "wrong_kind": _(
            "Dieses Konto ist ein Dienstkonto. Beschäftigte melden sich im Backoffice an, "
            "nicht im Bürgerkonto."
        ),
    }


class EmailForm(forms.Form):
    """Just an e-mail address (password reset, confirmation link again)."""

    email = _email_field()


class RegistrationForm(forms.Form):
    """A new citizen account: e-mail, name and a password that passes the configured validators.

    Whether the address already has an account is never said (see ``identity.views.register``).
    """

    email = _email_field()
    first_name = forms.CharField(
        label=_("Vorname"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nachname"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Mindestens 10 Zeichen; nicht nur Ziffern und kein häufig genutztes Passwort."),
    )
    password2 = forms.CharField(
        label=_("Passwort wiederholen"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # One spelling per address: the login looks the account up exactly as stored.
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Die beiden Passwörter stimmen nicht überein."))
        elif first:
            candidate = User(
                email=cleaned.get("email", ""),
                username=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
