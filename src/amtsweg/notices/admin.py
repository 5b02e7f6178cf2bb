"""Django admin for notice templates (Bescheidvorlagen), scoped like every other authority-owned row.

Authority administrators edit their own authority's variants; the alliance's templates (no
authority) are visible to everyone who may read templates and changed only by alliance
administrators. The template text is checked in the sandbox it will run in, before it is saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.admin import AuthorityScopedAdmin

from . import sandbox
from .models import NoticeTemplate
from .services import fee_lines_clean


def _administers_alliance(user: Any) -> bool:
    return bool(user.is_superuser) or (
        isinstance(user, User) and user.is_staff_account and user.administered_alliances.exists()
    )


class NoticeTemplateForm(forms.ModelForm[NoticeTemplate]):
    class Meta:
        model = NoticeTemplate
        fields = [
            "service",
            "authority",
            "decision",
            "subject",
            "body",
            "legal_remedy",
            "fee_lines",
            "is_active",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 14, "cols": 90})}

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        try:
            sandbox.check_template(body)
        except sandbox.TemplateError as exc:
            raise forms.ValidationError(
                _("Die Vorlage ist fehlerhaft: %(error)s"), params={"error": exc}, code="template"
            ) from exc
        return body

    def clean_fee_lines(self) -> list[dict[str, Any]]:
        lines = self.cleaned_data["fee_lines"] or []
        try:
            cleaned = fee_lines_clean(lines)
        except Problem as problem:
            raise forms.ValidationError(problem.localized(), code="fee_lines") from problem
        return [{**line, "amount": f"{line['amount']:.2f}"} for line in cleaned]


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(AuthorityScopedAdmin):
    form = NoticeTemplateForm
    list_display = ("subject", "service", "authority", "decision", "is_active")
    list_filter = ("decision", "is_active", "authority")
    search_fields = ("subject", "service__name", "service__leika_key")
    list_select_related = ("service", "authority")
    raw_id_fields = ("service",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        # Alliance templates are the base every authority's staff builds on: readable for them.
        readable = access.visible_authority_ids(request.user)
        if not readable:
            return queryset.none()
        return queryset.filter(Q(authority_id__in=readable) | Q(authority__isnull=True))

    def _may_change(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return (
                _administers_alliance(request.user)
                or access.authorities_for(request.user, administer=True).exists()
            )
        assert isinstance(obj, NoticeTemplate)
        if obj.authority_id is None:
            return _administers_alliance(request.user)
        return access.can_access(request.user, obj.authority_id, administer=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self._may_change(request, None)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "authority" and not request.user.is_superuser:
            kwargs["queryset"] = access.authorities_for(request.user, administer=True)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "authority" and field is not None and not _administers_alliance(request.user):
            field.required = True  # only alliance administrators write the alliance's templates
        return field

    def save_model(self, request: HttpRequest, obj: NoticeTemplate, form: Any, change: bool) -> None:
        if not self._may_change(request, obj):
            raise PermissionDenied  # e.g. an alliance template posted by an authority administrator
        super().save_model(request, obj, form, change)
