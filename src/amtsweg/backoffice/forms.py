"""Back-office forms: staff login and offering settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import ServiceOffering
from amtsweg.core import ratelimit
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority, Office


class StaffLoginForm(AuthenticationForm):
    """Login for staff accounts only, rate limited per client address and per account."""

    username = forms.EmailField(
        label=_("E-Mail-Adresse"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("E-Mail-Adresse oder Passwort ist falsch."),
        "not_staff": _("Dieses Konto ist kein Dienstkonto. Bürgerinnen und Bürger melden sich im Portal an."),
        "rate_limited": _("Zu viele Anmeldeversuche. Bitte warten Sie einige Minuten."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)

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
        if not (isinstance(user, User) and user.is_staff_account):
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class OfferingForm(forms.ModelForm[ServiceOffering]):
    online_url = forms.URLField(
        label=_("Online-Dienst"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = ServiceOffering
        fields = ["enabled", "maturity", "online_url", "contact_email", "contact_phone", "office"]

    def __init__(self, *args: Any, authority: Authority, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        office_field = self.fields["office"]
        assert isinstance(office_field, forms.ModelChoiceField)
        office_field.queryset = Office.objects.filter(authority=authority)
