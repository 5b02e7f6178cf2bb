"""Django admin for form definitions: read-mostly; versions are created and published through services.

Published and retired versions are immutable (a draft keeps the version it started on), so the admin
never edits a version's definition; new versions come from the importer or the back office.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amtsweg.core.problems import Problem

from .models import FormDefinition, FormVersion
from .selectors import form_definitions_for, may_change_form
from .services import form_version_publish

CHANNEL_ADMIN = "admin"


class FormVersionInline(admin.TabularInline[FormVersion, FormDefinition]):
    model = FormVersion
    extra = 0
    fields = ("number", "status", "source", "created_at", "published_at")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FormDefinition)
class FormDefinitionAdmin(admin.ModelAdmin[FormDefinition]):
    list_display = ("name", "service", "authority", "created_at")
    list_filter = ("authority",)
    search_fields = ("name", "service__name", "service__leika_key")
    list_select_related = ("service", "authority")
    raw_id_fields = ("service",)
    inlines = [FormVersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FormDefinition]:
        queryset = super().get_queryset(request)
        return (
            queryset
            if request.user.is_superuser
            else queryset.filter(pk__in=form_definitions_for(request.user))
        )

    def has_change_permission(self, request: HttpRequest, obj: FormDefinition | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or request.user.is_superuser or may_change_form(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: FormDefinition | None = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(FormVersion)
class FormVersionAdmin(admin.ModelAdmin[FormVersion]):
    list_display = ("definition", "number", "status", "source", "created_at", "published_at")
    list_filter = ("status",)
    search_fields = ("definition__name", "definition__service__leika_key", "source")
    list_select_related = ("definition__service", "definition__authority")
    readonly_fields = ("definition", "number", "status", "schema", "source", "created_at", "published_at")
    actions = ["publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FormVersion]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(definition__in=form_definitions_for(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from the importer or the back office, never typed in by hand

    def has_delete_permission(self, request: HttpRequest, obj: FormVersion | None = None) -> bool:
        # Only drafts nobody has started an application with may go; the database protects the rest.
        if obj is not None and (obj.status != FormVersion.Status.DRAFT or obj.drafts.exists()):
            return False
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    @admin.action(description=_("Ausgewählte Versionen veröffentlichen"))
    def publish(self, request: HttpRequest, queryset: QuerySet[FormVersion]) -> None:
        for version in queryset.select_related("definition"):
            try:
                form_version_publish(version=version, actor=request.user, channel=CHANNEL_ADMIN)
            except Problem as problem:
                self.message_user(request, f"{version}: {problem.localized()}", messages.ERROR)
            else:
                self.message_user(request, _("%(version)s ist veröffentlicht.") % {"version": version})
