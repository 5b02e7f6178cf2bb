"""Security of staff accounts: TOTP second factor, lockout after failed logins, idle timeout.

Staff log in with their password and a code from an authenticator app (TOTP, RFC 6238: 30-second
steps, 6 digits, HMAC-SHA-1 — what every authenticator app understands). A code is accepted once
only (``TotpDevice.last_step``, moved forward under a row lock), so a code seen over someone's
shoulder is worthless after its owner used it. Ten single-use recovery codes, stored as keyed
hashes, stand in for a lost phone; an administrator resets the authenticator in the Django admin.

Between the password and the code the person is *half logged in*: the account id and the time
are kept in the (anonymous) session under ``PENDING_KEY`` for ``PENDING_SECONDS``. That state is
not a Django login, so no back-office page and no staff API endpoint accepts it.

Lockout: after ``settings.STAFF_LOCKOUT_THRESHOLD`` failed logins in a row (wrong password on any
login form, or wrong code) a staff account is locked for ``settings.STAFF_LOCKOUT_SECONDS``. The
lock lives in the database (``User.locked_until``), so it survives restarts and holds for every
worker; a locked account is refused whether or not the password is right.

Citizen accounts are deliberately *not* locked out: anyone who knows a citizen's e-mail address
could otherwise lock that person out of their own applications at will. Citizens keep the rate
limit per client address and account (``identity.forms.AccountLoginForm``), which slows guessing
without handing strangers a switch to someone else's account.

Idle timeout: ``StaffIdleTimeoutMiddleware`` ends staff sessions after
``settings.STAFF_IDLE_SECONDS`` without a request. Citizen sessions keep ``SESSION_COOKIE_AGE``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import pyotp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amtsweg.core.problems import Problem

from .assurance import assurance_login
from .levels import TrustLevel
from .models import TotpDevice, User

log = logging.getLogger(__name__)

TOTP_DIGITS = 6
TOTP_INTERVAL = 30  # seconds per time step
TOTP_VALID_WINDOW = 1  # steps either side accepted: clock drift of the phone and typing time
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_GROUPS = 3  # XXXX-XXXX-XXXX: 12 base32 characters, 60 bits each
PENDING_KEY = "amtsweg_staff_pending"
PENDING_SECONDS = 300
ACTIVITY_KEY = "amtsweg_staff_activity"
ACTIVITY_WRITE_SECONDS = 60  # write the last activity at most this often (no session save per request)
METHOD_PASSWORD = "local"  # noqa: S105  (a method name, not a secret)
METHOD_TOTP = "local+totp"

Step = Literal["totp", "enrol"]
LOCKED_MESSAGE = gettext_lazy(
    "Dieses Konto ist nach mehreren Fehlversuchen vorübergehend gesperrt. Bitte versuchen Sie es "
    "später erneut oder wenden Sie sich an die Administration Ihrer Behörde."
)


class AlreadyEnrolled(Problem):
    def __init__(self) -> None:
        super().__init__(
            "Für dieses Konto ist bereits ein Authenticator eingerichtet. Die Administration kann ihn "
            "zurücksetzen.",
            "An authenticator is already set up for this account. An administrator can reset it.",
            status_code=409,
            code="totp-already-enrolled",
        )


class InvalidCode(Problem):
    def __init__(self) -> None:
        super().__init__(
            "Der Code ist falsch oder abgelaufen.",
            "The code is wrong or has expired.",
            status_code=400,
            code="totp-invalid-code",
        )


# --- TOTP ----------------------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL, digest=hashlib.sha1)


def _clean_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).upper()


def _matching_step(device: TotpDevice, code: str) -> int | None:
    """The time step ``code`` belongs to (now ± the window), if it is newer than the last one used."""
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = _totp(device.secret)
    now = totp.timecode(timezone.now())
    for step in range(now - TOTP_VALID_WINDOW, now + TOTP_VALID_WINDOW + 1):
        if step > device.last_step and constant_time_compare(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    # Keyed with SECRET_KEY: the codes are random (60 bits), so a slow hash adds nothing but time,
    # and the key keeps a copied database alone from being enough to test guesses offline.
    return salted_hmac("amtsweg.identity.staff.recovery", _clean_code(code), algorithm="sha256").hexdigest()


def _new_recovery_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper without doubt
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(RECOVERY_CODE_GROUPS)]
    return "-".join(groups)


def totp_device(user: User) -> TotpDevice | None:
    """The confirmed authenticator of ``user``, if any."""
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


@transaction.atomic
def totp_enrol(*, user: User) -> TotpDevice:
    """Start setting up an authenticator: an unconfirmed device with a new secret.

    An unconfirmed device of the same account is kept (reloading the page must not change the
    secret the person may already have scanned); a confirmed one is refused — an administrator
    resets it first (``totp_reset``).
    """
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise AlreadyEnrolled()
    if device is None:
        device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32(32))
    return device


def totp_provisioning_uri(device: TotpDevice) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code."""
    return _totp(device.secret).provisioning_uri(name=device.user.email, issuer_name=settings.PLATFORM_NAME)


