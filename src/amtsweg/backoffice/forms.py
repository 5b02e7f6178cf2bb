"""Back-office forms: staff login and offering settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import ServiceOffering
from amtsweg.identity import staff
from amtsweg.identity.forms import AccountLoginForm
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority, Office


class StaffLoginForm(AccountLoginForm):
    """Login for staff accounts only, rate limited per client address and per account.

    A locked account (``identity.staff``) gets the same answer whether or not the password is right:
    the lock is checked before the password. Failed passwords are counted by ``identity.staff``
    (``user_login_failed``), whichever login form they were entered in.
    """

    account_kind = User.Kind.STAFF
    error_messages = {
        **AccountLoginForm.error_messages,
        "wrong_kind": _(
            "Dieses Konto ist kein Dienstkonto. Bürgerinnen und Bürger melden sich im Portal an."
        ),
        "locked": staff.LOCKED_MESSAGE,
    }

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("username", ""))
        if staff.staff_account_locked(email):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError as error:
            if staff.staff_account_locked(email):  # this attempt reached the threshold
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from error
            raise


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
