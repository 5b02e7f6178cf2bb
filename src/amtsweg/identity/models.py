"""Accounts (Benutzerkonten) of citizens and staff, the identities proven for them, organisations.

A citizen account can be reached by several login methods (local password, OIDC, BundID-style
SAML); each external identity is linked once (``ExternalIdentity``). The trust level of a login
lives in the session (``identity.assurance``), not on the account: the same person may log in with a
password today and with the eID card tomorrow.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
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

    email_verified_at = models.DateTimeField(
        _("E-Mail-Adresse bestätigt am"),
        null=True,
        blank=True,
        help_text=_("Ein lokales Konto meldet sich erst nach der Bestätigung der Adresse an."),
    )
    failed_login_count = models.PositiveSmallIntegerField(
        _("Fehlversuche in Folge"), default=0, editable=False
    )
    locked_until = models.DateTimeField(
        _("gesperrt bis"),
        null=True,
        blank=True,
        help_text=_("Nach wiederholten Fehlversuchen gesperrt; leer lassen, um die Sperre aufzuheben."),
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


class ExternalIdentity(models.Model):
    """An identity proven by an external provider (OIDC, SAML/BundID), linked to one citizen account.

    ``(method, issuer, subject)`` is the provider's stable identifier of the person (OIDC ``sub``,
    SAML persistent NameID or BundID bPK2); it is linked once. ``attributes`` keeps only what the
    platform uses (names, birth date, address) as last asserted, for prefilling forms.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("Konto"),
    )
    method = models.CharField(_("Anmeldeverfahren"), max_length=40)
    issuer = models.CharField(_("Aussteller"), max_length=300)
    subject = models.CharField(_("Kennung beim Aussteller"), max_length=300)
    level = models.CharField(_("zuletzt nachgewiesenes Vertrauensniveau"), max_length=16)
    attributes: models.JSONField[dict[str, Any]] = models.JSONField(_("Merkmale"), default=dict, blank=True)
    created_at = models.DateTimeField(_("verknüpft am"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("zuletzt angemeldet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("externe Identität")
        verbose_name_plural = _("externe Identitäten")
        constraints = [
            models.UniqueConstraint(fields=["method", "issuer", "subject"], name="external_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method}:{self.issuer}"


class Organisation(models.Model):
    """A business or association a person may act for (Unternehmenskonto-style organisation identity).

    ``identifier`` is the register key that identifies it (e.g. ``HRB 12345, Amtsgericht Neuss`` or
    the ELSTER organisation certificate's ID); ``verified_by`` names the method that proved it
    (empty: declared by the person, not verified).
    """

    name = models.CharField(_("Name"), max_length=300)
    legal_form = models.CharField(_("Rechtsform"), max_length=100, blank=True)
    identifier = models.CharField(_("Register- oder Steuerkennung"), max_length=100)
    address = models.CharField(_("Anschrift"), max_length=300, blank=True)
    verified_by = models.CharField(_("nachgewiesen durch"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Organisation")
        verbose_name_plural = _("Organisationen")
        constraints = [models.UniqueConstraint(fields=["identifier"], name="organisation_identifier_unique")]

    def __str__(self) -> str:
        return self.name


class OrganisationMembership(models.Model):
    """That a person may act for an organisation, and in which role."""

    class Role(models.TextChoices):
        REPRESENTATIVE = "representative", _("Vertretungsberechtigte/r")
        EMPLOYEE = "employee", _("Beschäftigte/r mit Vollmacht")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("Organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="organisation_memberships",
        verbose_name=_("Person"),
    )
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices, default=Role.REPRESENTATIVE)
    created_at = models.DateTimeField(_("seit"), auto_now_add=True)

    class Meta:
        verbose_name = _("Vertretungsbefugnis")
        verbose_name_plural = _("Vertretungsbefugnisse")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="organisation_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.organisation_id}"


class TotpDevice(models.Model):
    """The TOTP authenticator (RFC 6238) of a staff account: second factor of every staff login.

    ``last_step`` is the time step of the last accepted code, so a code is accepted once only
    (no replay within its 30-second window). ``confirmed_at`` is set once the person has entered
    a first valid code; an unconfirmed device does not count.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
        verbose_name=_("Konto"),
    )
    secret = models.CharField(_("Geheimnis (Base32)"), max_length=64, editable=False)
    confirmed_at = models.DateTimeField(_("eingerichtet am"), null=True, blank=True)
    last_step = models.BigIntegerField(_("letzter Zeitschritt"), default=0, editable=False)
    recovery_codes: models.JSONField[list[str]] = models.JSONField(
        _("Wiederherstellungscodes (Hashes)"), default=list, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("Authenticator")
        verbose_name_plural = _("Authenticatoren")

    def __str__(self) -> str:
        return str(self.user_id)
