"""Place alerts end to end with a frozen clock and a real SMTP server: subscribe → confirmation e-mail →
confirm → a report that makes a place free mails matching alerts once; throttle, re-runs, unsubscribe
(page, one-click), expiry, rate limit and the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.outbox.testing import SMTPCapture, deliver_due_messages
from amtsweg.testing import World

from .. import alerts, geo
from ..geocoding import Place
from ..models import AlertCell, AlertNotification, AlertSubscription, CareType
from ..services import ReportLine, vacancy_report_submit
from .factories import CareSetup, care_setup

pytestmark = pytest.mark.django_db

FULL, SHORT, DAY = CareType.FULL_TIME.value, CareType.SHORT_TERM.value, CareType.DAY_CARE.value
BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
NEUSS_MARKT = Place(51.2003, 6.6923, "41460 Neuss", "postcode")  # about 0.8 km from St. Quirin


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


def _subscribe(
    email: str = "angehoerige@example.org",
    *,
    care_type: str = FULL,
    place: Place = NEUSS_MARKT,
    radius_km: float = 5,
    specialisations: tuple[str, ...] = (),
    language: str = "de",
) -> AlertSubscription:
    return alerts.alert_subscribe(
        email=email,
        care_type=care_type,
        place=place,
        radius_km=radius_km,
        specialisations=specialisations,
        language=language,
    )


def _active(email: str, **kwargs: object) -> AlertSubscription:
    subscription = _subscribe(email, **kwargs)  # type: ignore[arg-type]
    return alerts.alert_confirm(key=subscription.key)


def _report(care: CareSetup, free: int, care_type: str = FULL) -> None:
    vacancy_report_submit(
        facility=care.st_quirin,
        actor=care.operator_user,
        lines=[ReportLine(care_type=care_type, free_places=free, expected=())],
        channel="web",
    )


def _deliver() -> None:
    # Matching queues e-mails; a second round delivers them (the worker would pick them up at once).
    for _round in range(3):
        if not deliver_due_messages():
            break


def _link(text: str, path: str) -> str:
    match = re.search(rf"https?://\S+({re.escape(path)}[^\s/]+/)", text)
    assert match, f"no link to {path} in:\n{text}"
    return match.group(1)


def test_double_opt_in_then_one_mail_for_a_free_place(care: CareSetup, smtp_server: SMTPCapture) -> None:
    client = Client(enforce_csrf_checks=False)
    with time_machine.travel(START, tick=False):
        response = client.post(
            "/pflegefinder/platz-alarm/",
            {"email": "angehoerige@example.org", "q": "41460", "radius_km": "5", "care_type": FULL},
            REMOTE_ADDR="192.0.2.10",
        )
        assert response.status_code == 302 and response["Location"] == "/pflegefinder/platz-alarm/gesendet/"
        assert "Bitte prüfen Sie Ihr E-Mail-Postfach" in client.get(response["Location"]).content.decode()
        subscription = AlertSubscription.objects.get()
        assert subscription.confirmed_at is None and not AlertCell.objects.exists()
        _deliver()
        [confirmation] = smtp_server.messages
        assert confirmation.recipients == ["angehoerige@example.org"]
        assert "List-Unsubscribe-Post" not in confirmation.message
        confirm_path = _link(confirmation.text, "/pflegefinder/platz-alarm/bestaetigen/")
        assert "Vollstationäre Pflege" in confirmation.text and "5 km" in confirmation.text

        # A report before the confirmation mails nobody.
        _report(care, 1)
        _deliver()
        assert len(smtp_server.messages) == 1
        _report(care, 0)

        # GET (a mail scanner) does not confirm; the button does.
        page = client.get(confirm_path)
        assert page.status_code == 200 and "Platz-Alarm aktivieren" in page.content.decode()
        subscription.refresh_from_db()
        assert subscription.confirmed_at is None
        assert client.post(confirm_path).status_code == 200
        assert client.post(confirm_path).status_code == 200  # idempotent
        subscription.refresh_from_db()
        assert subscription.is_active and AlertCell.objects.filter(subscription=subscription).exists()

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        _report(care, 2)
        _deliver()
        mails = smtp_server.messages[1:]
        assert len(mails) == 1
        mail = mails[0]
        assert mail.recipients == ["angehoerige@example.org"]
        assert "Seniorenzentrum St. Quirin" in mail.message["Subject"]
        distance = geo.haversine_km(
            subscription.latitude, subscription.longitude, care.st_quirin.latitude, care.st_quirin.longitude
        )
        assert "2 freie Plätze" in mail.text
        assert f"{distance:.1f} km".replace(".", ",") in mail.text
        assert f"/pflegefinder/einrichtungen/{care.st_quirin.pk}/" in mail.text
        unsubscribe_path = _link(mail.text, "/pflegefinder/platz-alarm/abmelden/")
        assert re.fullmatch(
            rf"<https?://[^>]+{re.escape(unsubscribe_path)}>", mail.message["List-Unsubscribe"].strip()
        )
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # The matching job runs again for the same report: nothing is mailed twice.
        report_id = AlertNotification.objects.get().report_id
        with transaction.atomic():
            outbox_enqueue(kind=alerts.MATCH_KIND, payload={"report_id": report_id}, dedupe_key="rerun")
        _deliver()
        assert len(smtp_server.messages) == 2
        assert AlertNotification.objects.count() == 1


def test_only_matching_alerts_are_mailed(care: CareSetup, smtp_server: SMTPCapture) -> None:
    with time_machine.travel(START, tick=False):
        _active("passt@example.org", radius_km=2, specialisations=("demenz",))
        _active("zu-weit@example.org", place=Place(51.0, 6.69, "weit weg", "position"), radius_km=10)
        _active("andere-art@example.org", care_type=DAY)
        _active("fehlt-schwerpunkt@example.org", specialisations=("demenz", "beatmung"))
        _subscribe("unbestaetigt@example.org")
        _deliver()
        smtp_server.messages.clear()
        _report(care, 3)
        _deliver()
        assert [m.recipients for m in smtp_server.messages] == [["passt@example.org"]]


def test_throttle_window_and_no_mail_when_the_place_is_gone(
    care: CareSetup, smtp_server: SMTPCapture, settings: SettingsWrapper
) -> None:
    settings.CARE_ALERT_MIN_INTERVAL_HOURS = 12
    with time_machine.travel(START, tick=False):
        _active("eilig@example.org")
        _deliver()
        smtp_server.messages.clear()
        _report(care, 1)
        _deliver()
        assert len(smtp_server.messages) == 1
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        _report(care, 0)
        _report(care, 1)
        _deliver()
        assert len(smtp_server.messages) == 1  # within 12 hours of the last e-mail
    with time_machine.travel(START + timedelta(hours=13), tick=False):
        _report(care, 0)
        _report(care, 2)
        _report(care, 0)  # taken again before the worker ran: nothing to tell
        _deliver()
        assert len(smtp_server.messages) == 1
    with time_machine.travel(START + timedelta(hours=14), tick=False):
        _report(care, 1)
        _deliver()
        assert len(smtp_server.messages) == 2


def test_unsubscribe_page_and_one_click(care: CareSetup, smtp_server: SMTPCapture) -> None:
    with time_machine.travel(START, tick=False):
        by_page = _active("seite@example.org")
        one_click = _active("ein-klick@example.org")
        client = Client(enforce_csrf_checks=True)
        path = f"/pflegefinder/platz-alarm/abmelden/{by_page.key}/"
        page = client.get(path)
        assert page.status_code == 200 and "Keine E-Mails mehr senden" in page.content.decode()
        by_page.refresh_from_db()
        assert by_page.is_active  # GET changes nothing
        assert client.post(path).status_code == 200
        # RFC 8058: the mail client POSTs this body without any token or cookie.
        response = Client(enforce_csrf_checks=True).post(
            f"/pflegefinder/platz-alarm/abmelden/{one_click.key}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        assert client.post(path).status_code == 200  # again: idempotent
        assert not AlertCell.objects.exists()
        _deliver()
        smtp_server.messages.clear()
        _report(care, 4)
        _deliver()
        assert smtp_server.messages == []
        # A confirmation link after unsubscribing does not bring the alert back.
        assert client.post(f"/pflegefinder/platz-alarm/bestaetigen/{by_page.key}/").status_code in {403, 410}
        assert Client().post(f"/pflegefinder/platz-alarm/bestaetigen/{by_page.key}/").status_code == 410
        assert Client().post("/pflegefinder/platz-alarm/abmelden/falsch/").status_code == 404


def test_confirmation_expires_and_unconfirmed_alerts_are_deleted(
    care: CareSetup, settings: SettingsWrapper
) -> None:
    settings.CARE_ALERT_CONFIRM_DAYS = 7
    with time_machine.travel(START, tick=False):
        late = _subscribe("spaet@example.org")
        kept = _active("aktiv@example.org", radius_km=10)
        gone = _active("weg@example.org", radius_km=20)
        alerts.alert_unsubscribe(key=gone.key)
    with time_machine.travel(START + timedelta(days=6, hours=23), tick=False):
        assert alerts.alerts_expire() == 0
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        with pytest.raises(alerts.AlertExpired):
            alerts.alert_confirm(key=late.key)
        page = Client().get(f"/pflegefinder/platz-alarm/bestaetigen/{late.key}/")
        assert page.status_code == 410 and "abgelaufen" in page.content.decode()
        assert alerts.alerts_expire() == 2
        assert list(AlertSubscription.objects.values_list("pk", flat=True)) == [kept.pk]
        assert Client().get(f"/pflegefinder/platz-alarm/bestaetigen/{late.key}/").status_code == 404


def test_subscribing_again_resends_at_most_hourly(care: CareSetup) -> None:
    def confirmations() -> int:
        return OutboxMessage.objects.filter(kind=alerts.CONFIRM_KIND).count()

    with time_machine.travel(START, tick=False):
        first = _subscribe("doppelt@example.org")
        again = _subscribe("Doppelt@Example.org")
        assert again.pk == first.pk and confirmations() == 1
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        assert _subscribe("doppelt@example.org").pk == first.pk
        assert confirmations() == 2
        assert _subscribe("doppelt@example.org", radius_km=10).pk != first.pk
        assert AlertSubscription.objects.count() == 2


def test_invalid_input_shows_an_error_summary(care: CareSetup) -> None:
    response = Client().post(
        "/pflegefinder/platz-alarm/",
        {"email": "kein-at", "q": "99999", "radius_km": "5", "care_type": ""},
        REMOTE_ADDR="192.0.2.20",
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("email", "care_type", "q"):
        assert f'href="#id_{field}"' in html
        assert f'id="id_{field}"' in html
    assert 'aria-invalid="true"' in html
    assert not AlertSubscription.objects.exists()


def test_subscribe_page_is_prefilled_from_the_search(care: CareSetup) -> None:
    html = (
        Client()
        .get("/pflegefinder/platz-alarm/?q=41460&radius_km=10&care_type=kurzzeitpflege&specialisation=demenz")
        .content.decode()
    )
    assert 'value="41460"' in html
    assert '<option value="10" selected>' in html
    assert '<option value="kurzzeitpflege" selected>' in html
    assert 'value="demenz" id="id_specialisation_demenz" checked' in html


def test_rate_limit_per_client_address(care: CareSetup, settings: SettingsWrapper) -> None:
    settings.CARE_ALERT_SUBSCRIBE_LIMIT = 2
    client = Client()
    data = {"q": "41460", "radius_km": "5", "care_type": FULL}
    for number in range(2):
        response = client.post(
            "/pflegefinder/platz-alarm/",
            {**data, "email": f"a{number}@example.org"},
            REMOTE_ADDR="192.0.2.30",
        )
        assert response.status_code == 302
    blocked = client.post(
        "/pflegefinder/platz-alarm/", {**data, "email": "a9@example.org"}, REMOTE_ADDR="192.0.2.30"
    )
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    api = client.post(
        "/api/v1/care/alerts",
        {**data, "email": "b@example.org"},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.30",
    )
    assert api.status_code == 429 and api["Content-Type"].startswith("application/problem+json")
    other = client.post(
        "/pflegefinder/platz-alarm/", {**data, "email": "c@example.org"}, REMOTE_ADDR="192.0.2.31"
    )
    assert other.status_code == 302
    assert AlertSubscription.objects.count() == 3


def test_api_subscribe_confirm_delete(care: CareSetup, smtp_server: SMTPCapture) -> None:
    client = Client()
    response = client.post(
        "/api/v1/care/alerts",
        {
            "email": "app@example.org",
            "care_type": SHORT,
            "lat": 51.2,
            "lon": 6.69,
            "radius_km": 10,
            "specialisation": ["palliativ"],
            "language": "en",
        },
        content_type="application/json",
        REMOTE_ADDR="192.0.2.40",
    )
    assert response.status_code == 202, response.content
    subscription = AlertSubscription.objects.get()
    assert subscription.key not in response.content.decode()
    assert subscription.language == "en"
    _deliver()
    [confirmation] = smtp_server.messages
    assert _link(confirmation.text, "/pflegefinder/platz-alarm/bestaetigen/").endswith(f"{subscription.key}/")
    confirmed = client.post(f"/api/v1/care/alerts/{subscription.key}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "active" and confirmed.json()["specialisation"] == ["palliativ"]
    _report(care, 1, SHORT)
    _deliver()
    assert len(smtp_server.messages) == 2
    assert client.delete(f"/api/v1/care/alerts/{subscription.key}").status_code == 204
    assert client.delete(f"/api/v1/care/alerts/{subscription.key}").status_code == 204
    bad = client.post(
        "/api/v1/care/alerts",
        {"email": "app@example.org", "care_type": SHORT, "postcode": "00000"},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.40",
    )
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    missing = client.post("/api/v1/care/alerts/unbekannt/confirm")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/problem+json")