def totp_qr_data_uri(device: TotpDevice) -> str:
    """The provisioning URI as an SVG QR code in a ``data:`` URI (the CSP allows ``img-src data:``)."""
    return str(segno.make(totp_provisioning_uri(device), error="m").svg_data_uri(scale=5, border=4))


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the unconfirmed device of ``user`` with a first valid code; return the recovery codes.

    The ten recovery codes are returned in plain text once, for showing; only keyed hashes are stored.
    """
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise InvalidCode()
    if device.confirmed_at is not None:
        raise AlreadyEnrolled()
    step = _matching_step(device, _clean_code(code))
    if step is None:
        raise InvalidCode()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    device.last_step = step
    device.confirmed_at = timezone.now()
    device.recovery_codes = [_recovery_hash(c) for c in codes]
    device.save(update_fields=["last_step", "confirmed_at", "recovery_codes"])
    log.info("totp device confirmed for account %s", user.pk)
    return codes


@dataclass(frozen=True)
class Verification:
    """The outcome of ``totp_verify``: which kind of code was accepted, if any."""

    kind: Literal["totp", "recovery"] | None
    recovery_codes_left: int = 0

    @property
    def ok(self) -> bool:
        return self.kind is not None


@transaction.atomic
def totp_verify(*, user: User, code: str) -> Verification:
    """Check a TOTP code (or a recovery code) of ``user``'s confirmed device, using it up.

    Under a row lock, so two requests with the same code cannot both pass: the time step of an
    accepted code becomes ``last_step`` and every code of that step or an earlier one is refused.
    """
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return Verification(None)
    cleaned = _clean_code(code)
    step = _matching_step(device, cleaned)
    if step is not None:
        device.last_step = step
        device.save(update_fields=["last_step"])
        return Verification("totp", len(device.recovery_codes))
    if len(cleaned) == 4 * RECOVERY_CODE_GROUPS:
        digest = _recovery_hash(cleaned)
        remaining = [h for h in device.recovery_codes if not constant_time_compare(h, digest)]
        if len(remaining) < len(device.recovery_codes):
            device.recovery_codes = remaining
            device.save(update_fields=["recovery_codes"])
            log.warning("recovery code used for account %s (%d left)", user.pk, len(remaining))
            return Verification("recovery", len(remaining))
    return Verification(None)


@transaction.atomic
def totp_reset(*, user: User, actor: User) -> bool:
    """Remove the authenticator of ``user`` (lost phone); the next login asks to set up a new one."""
    from amtsweg.tenancy.access import audit
    from amtsweg.tenancy.models import AuditEvent

    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return False
    audit(actor=actor, action=AuditEvent.Action.DELETE, obj=device, authority_id=None, channel="admin")
    device.delete()
    log.warning("totp device of account %s reset by account %s", user.pk, actor.pk)
    return True


@transaction.atomic
def totp_enrol_demo(*, user: User) -> TotpDevice:
    """Demo mode only: a confirmed authenticator whose code the second-factor page shows.

    So visitors of the demo see the real two-step login without installing an app. Refused outside
    demo mode: a device whose codes are printed on the page protects nothing.
    """
    if not settings.DEMO_MODE:
        raise RuntimeError("demo authenticators exist only in demo mode")
    device, _ = TotpDevice.objects.update_or_create(
        user=user,
        defaults={"secret": pyotp.random_base32(32), "confirmed_at": timezone.now(), "last_step": 0},
    )
    return device


def totp_demo_code(user: User) -> str | None:
    """In demo mode, the code of the next unused time step of ``user``'s device (for the demo hint)."""
    if not settings.DEMO_MODE:
        return None
    device = totp_device(user)
    if device is None:
        return None
    totp = _totp(device.secret)
    return totp.generate_otp(max(totp.timecode(timezone.now()), device.last_step + 1))


# --- lockout -------------------------------------------------------------------------------------


def is_locked(user: User) -> bool:
    """Whether ``user`` is a staff account locked right now (citizens are never locked)."""
    return (
        user.kind == User.Kind.STAFF and user.locked_until is not None and user.locked_until > timezone.now()
    )


def _staff_account(email: str) -> User | None:
    email = email.strip().lower()
    if not email:
        return None
    return User.objects.filter(username=email, kind=User.Kind.STAFF).first()


def staff_account_locked(email: str) -> bool:
    """Whether the staff account with this e-mail address is locked (``False`` if there is none)."""
    account = _staff_account(email)
    return account is not None and is_locked(account)


