"""Django admin for the care finder (superusers): settings and registry editable; history rows
(reports, reminders, alert notifications, releases) read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AlertCell,
    AlertNotification,
    AlertSubscription,
    CareFinder,
    CareOffer,
    Facility,
    FacilityPhoto,
    OpenDataRelease,
    ReportReminder,
    VacancyReport,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CareFinder)
class CareFinderAdmin(admin.ModelAdmin[Any]):
    list_display = ("authority", "enabled", "report_due_time", "reminders_enabled", "escalate_after_days")


class CareOfferInline(admin.TabularInline[Any, Any]):
    model = CareOffer
    extra = 0
    readonly_fields = ("free_now", "reported_at", "expected")


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin[Any]):
    list_display = ("name", "town", "operator", "authority", "active")
    list_filter = ("active", "authority")
    search_fields = ("name", "town", "postcode")
    raw_id_fields = ("operator",)
    inlines = [CareOfferInline]


@admin.register(VacancyReport)
class VacancyReportAdmin(ReadOnlyAdmin):
    list_display = ("offer", "free_places", "reported_at", "channel")
    list_filter = ("channel",)
    raw_id_fields = ("offer", "reported_by")


@admin.register(FacilityPhoto)
class FacilityPhotoAdmin(admin.ModelAdmin[Any]):
    list_display = ("facility", "alt_text", "position")
    raw_id_fields = ("facility",)


@admin.register(ReportReminder)
class ReportReminderAdmin(ReadOnlyAdmin):
    list_display = ("facility", "due_date", "sent_at")
    raw_id_fields = ("facility",)


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(admin.ModelAdmin[Any]):
    list_display = ("care_type", "radius_km", "place_label", "created_at", "confirmed_at", "unsubscribed_at")
    readonly_fields = ("key", "created_at", "confirmed_at", "unsubscribed_at", "last_notified_at")


@admin.register(AlertCell)
class AlertCellAdmin(ReadOnlyAdmin):
    list_display = ("subscription", "cell", "care_type")
    raw_id_fields = ("subscription",)


@admin.register(AlertNotification)
class AlertNotificationAdmin(ReadOnlyAdmin):
    list_display = ("subscription", "report", "created_at")
    raw_id_fields = ("subscription", "report")


@admin.register(OpenDataRelease)
class OpenDataReleaseAdmin(ReadOnlyAdmin):
    list_display = ("finder", "date", "rows", "created_at")
