"""Staff accounts through HTTP: TOTP second factor, enrolment, recovery codes, lockout, idle timeout."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.contrib.admin.sites import AdminSite
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory
from django.utils import timezone

from amtsweg.identity import admin_staff, staff
from amtsweg.identity.admin import AccountAdmin
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import TotpDevice, User
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import PASSWORD, World

LOGIN = "/backoffice/anmelden/"
SECOND = "/backoffice/anmelden/zweiter-faktor/"
ENROL = "/backoffice/konto/authenticator/"
START = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _staff_settings(settings: Any) -> None:
    settings.STAFF_TWO_FACTOR = "required"
    settings.STAFF_LOCKOUT_THRESHOLD = 3
    settings.STAFF_LOCKOUT_SECONDS = 600
    settings.STAFF_IDLE_SECONDS = 900


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _device(user: User) -> tuple[TotpDevice, list[str]]:
    device = staff.totp_enrol(user=user)
    code = pyotp.TOTP(device.secret).now()
    codes = staff.totp_confirm(user=user, code=code)
    device.refresh_from_db()
    return device, codes


def _code(device: TotpDevice, *, ahead: int = 0) -> str:
    return pyotp.TOTP(device.secret).at(timezone.now() + timedelta(seconds=30 * ahead))


def _password(client: Client, user: User, password: str = PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN, {"username": user.email, "password": password, **extra})


def _logged_in(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def _assurance(client: Client) -> tuple[str, str]:
    stored = client.session["amtsweg_assurance"]
    return stored["level"], stored["method"]


# --- TOTP services -------------------------------------------------------------------------------


def test_totp_follows_rfc_6238_and_accepts_one_step_of_drift(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    assert len(device.secret) == 32 and device.confirmed_at is not None  # 160-bit secret
    uri = staff.totp_provisioning_uri(device)
    assert uri.startswith("otpauth://totp/Amtsweg:") and f"secret={device.secret}" in uri
    assert "digits" not in uri or "digits=6" in uri
    clock.shift(timedelta(seconds=30))
    late = pyotp.TOTP(device.secret).at(timezone.now() - timedelta(seconds=30))  # previous step: not used
    assert not staff.totp_verify(user=world.caseworker_neuss, code=late).ok  # = enrolment step, used
    assert staff.totp_verify(user=world.caseworker_neuss, code=_code(device, ahead=1)).ok  # phone ahead
    assert not staff.totp_verify(user=world.caseworker_neuss, code=_code(device, ahead=3)).ok
    assert not staff.totp_verify(user=world.caseworker_neuss, code="12345").ok
    assert not staff.totp_verify(user=world.caseworker_neuss, code="").ok


def test_a_code_is_accepted_once_only(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    clock.shift(timedelta(seconds=30))
    code = _code(device)
    assert staff.totp_verify(user=world.caseworker_neuss, code=code).kind == "totp"
    assert not staff.totp_verify(user=world.caseworker_neuss, code=code).ok
    # An older step than the last accepted one is refused too, even inside the window.
    clock.shift(timedelta(seconds=30))
    assert not staff.totp_verify(
        user=world.caseworker_neuss, code=pyotp.TOTP(device.secret).at(timezone.now() - timedelta(seconds=60))
    ).ok
    assert staff.totp_verify(user=world.caseworker_neuss, code=_code(device)).ok


def test_enrolment_keeps_the_secret_until_confirmed_and_refuses_a_second_device(
    world: World, clock: Any
) -> None:
    first = staff.totp_enrol(user=world.caseworker_neuss)
    assert staff.totp_enrol(user=world.caseworker_neuss).secret == first.secret
    assert staff.totp_device(world.caseworker_neuss) is None  # unconfirmed devices do not count
    with pytest.raises(staff.InvalidCode):
        staff.totp_confirm(
            user=world.caseworker_neuss, code="000000" if _code(first) != "000000" else "111111"
        )
    codes = staff.totp_confirm(user=world.caseworker_neuss, code=_code(first))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", c) for c in codes)
    stored = TotpDevice.objects.get(user=world.caseworker_neuss).recovery_codes
    assert not set(codes) & set(stored) and all(len(h) == 64 for h in stored)  # only keyed hashes
    with pytest.raises(staff.AlreadyEnrolled):
        staff.totp_enrol(user=world.caseworker_neuss)


def test_recovery_codes_are_single_use(world: World, clock: Any) -> None:
    _, codes = _device(world.caseworker_neuss)
    result = staff.totp_verify(user=world.caseworker_neuss, code=codes[3].lower().replace("-", " "))
    assert result.kind == "recovery" and result.recovery_codes_left == 9
    assert not staff.totp_verify(user=world.caseworker_neuss, code=codes[3]).ok
    assert staff.totp_verify(user=world.caseworker_neuss, code=codes[4]).recovery_codes_left == 8
    assert not staff.totp_verify(user=world.admin_neuss, code=codes[5]).ok  # another account's code


# --- the two-step login --------------------------------------------------------------------------


def test_login_with_device_needs_the_code(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    clock.shift(timedelta(seconds=30))
    client = Client()
    response = _password(client, world.caseworker_neuss, next="/backoffice/05162024/teams/")
    assert response.status_code == 302 and response["Location"] == SECOND
    assert _logged_in(client) is None
    page = client.get(SECOND).content.decode()
    assert 'autocomplete="one-time-code"' in page and "Authenticator-App" in page

    wrong = "000000" if _code(device) != "000000" else "111111"
    response = client.post(SECOND, {"code": wrong})
    assert response.status_code == 200 and "falsch" in response.content.decode()
    assert _logged_in(client) is None

    response = client.post(SECOND, {"code": _code(device)})
    assert response.status_code == 302 and response["Location"] == "/backoffice/05162024/teams/"
    assert _logged_in(client) == world.caseworker_neuss.pk
    assert _assurance(client) == (TrustLevel.SUBSTANTIAL, "local+totp")
    assert client.get("/backoffice/05162024/teams/").status_code == 200
    assert staff.PENDING_KEY not in client.session  # the half-logged-in state is gone
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.failed_login_count == 0


def test_a_replayed_code_is_refused_at_login(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    clock.shift(timedelta(seconds=30))
    code = _code(device)
    first = Client()
    _password(first, world.caseworker_neuss)
    assert first.post(SECOND, {"code": code}).status_code == 302
    attacker = Client()
    _password(attacker, world.caseworker_neuss)
    response = attacker.post(SECOND, {"code": code})
    assert response.status_code == 200 and _logged_in(attacker) is None
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.failed_login_count == 1


def test_half_logged_in_session_reaches_no_back_office_page_nor_staff_api(world: World, clock: Any) -> None:
    _device(world.admin_neuss)
    client = Client()
    _password(client, world.admin_neuss)
    assert client.session[staff.PENDING_KEY]["user"] == world.admin_neuss.pk
    for url in ("/backoffice/", "/backoffice/05162024/", "/backoffice/05162024/protokoll/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
    assert client.get("/api/v1/staff/authorities").status_code in {401, 403}
    assert client.get("/admin/").status_code == 302
    assert client.get("/konto/").status_code == 302
    assert client.get(ENROL)["Location"] == LOGIN  # a device exists: no way round the code


def test_half_logged_in_state_expires_after_five_minutes(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    client = Client()
    _password(client, world.caseworker_neuss)
    clock.shift(timedelta(seconds=staff.PENDING_SECONDS + 1))
    response = client.post(SECOND, {"code": _code(device)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert _logged_in(client) is None
    assert "abgelaufen" in client.get(LOGIN).content.decode()


def test_second_factor_page_without_password_goes_to_login(world: World) -> None:
    assert Client().get(SECOND)["Location"] == LOGIN
    assert Client().post(SECOND, {"code": "123456"})["Location"] == LOGIN
    assert Client().get(ENROL)["Location"] == LOGIN


def test_session_key_changes_after_the_password(world: World, clock: Any) -> None:
    _device(world.caseworker_neuss)
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    _password(client, world.caseworker_neuss)
    assert client.session.session_key != before


def test_required_mode_enrols_then_logs_in_with_recovery_codes_shown_once(world: World, clock: Any) -> None:
    client = Client()
    response = _password(client, world.caseworker_neuss, next="/backoffice/05162024/")
    assert response.status_code == 302 and response["Location"] == ENROL
    assert _logged_in(client) is None

    page = client.get(ENROL)
    html = page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    device = TotpDevice.objects.get(user=world.caseworker_neuss)
    assert 'src="data:image/svg+xml' in html and " ".join(re.findall(".{4}", device.secret)) in html
    assert client.get(ENROL).content.decode().count(device.secret[:4]) >= 1  # reload: same secret
    assert TotpDevice.objects.get(user=world.caseworker_neuss).secret == device.secret
    assert client.get("/backoffice/05162024/").status_code == 302  # still not logged in

    response = client.post(ENROL, {"code": "12"})
    assert response.status_code == 200 and _logged_in(client) is None

    response = client.post(ENROL, {"code": _code(device)})
    html = response.content.decode()
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", html)
    assert len(codes) == 10 and 'href="/backoffice/05162024/"' in html
    assert _logged_in(client) == world.caseworker_neuss.pk
    assert _assurance(client) == (TrustLevel.SUBSTANTIAL, "local+totp")
    again = client.get(ENROL).content.decode()
    assert "eingerichtet" in again and codes[0] not in again  # never shown again


def test_enrolment_page_refuses_citizens(world: World) -> None:
    client = Client()
    client.force_login(world.citizen)
    assert client.get(ENROL).status_code == 403
    assert not TotpDevice.objects.exists()


def test_optional_mode_logs_in_after_the_password_with_a_hint(world: World, settings: Any) -> None:
    settings.STAFF_TWO_FACTOR = "optional"
    client = Client()
    response = _password(client, world.caseworker_neuss)
    assert response.status_code == 302 and response["Location"] == "/backoffice/"
    assert _logged_in(client) == world.caseworker_neuss.pk
    assert _assurance(client) == (TrustLevel.NORMAL, "local")
    page = client.get("/backoffice/", follow=True).content.decode()
    assert "Authenticator" in page
    # Logged in, the person can still set it up; the next login then asks for the code.
    device = staff.totp_enrol(user=world.caseworker_neuss)
    assert client.get(ENROL).status_code == 200
    assert client.post(ENROL, {"code": _code(device)}).status_code == 200
    assert _assurance(client) == (TrustLevel.SUBSTANTIAL, "local+totp")
    assert _password(Client(), world.caseworker_neuss)["Location"] == SECOND


def test_optional_mode_still_asks_for_the_code_when_a_device_exists(
    world: World, settings: Any, clock: Any
) -> None:
    settings.STAFF_TWO_FACTOR = "optional"
    _device(world.caseworker_neuss)
    client = Client()
    assert _password(client, world.caseworker_neuss)["Location"] == SECOND
    assert _logged_in(client) is None


# --- lockout -------------------------------------------------------------------------------------


def test_wrong_passwords_and_codes_in_a_row_lock_the_account(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    clock.shift(timedelta(seconds=30))
    wrong = "000000" if _code(device) != "000000" else "111111"
    _password(Client(), world.caseworker_neuss, "falsch-1")  # 1
    client = Client()
    _password(client, world.caseworker_neuss)  # right password: no reset before the code
    client.post(SECOND, {"code": wrong})  # 2
    response = client.post(SECOND, {"code": wrong})  # 3: locked
    assert response.status_code == 302 and response["Location"] == LOGIN
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.locked_until == START + timedelta(seconds=30 + 600)
    assert "vorübergehend gesperrt" in client.get(LOGIN).content.decode()

    # Locked: the same answer with the right and the wrong password, and no code is asked.
    right = _password(Client(), world.caseworker_neuss)
    wrong_password = _password(Client(), world.caseworker_neuss, "falsch-2")
    for response in (right, wrong_password):
        assert response.status_code == 200
        assert "vorübergehend gesperrt" in response.content.decode()
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.locked_until == START + timedelta(seconds=630)  # not extended

    clock.shift(timedelta(seconds=601))
    client = Client()
    assert _password(client, world.caseworker_neuss)["Location"] == SECOND
    assert client.post(SECOND, {"code": _code(device)}).status_code == 302
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.failed_login_count == 0 and world.caseworker_neuss.locked_until is None


def test_a_complete_login_resets_the_count(world: World, clock: Any) -> None:
    device, _ = _device(world.caseworker_neuss)
    clock.shift(timedelta(seconds=30))
    _password(Client(), world.caseworker_neuss, "falsch")
    _password(Client(), world.caseworker_neuss, "falsch")
    client = Client()
    _password(client, world.caseworker_neuss)
    client.post(SECOND, {"code": _code(device)})
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.failed_login_count == 0
    _password(Client(), world.caseworker_neuss, "falsch")
    _password(Client(), world.caseworker_neuss, "falsch")
    world.caseworker_neuss.refresh_from_db()
    assert world.caseworker_neuss.locked_until is None  # 2 < 3 after the reset


def test_the_lock_holds_in_the_database_for_every_worker(world: World, clock: Any) -> None:
    for _ in range(3):
        _password(Client(), world.caseworker_neuss, "falsch")
    stored = User.objects.get(pk=world.caseworker_neuss.pk)
    assert stored.locked_until is not None and staff.is_locked(stored)
    assert staff.staff_account_locked(world.caseworker_neuss.email.upper())


def test_citizens_are_never_locked_out(world: World, settings: Any) -> None:
    settings.LOGIN_RATE_LIMIT = 100
    for _ in range(6):
        Client().post("/konto/anmelden/", {"username": world.citizen.email, "password": "falsch"})
        _password(Client(), world.citizen, "falsch")
    world.citizen.refresh_from_db()
    assert world.citizen.failed_login_count == 0 and world.citizen.locked_until is None
    assert not staff.login_failed(user=world.citizen)


def test_wrong_passwords_on_the_portal_count_for_staff_accounts(world: World, clock: Any) -> None:
    for _ in range(3):
        Client().post("/konto/anmelden/", {"username": world.caseworker_neuss.email, "password": "falsch"})
    world.caseworker_neuss.refresh_from_db()
    assert staff.is_locked(world.caseworker_neuss)
    assert "vorübergehend gesperrt" in _password(Client(), world.caseworker_neuss).content.decode()


def test_lockout_backend_hides_the_password_check_on_every_form(
    world: World, settings: Any, clock: Any
) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        "amtsweg.identity.staff.StaffLockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    User.objects.filter(pk=world.caseworker_neuss.pk).update(locked_until=START + timedelta(minutes=5))
    # Without the backend the portal would say "this is a staff account" for the right password only.
    right = Client().post(
        "/konto/anmelden/", {"username": world.caseworker_neuss.email, "password": PASSWORD}
    )
    wrong = Client().post("/konto/anmelden/", {"username": world.caseworker_neuss.email, "password": "x"})
    assert "Dienstkonto" not in right.content.decode()
    assert "E-Mail-Adresse oder Passwort ist falsch." in right.content.decode()
    assert "E-Mail-Adresse oder Passwort ist falsch." in wrong.content.decode()
    # Django admin login too.
    admin = Client()
    admin.post("/admin/login/", {"username": world.caseworker_neuss.email, "password": PASSWORD})
    assert _logged_in(admin) is None
    # Unlocked accounts are untouched by the backend.
    User.objects.filter(pk=world.caseworker_neuss.pk).update(locked_until=None)
    assert _password(Client(), world.caseworker_neuss)["Location"] == ENROL


# --- admin reset ---------------------------------------------------------------------------------


def _admin_request(user: User) -> Any:
    request = RequestFactory().post("/admin/")
    request.user = user
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_admin_resets_the_authenticator_and_lifts_the_lock(world: World, clock: Any) -> None:
    superuser = User.objects.create_superuser(email="root@example.org", password=PASSWORD)
    _device(world.caseworker_neuss)
    User.objects.filter(pk=world.caseworker_neuss.pk).update(locked_until=START + timedelta(minutes=5))
    site = AdminSite()
    model_admin = admin_staff.TotpDeviceAdmin(TotpDevice, site)
    model_admin.reset(_admin_request(superuser), TotpDevice.objects.all())
    assert not TotpDevice.objects.exists()
    event = AuditEvent.objects.get(object_type="identity.totpdevice")
    assert event.actor == superuser and event.action == AuditEvent.Action.DELETE
    accounts = AccountAdmin(User, site)
    admin_staff.unlock(accounts, _admin_request(superuser), User.objects.filter(pk=world.caseworker_neuss.pk))
    world.caseworker_neuss.refresh_from_db()
    assert not staff.is_locked(world.caseworker_neuss)
    assert _password(Client(), world.caseworker_neuss)["Location"] == ENROL  # set up again
    assert not model_admin.has_reset_permission(_admin_request(world.admin_neuss))


# --- idle timeout --------------------------------------------------------------------------------


@pytest.fixture
def idle_middleware(settings: Any) -> None:
    if "amtsweg.identity.staff.StaffIdleTimeoutMiddleware" not in settings.MIDDLEWARE:
        position = settings.MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1
        settings.MIDDLEWARE = [
            *settings.MIDDLEWARE[:position],
            "amtsweg.identity.staff.StaffIdleTimeoutMiddleware",
            *settings.MIDDLEWARE[position:],
        ]


def test_idle_staff_sessions_end(world: World, clock: Any, idle_middleware: None) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    assert client.get("/backoffice/05162024/").status_code == 200
    assert client.session[staff.ACTIVITY_KEY] == int(START.timestamp())
    clock.shift(timedelta(seconds=30))
    client.get("/backoffice/05162024/")
    assert client.session[staff.ACTIVITY_KEY] == int(START.timestamp())  # not rewritten within a minute
    clock.shift(timedelta(seconds=600))
    assert client.get("/backoffice/05162024/").status_code == 200  # 630 s since last write < 900
    assert client.session[staff.ACTIVITY_KEY] == int(START.timestamp()) + 630
    clock.shift(timedelta(seconds=901))
    response = client.get("/backoffice/05162024/teams/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN + "?next=%2Fbackoffice%2F05162024%2Fteams%2F"
    assert _logged_in(client) is None
    assert "Inaktivität" in client.get(response["Location"]).content.decode()


def test_idle_staff_api_session_gets_401(world: World, clock: Any, idle_middleware: None) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    assert client.get("/api/v1/staff/authorities").status_code == 200
    clock.shift(timedelta(seconds=901))
    assert client.get("/api/v1/staff/authorities").status_code in {401, 403}
    assert _logged_in(client) is None


def test_active_staff_stays_logged_in_and_citizens_are_not_affected(
    world: World, clock: Any, idle_middleware: None
) -> None:
    staff_client = Client()
    staff_client.force_login(world.caseworker_neuss)
    for _ in range(4):  # a request every 15 minutes: one hour in all
        assert staff_client.get("/backoffice/05162024/").status_code == 200
        clock.shift(timedelta(seconds=899))
    assert _logged_in(staff_client) == world.caseworker_neuss.pk
    citizen = Client()
    citizen.force_login(world.citizen)
    clock.shift(timedelta(seconds=1200))  # longer than the staff idle time, within SESSION_COOKIE_AGE
    assert citizen.get("/konto/").status_code == 200
    assert _logged_in(citizen) == world.citizen.pk and staff.ACTIVITY_KEY not in citizen.session


def test_login_records_activity_so_an_old_value_does_not_log_out(
    world: World, clock: Any, idle_middleware: None, settings: Any
) -> None:
    settings.STAFF_TWO_FACTOR = "optional"
    client = Client()
    _password(client, world.caseworker_neuss)
    assert client.session[staff.ACTIVITY_KEY] == int(START.timestamp())
    assert client.get("/backoffice/05162024/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_same_code_sent_at_once_by_several_workers_is_accepted_once() -> None:
    """Workers receive the same code at the same moment: the row lock lets exactly one through."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers instead)")
    workers = 6
    users = [
        User.objects.create_user(email=f"parallel{i}@example.org", password=PASSWORD, kind=User.Kind.STAFF)
        for i in range(10)
    ]
    devices = [_device(user)[0] for user in users]
    for user, device in zip(users, devices, strict=True):  # ten rounds: a race shows up in one of them
        code = _code(device, ahead=1)
        barrier = Barrier(workers)

        def attempt(user: User = user, code: str = code, barrier: Barrier = barrier) -> bool:
            try:
                barrier.wait()
                return staff.totp_verify(user=user, code=code).ok
            finally:
                connections.close_all()

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda _: attempt(), range(workers)))
        assert results.count(True) == 1, results


def test_demo_mode_shows_the_code_of_demo_authenticators(world: World, settings: Any, clock: Any) -> None:
    with pytest.raises(RuntimeError):
        staff.totp_enrol_demo(user=world.caseworker_neuss)
    settings.DEMO_MODE = True
    staff.totp_enrol_demo(user=world.caseworker_neuss)
    client = Client()
    assert _password(client, world.caseworker_neuss)["Location"] == SECOND
    shown = re.search(r"<strong>(\d{6})</strong>", client.get(SECOND).content.decode())
    assert shown is not None
    assert client.post(SECOND, {"code": shown.group(1)}).status_code == 302
    assert _assurance(client) == (TrustLevel.SUBSTANTIAL, "local+totp")
    settings.DEMO_MODE = False
    other = Client()
    _password(other, world.caseworker_neuss)
    assert "<strong>" not in other.get(SECOND).content.decode()
