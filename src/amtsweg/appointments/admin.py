"""Django admin of appointments: every model, scoped to the authorities the account may see."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from amtsweg.tenancy.admin import AuthorityScopedAdmin

from .models import (
    Appointment,
    AppointmentItem,
    AppointmentOffice,
    AppointmentRequest,
    BookingLock,
    Break,
    Closure,
    Counter,
    LeadTimeSample,
    Occupancy,
    OfficeService,
    QueueTicket,
)

OFFICE_AUTHORITY = "office__office__authority"


class OfficeServiceInline(admin.TabularInline[OfficeService, AppointmentOffice]):
    model = OfficeService
    extra = 0
    raw_id_fields = ("service",)


class CounterInline(admin.TabularInline[Counter, AppointmentOffice]):
    model = Counter
    extra = 0
    filter_horizontal = ("services",)


class BreakInline(admin.TabularInline[Break, AppointmentOffice]):
    model = Break
    extra = 0


@admin.register(AppointmentOffice)
class AppointmentOfficeAdmin(AuthorityScopedAdmin):
    authority_path = "office__authority"
    list_display = ("office", "enabled", "grid_minutes", "book_from_days", "book_until_days", "video_enabled")
    list_filter = ("enabled", "video_enabled", "office__authority")
    list_select_related = ("office__authority",)
    search_fields = ("office__name", "office__authority__name")
    inlines = [OfficeServiceInline, CounterInline, BreakInline]


@admin.register(OfficeService)
class OfficeServiceAdmin(AuthorityScopedAdmin):
    authority_path = OFFICE_AUTHORITY
    list_display = ("service", "office", "duration_minutes", "max_quantity", "bookable_online", "video")
    list_filter = ("bookable_online", "video")
    list_select_related = ("service", "office__office")
    search_fields = ("service__name", "service__leika_key")
    raw_id_fields = ("service",)


@admin.register(Counter)
class CounterAdmin(AuthorityScopedAdmin):
    authority_path = OFFICE_AUTHORITY
    list_display = ("name", "label", "office", "active", "in_person", "video")
    list_filter = ("active", "in_person", "video")
    list_select_related = ("office__office",)
    filter_horizontal = ("services",)


@admin.register(Break)
class BreakAdmin(AuthorityScopedAdmin):
    authority_path = OFFICE_AUTHORITY
    list_display = ("office", "counter", "weekday", "starts", "ends")
    list_select_related = ("office__office", "counter")


@admin.register(Closure)
class ClosureAdmin(AuthorityScopedAdmin):
    authority_path = OFFICE_AUTHORITY
    list_display = ("office", "counter", "starts_at", "ends_at", "reason")
    list_select_related = ("office__office", "counter")
    date_hierarchy = "starts_at"


class AppointmentItemInline(admin.TabularInline[AppointmentItem, Appointment]):
    model = AppointmentItem
    extra = 0
    readonly_fields = ("service", "quantity")
    can_delete = False


@admin.register(Appointment)
class AppointmentAdmin(AuthorityScopedAdmin):
    """Appointments are changed through the booking services (occupancy, e-mails), never here."""

    list_display = ("reference", "office", "counter", "starts_at", "status", "mode", "channel")
    list_filter = ("status", "mode", "channel", "authority")
    list_select_related = ("office__office", "counter")
    search_fields = ("reference",)
    date_hierarchy = "starts_at"
    inlines = [AppointmentItemInline]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [field.name for field in Appointment._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(AuthorityScopedAdmin):
    list_display = ("case", "authority", "office", "status", "created_at")
    list_filter = ("status", "authority")
    list_select_related = ("case", "authority", "office__office")
    raw_id_fields = ("case",)


@admin.register(QueueTicket)
class QueueTicketAdmin(AuthorityScopedAdmin):
    authority_path = OFFICE_AUTHORITY
    list_display = ("number", "office", "day", "status", "counter", "checked_in_at", "called_at")
    list_filter = ("status", "day")
    list_select_related = ("office__office", "counter")
    raw_id_fields = ("appointment",)


@admin.register(LeadTimeSample)
class LeadTimeSampleAdmin(AuthorityScopedAdmin):
    authority_path = OFFICE_AUTHORITY
    list_display = ("office", "measured_at", "lead_minutes")
    list_select_related = ("office__office",)
    date_hierarchy = "measured_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class _Internal(admin.ModelAdmin[Any]):
    """Bookkeeping rows of the booking engine: visible to superusers for diagnosis, read-only."""

    def has_module_permission(self, request: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Occupancy)
class OccupancyAdmin(_Internal):
    list_display = ("counter", "unit", "appointment", "blocks_until")
    list_select_related = ("counter", "appointment")


@admin.register(BookingLock)
class BookingLockAdmin(_Internal):
    list_display = ("key",)
