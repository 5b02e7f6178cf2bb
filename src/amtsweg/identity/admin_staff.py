"""Django admin for staff security: reset a lost authenticator, lift a lockout.

The actions are offered on the account list (``identity.admin.AccountAdmin.actions``) and on the
authenticator list registered here. Secrets and recovery-code hashes are never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import staff
from .models import TotpDevice, User


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@admin.action(description=_("Authenticator zurücksetzen (neu einrichten bei der nächsten Anmeldung)"))
def reset_authenticator(
    modeladmin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]
) -> None:
    done = sum(staff.totp_reset(user=user, actor=_actor(request)) for user in queryset)
    modeladmin.message_user(
        request,
        ngettext("%(n)d Authenticator zurückgesetzt.", "%(n)d Authenticatoren zurückgesetzt.", done)
        % {"n": done},
        messages.SUCCESS,
    )


@admin.action(description=_("Sperre nach Fehlversuchen aufheben"))
def unlock(modeladmin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]) -> None:
    done = queryset.update(failed_login_count=0, locked_until=None)
    modeladmin.message_user(
        request, ngettext("%(n)d Konto entsperrt.", "%(n)d Konten entsperrt.", done) % {"n": done}
    )


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin[TotpDevice]):
    list_display = ("user", "confirmed_at")
    list_filter = ("confirmed_at",)
    search_fields = ("user__email",)
    fields = ("user", "confirmed_at")
    readonly_fields = ("user", "confirmed_at")
    actions = ["reset"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the person sets it up at login; nobody else may know the secret

    def has_change_permission(self, request: HttpRequest, obj: TotpDevice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TotpDevice | None = None) -> bool:
        return False  # only through the audited action

    def has_reset_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("identity.delete_totpdevice")

    @admin.action(description=_("Authenticator zurücksetzen"), permissions=["reset"])
    def reset(self, request: HttpRequest, queryset: QuerySet[TotpDevice]) -> None:
        users = User.objects.filter(pk__in=queryset.values("user_id"))
        reset_authenticator(self, request, users)  # type: ignore[arg-type]
