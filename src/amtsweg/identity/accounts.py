"""Local accounts: e-mail confirmation and password reset, both by a link that expires.

Links carry a signed, time-limited token; nothing secret is stored. The confirmation token signs the
account id and address (a changed address invalidates it); the password-reset token is Django's
(it becomes invalid once the password changes or the person logs in). E-mails are sent by the outbox
with only the account id in the payload: the token is made when the e-mail is written.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from amtsweg.outbox import conf
from amtsweg.outbox.handlers import send_to_account
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, handler
from amtsweg.outbox.services import external_effect, outbox_enqueue

from .models import User

_CONFIRM_SALT = "amtsweg.identity.confirm-email"


def confirmation_token(user: User) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign_object({"u": user.pk, "e": user.email})


def account_for_confirmation(token: str) -> User | None:
    """The unconfirmed account ``token`` confirms, or ``None`` (expired, altered, address changed)."""
    try:
        value = signing.TimestampSigner(salt=_CONFIRM_SALT).unsign_object(
            token, max_age=settings.EMAIL_CONFIRMATION_SECONDS
        )
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        return None
    user = User.objects.filter(pk=value["u"], kind=User.Kind.CITIZEN, is_active=True).first()
    if user is None or user.email != value.get("e"):
        return None
    return user


def account_confirm(*, user: User) -> None:
    """Mark the account's address as confirmed (a second click changes nothing)."""
    User.objects.filter(pk=user.pk, email_verified_at=None).update(email_verified_at=timezone.now())


def confirmation_send(*, user: User) -> None:
    """Send (again) the confirmation link; at most one e-mail per account and hour."""
    hour = timezone.now().strftime("%Y%m%d%H")
    with transaction.atomic():
        outbox_enqueue(
            kind="email.account_confirm", payload={"user": user.pk}, dedupe_key=f"confirm:{user.pk}:{hour}"
        )


def password_reset_send(*, user: User) -> None:
    """Send a password-reset link; at most one e-mail per account and quarter of an hour."""
    slot = timezone.now().strftime("%Y%m%d%H") + str(timezone.now().minute // 15)
    with transaction.atomic():
        outbox_enqueue(
            kind="email.password_reset", payload={"user": user.pk}, dedupe_key=f"reset:{user.pk}:{slot}"
        )


def _account(outbox: OutboxMessage) -> User | None:
    value = outbox.payload.get("user")
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentFailure("payload has no 'user' id")
    return User.objects.filter(pk=value, kind=User.Kind.CITIZEN).first()


@handler("email.account_confirm")
@external_effect
def email_account_confirm(outbox: OutboxMessage) -> None:
    """The link that confirms a new account's e-mail address (payload ``{"user": <id>}``)."""
    user = _account(outbox)
    if user is None or user.email_verified_at is not None:
        return
    link = conf.public_url() + reverse("portal:confirm_email", args=[confirmation_token(user)])
    hours = settings.EMAIL_CONFIRMATION_SECONDS // 3600
    send_to_account(
        outbox,
        user,
        subject=_("Bitte bestätigen Sie Ihre E-Mail-Adresse"),
        template="email/account_confirm",
        context={"link": link, "hours": str(hours)},
    )


@handler("email.password_reset")
@external_effect
def email_password_reset(outbox: OutboxMessage) -> None:
    """The link to choose a new password (payload ``{"user": <id>}``)."""
    user = _account(outbox)
    if user is None or not user.is_active:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = conf.public_url() + reverse(
        "portal:password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
    )
    send_to_account(
        outbox,
        user,
        subject=_("Neues Passwort für Ihr Bürgerkonto"),
        template="email/password_reset",
        context={"link": link},
    )
