"""Django admin for the catalogue; offerings are scoped to the acting user's authorities."""

from __future__ import annotations

from django.contrib import admin

from amtsweg.tenancy.admin import AuthorityScopedAdmin

from .models import Lebenslage, OzgService, ResponsibilityOverride, Service, ServiceOffering, Themenfeld


@admin.register(Themenfeld)
class ThemenfeldAdmin(admin.ModelAdmin[Themenfeld]):
    list_display = ("name", "slug")
    search_fields = ("name",)


@admin.register(Lebenslage)
class LebenslageAdmin(admin.ModelAdmin[Lebenslage]):
    list_display = ("name", "themenfeld")
    list_filter = ("themenfeld",)
    search_fields = ("name",)


@admin.register(OzgService)
class OzgServiceAdmin(admin.ModelAdmin[OzgService]):
    list_display = ("ozg_id", "name", "themenfeld", "lebenslage")
    list_filter = ("themenfeld",)
    search_fields = ("ozg_id", "name")
    list_select_related = ("themenfeld", "lebenslage")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ("leika_key", "name", "responsible_level", "required_trust_level", "ozg_service")
    list_filter = ("responsible_level", "required_trust_level")
    search_fields = ("leika_key", "name", "keywords")
    list_select_related = ("ozg_service",)
    raw_id_fields = ("ozg_service",)


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(AuthorityScopedAdmin):
    list_display = ("service", "authority", "enabled", "maturity")
    list_filter = ("enabled", "maturity", "authority")
    search_fields = ("service__name", "service__leika_key")
    list_select_related = ("service", "authority")
    raw_id_fields = ("service", "office")


@admin.register(ResponsibilityOverride)
class ResponsibilityOverrideAdmin(admin.ModelAdmin[ResponsibilityOverride]):
    list_display = ("service", "area", "responsible")
    raw_id_fields = ("service",)
    list_select_related = ("service", "area", "responsible")
