"""Django admin for process models: lane → team assignments and a read-only view of versions."""

from __future__ import annotations

from django.contrib import admin

from .models import LaneTeam, ProcessDefinition, ProcessVersion


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin[ProcessDefinition]):
    list_display = ["name", "service", "authority"]
    list_select_related = ["service", "authority"]
    search_fields = ["name", "service__name", "service__leika_key"]


@admin.register(ProcessVersion)
class ProcessVersionAdmin(admin.ModelAdmin[ProcessVersion]):
    """Versions are created by upload and published in the back office; here they are only read."""

    list_display = ["definition", "number", "status", "executable", "created_at"]
    list_filter = ["status", "executable"]
    readonly_fields = [f.name for f in ProcessVersion._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(LaneTeam)
class LaneTeamAdmin(admin.ModelAdmin[LaneTeam]):
    list_display = ["definition", "authority", "lane", "team"]
    list_select_related = ["definition", "authority", "team"]
