"""Back-office forms: staff login and offering settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import ServiceOffering
from amtsweg.identity.forms import AccountLoginForm
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority, Office


class StaffLoginForm(AccountLoginForm):
    """Login for staff accounts only, rate limited per client address and per account."""

    account_kind = User.Kind.STAFF
    error_messages = {
        **AccountLoginForm.error_messages,
        "wrong_kind": _(
            "Dieses Konto ist kein Dienstkonto. Bürgerinnen und Bürger melden sich im Portal an."
        ),
    }


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
