"""Accounts (Benutzerkonten) of citizens and staff."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountManager(UserManager["User"]):
    """Accounts are identified by e-mail address; the username mirrors it."""

    def create_user(
        self, username: str | None = None, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        email = self.normalize_email(email or username or "")
        return super().create_user(username=email, email=email, password=password, **extra)

    def create_superuser(
        self, username: str | None = None, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        email = self.normalize_email(email or username or "")
        extra.setdefault("kind", User.Kind.STAFF)
        return super().create_superuser(username=email, email=email, password=password, **extra)


class User(AbstractUser):
    """An account (Benutzerkonto): a citizen or business representative, or a member of staff.

    Citizens and staff are kept apart by ``kind``: a citizen account never gets staff rights, and
    staff work under their own account, not a private one.
    """

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Bürgerin/Bürger")
        STAFF = "staff", _("Beschäftigte/r")

    email = models.EmailField(_("E-Mail-Adresse"), unique=True)
    kind = models.CharField(
        _("Kontoart"),
        max_length=16,
        choices=Kind.choices,
        default=Kind.CITIZEN,
        help_text=_("Bürgerkonten und Dienstkonten sind getrennt."),
    )

    objects: ClassVar[AccountManager] = AccountManager()

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_staff_account(self) -> bool:
        return self.kind == self.Kind.STAFF
