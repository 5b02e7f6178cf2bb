"""Django admin (German) for configuring authorities; non-superusers see only what ``access`` allows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet, URLField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import access
from .models import Alliance, AuditEvent, Authority, Membership, Office, OpeningHours, PostcodeArea, Team

admin.site.site_header = _("Amtsweg – Konfiguration")
admin.site.site_title = _("Amtsweg")
admin.site.index_title = _("Konfiguration des Verbunds")


class AuthorityScopedAdmin(admin.ModelAdmin[Any]):
    """Admin whose rows belong to an authority (via ``authority_path``): scoped like every other read."""

    authority_path = "authority"
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return access.scope(queryset, request.user, via=self.authority_path)

    def _may_change(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return access.authorities_for(request.user, administer=True).exists()
        target: Any = obj
        for part in self.authority_path.split("__"):
            target = getattr(target, part)
        return access.can_access(
            request.user, target if isinstance(target, int) else target.pk, administer=True
        )

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_change(request, obj)


class OpeningHoursInline(admin.TabularInline[OpeningHours, Office]):
    model = OpeningHours
    extra = 0


@admin.register(Alliance)
class AllianceAdmin(admin.ModelAdmin[Alliance]):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("administrators",)


@admin.register(Authority)
class AuthorityAdmin(AuthorityScopedAdmin):
    authority_path = "pk"
    list_display = ("name", "kind", "ags", "regional_key", "parent", "is_active")
    list_filter = ("kind", "is_active", "alliance")
    search_fields = ("name", "ags", "regional_key")
    list_select_related = ("parent",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Office)
class OfficeAdmin(AuthorityScopedAdmin):
    list_display = ("name", "authority", "postcode", "city")
    list_filter = ("authority",)
    search_fields = ("name", "city", "postcode")
    list_select_related = ("authority",)
    inlines = [OpeningHoursInline]


@admin.register(Team)
class TeamAdmin(AuthorityScopedAdmin):
    list_display = ("name", "authority")
    list_filter = ("authority",)
    filter_horizontal = ("members",)
    list_select_related = ("authority",)


@admin.register(Membership)
class MembershipAdmin(AuthorityScopedAdmin):
    list_display = ("user", "authority", "role")
    list_filter = ("role", "authority")
    search_fields = ("user__email",)
    list_select_related = ("user", "authority")


@admin.register(PostcodeArea)
class PostcodeAreaAdmin(AuthorityScopedAdmin):
    list_display = ("postcode", "street", "authority")
    search_fields = ("postcode", "street")
    list_select_related = ("authority",)


@admin.register(AuditEvent)
class AuditEventAdmin(AuthorityScopedAdmin):
    """Read-only: the audit trail is written by the platform, never edited."""

    list_display = ("at", "actor", "authority", "action", "object_type", "object_id", "channel")
    list_filter = ("action", "channel", "authority")
    list_select_related = ("actor", "authority")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