@transaction.atomic
def login_failed(*, user: User) -> bool:
    """Count a failed login of a staff account; lock it at the threshold. Returns whether it is locked.

    Failures while the account is locked do not extend the lock (otherwise an attacker could keep
    it locked forever with one attempt every few minutes).
    """
    if user.kind != User.Kind.STAFF:
        return False
    account = User.objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    if account.locked_until is not None and account.locked_until > now:
        return True
    account.failed_login_count += 1
    locked = account.failed_login_count >= settings.STAFF_LOCKOUT_THRESHOLD
    if locked:
        account.locked_until = now + timedelta(seconds=settings.STAFF_LOCKOUT_SECONDS)
        account.failed_login_count = 0
        log.warning("staff account %s locked after repeated failed logins", account.pk)
    account.save(update_fields=["failed_login_count", "locked_until"])
    user.failed_login_count, user.locked_until = account.failed_login_count, account.locked_until
    return locked


def login_succeeded(*, user: User) -> None:
    """A complete login (all factors): the count of failures starts again."""
    if user.failed_login_count or user.locked_until is not None:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None


@receiver(user_logged_in, dispatch_uid="amtsweg.identity.staff.activity_at_login")
def _activity_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start the idle clock at login, in the session write the login does anyway (no extra write later)."""
    if request is not None and isinstance(user, User) and user.kind == User.Kind.STAFF:
        request.session[ACTIVITY_KEY] = int(time.time())


@receiver(user_login_failed, dispatch_uid="amtsweg.identity.staff.count_failed_login")
def _count_failed_password(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    """Every failed ``authenticate`` (back office, portal, Django admin) counts for a staff account."""
    account = _staff_account(str(credentials.get("username") or credentials.get("email") or ""))
    if account is not None:
        login_failed(user=account)


class StaffLockoutBackend(ModelBackend):
    """Refuses a locked staff account before any password is checked, on every login form.

    Listed first in ``AUTHENTICATION_BACKENDS``: ``PermissionDenied`` stops ``authenticate`` at
    once, so no other backend checks the password and no page can reveal whether it was right.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kw: Any
    ) -> User | None:
        if username and staff_account_locked(username):
            raise PermissionDenied
        return None


# --- the half-logged-in state between password and code ---------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A person who gave the right password and still owes the second factor (or its setup)."""

    user: User
    step: Step
    next_url: str


def pending_start(request: HttpRequest, *, user: User, step: Step, next_url: str) -> None:
    """Remember that ``user`` passed the password; a new session key so no planted session gains it."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "step": step, "at": time.time(), "next": next_url}


def pending_of(request: HttpRequest) -> Pending | None:
    """The half-logged-in state of this session, if still valid (5 minutes, active staff account)."""
    stored = request.session.get(PENDING_KEY)
    if not isinstance(stored, dict):
        return None
    at = stored.get("at")
    if not isinstance(at, int | float) or not 0 <= time.time() - at <= PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id, step = stored.get("user"), stored.get("step")
    user = (
        User.objects.filter(pk=user_id, kind=User.Kind.STAFF, is_active=True).first()
        if isinstance(user_id, int)
        else None
    )
    if user is None or step not in ("totp", "enrol"):
        request.session.pop(PENDING_KEY, None)
        return None
    return Pending(user, step, str(stored.get("next") or ""))


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def staff_login(request: HttpRequest, *, user: User, second_factor: bool) -> None:
    """End a staff login: reset the failure count, log in with the method and level proven."""
    pending_clear(request)
    login_succeeded(user=user)
    assurance_login(
        request,
        user=user,
        method=METHOD_TOTP if second_factor else METHOD_PASSWORD,
        level=TrustLevel.SUBSTANTIAL if second_factor else TrustLevel.NORMAL,
    )
    request.session[ACTIVITY_KEY] = int(time.time())


# --- idle timeout --------------------------------------------------------------------------------


class StaffIdleTimeoutMiddleware:
    """Logs staff sessions out after ``settings.STAFF_IDLE_SECONDS`` without a request.

    The time of the last request is kept in the session and written at most once a minute, so an
    ordinary request does not save the session; the timeout is therefore exact to a minute. After
    the timeout a page request goes to the staff login (with a message and ``next``); an API request
    goes on as anonymous and gets the usual 401/403. Citizens' sessions keep ``SESSION_COOKIE_AGE``.
    Must come after ``AuthenticationMiddleware`` and ``MessageMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated and user.kind == User.Kind.STAFF:
            now = int(time.time())
            last = request.session.get(ACTIVITY_KEY)
            if isinstance(last, int) and now - last > settings.STAFF_IDLE_SECONDS:
                log.info("staff session of account %s ended after inactivity", user.pk)
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(
                        request,
                        _(
                            "Sie wurden nach längerer Inaktivität abgemeldet. "
                            "Bitte melden Sie sich erneut an."
                        ),
                    )
                    return HttpResponseRedirect(
                        reverse("backoffice:login") + "?" + urlencode({"next": request.get_full_path()})
                    )
            elif not isinstance(last, int) or now - last >= ACTIVITY_WRITE_SECONDS:
                request.session[ACTIVITY_KEY] = now
        return self.get_response(request)
