from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import admin_staff
from .models import User


@admin.register(User)
class AccountAdmin(UserAdmin[User]):
    list_display = ("email", "first_name", "last_name", "kind", "is_active", "locked_until")
    actions = [admin_staff.reset_authenticator, admin_staff.unlock]
    list_filter = ("kind", "is_active", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Kontoart"), {"fields": ("kind",)}),
    )
