"""Django admin of vehicle registration: the local register (kept by the Zulassungsbehörde's
administrators; the demo's and a district's without a KBA connection) and read-only views of the
vehicle parts of moves and of plate reservations, scoped like every other read."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from amtsweg.tenancy import access
from amtsweg.tenancy.admin import AuthorityScopedAdmin
from amtsweg.tenancy.models import Authority

from .models import PlateReservation, RegisteredVehicle, VehicleChange


def _registration_authority_id() -> int | None:
    return Authority.objects.filter(ags=settings.VEHICLES_AUTHORITY_AGS).values_list("pk", flat=True).first()


@admin.register(RegisteredVehicle)
class RegisteredVehicleAdmin(admin.ModelAdmin[RegisteredVehicle]):
    """The local register holds personal data of holders: only the Zulassungsbehörde's staff read it,
    only its administrators change it."""

    list_display = ["plate", "district_prefix", "make", "model", "holder_family_name", "updated_at"]
    list_filter = ["district_prefix"]
    search_fields = ["plate", "vin"]

    def _may(self, request: HttpRequest, *, administer: bool) -> bool:
        if request.user.is_superuser:
            return True
        authority_id = _registration_authority_id()
        return authority_id is not None and access.can_access(
            request.user, authority_id, administer=administer
        )

    def has_view_permission(self, request: HttpRequest, obj: RegisteredVehicle | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._may(request, administer=False)

    def has_change_permission(self, request: HttpRequest, obj: RegisteredVehicle | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._may(request, administer=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self._may(request, administer=True)

    def has_delete_permission(self, request: HttpRequest, obj: RegisteredVehicle | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may(request, administer=True)


@admin.register(VehicleChange)
class VehicleChangeAdmin(AuthorityScopedAdmin):
    """Read-only: vehicles are recorded on the vehicle-part page, where the register is written once."""

    authority_path = "case__authority"
    list_display = ["plate", "case", "register_check", "outcome", "recorded_at"]
    list_filter = ["register_check", "outcome"]
    list_select_related = ["case"]
    search_fields = ["plate", "case__reference"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in VehicleChange._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(PlateReservation)
class PlateReservationAdmin(AuthorityScopedAdmin):
    """Read-only: reservations are made, extended and released through their services (fee, audit)."""

    list_display = ["plate", "status", "reserved_at", "expires_at", "extensions"]
    list_filter = ["status"]
    search_fields = ["plate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in PlateReservation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
