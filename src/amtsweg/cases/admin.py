"""Django admin for cases: the status models (configuration) and a read-only, audited view of cases.

Cases are worked in the back office; the admin shows them read-only, scoped to the acting user's
authorities, and records every opened case in the access audit like the back office does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amtsweg.tenancy import access
from amtsweg.tenancy.admin import AuthorityScopedAdmin
from amtsweg.tenancy.models import AuditEvent

from .models import Case, CaseEvent, ReferenceCounter, StatusDefinition


class StatusDefinitionForm(forms.ModelForm[StatusDefinition]):
    class Meta:
        model = StatusDefinition
        fields = [
            "service",
            "key",
            "label_de",
            "label_en",
            "phase",
            "order",
            "next_keys",
            "visible_to_applicant",
        ]

    def clean_next_keys(self) -> list[str]:
        keys = self.cleaned_data.get("next_keys") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise forms.ValidationError(
                _('Bitte eine Liste von Status-Schlüsseln angeben, z. B. ["in_bearbeitung"].')
            )
        service = self.cleaned_data.get("service")
        same_model = StatusDefinition.objects.filter(
            Q(service=service) if service is not None else Q(service__isnull=True)
        ).values_list("key", flat=True)
        known = set(same_model) | {self.cleaned_data.get("key") or ""}
        unknown = sorted(set(keys) - known)
        if unknown:
            raise forms.ValidationError(
                _("Diese Status gibt es im Statusmodell nicht: %(keys)s"), params={"keys": ", ".join(unknown)}
            )
        return keys


@admin.register(StatusDefinition)
class StatusDefinitionAdmin(admin.ModelAdmin[StatusDefinition]):
    form = StatusDefinitionForm
    list_display = ("service", "order", "key", "label_de", "phase", "next_keys", "visible_to_applicant")
    list_filter = ("phase",)
    search_fields = ("key", "label_de", "service__name", "service__leika_key")
    list_select_related = ("service",)
    raw_id_fields = ("service",)
    ordering = ("service_id", "order")


class CaseEventInline(admin.TabularInline[CaseEvent, Case]):
    model = CaseEvent
    fields = ("at", "kind", "status", "actor", "detail", "visible_to_applicant")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(AuthorityScopedAdmin):
    """Read-only: changes go through the back office, where every step is a service with history."""

    list_display = (
        "reference",
        "authority",
        "service",
        "status",
        "phase",
        "assignee",
        "submitted_at",
        "due_date",
    )
    list_filter = ("phase", "authority")
    search_fields = ("reference",)
    list_select_related = ("authority", "service", "assignee")
    show_full_result_count = False  # no COUNT(*) over a million cases on every page
    inlines = [CaseEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [field.name for field in Case._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        case = super().get_object(request, object_id, from_field)
        if case is not None:
            access.audit(
                actor=request.user,
                action=AuditEvent.Action.READ,
                obj=case,
                authority_id=case.authority_id,
                channel="admin",
            )
        return case


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(AuthorityScopedAdmin):
    """The number ranges, for inspection: changing one by hand would break gap-free numbering."""

    list_display = ("authority", "year", "last")
    list_filter = ("year",)
    list_select_related = ("authority",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
