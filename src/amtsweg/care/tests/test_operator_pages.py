"""The operators' pages: list, one-screen report (validation, double submit, all full), history,
details, photos and the API token."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from ..models import CareOffer, CareType, Facility, FacilityPhoto, VacancyReport
from ..photos import MAX_PHOTOS
from ..services import ReportLine, vacancy_report_submit
from .factories import CareSetup, care_setup, make_facility

pytestmark = pytest.mark.django_db

FULL, SHORT = CareType.FULL_TIME.value, CareType.SHORT_TERM.value
HOME = "/pflegefinder/meine-einrichtungen/"


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


@pytest.fixture
def operator(care: CareSetup) -> Client:
    client = Client()
    client.force_login(care.operator_user)
    return client


def _report_url(facility: Facility) -> str:
    return f"{HOME}{facility.pk}/meldung/"


def _offer(facility: Facility, care_type: str) -> CareOffer:
    return CareOffer.objects.get(facility=facility, care_type=care_type)


def _key(client: Client, facility: Facility) -> str:
    response = client.get(_report_url(facility))
    assert response.status_code == 200
    return str(response.context["form"].initial["request_key"])


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --- the list ---------------------------------------------------------------------------------------


def test_list_shows_own_facilities_with_age_and_stale_flag(care: CareSetup, operator: Client) -> None:
    vacancy_report_submit(
        facility=care.st_quirin,
        actor=care.operator_user,
        lines=[ReportLine(FULL, 3)],
        channel="web",
        now=timezone.now() - timedelta(hours=50),  # older than the finder's 48 hours
    )
    response = operator.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Seniorenzentrum St. Quirin" in html and "Tagespflege Rheinblick" in html
    assert "Haus am Stadtpark" not in html  # the other operator's
    assert "veraltet" in html and "keine Meldung" in html and "gemeldet vor" in html
    assert f'href="{_report_url(care.st_quirin)}"' in html
    rows = {row["facility"].pk: row for row in response.context["rows"]}
    assert rows[care.st_quirin.pk]["stale"] is True


def test_list_explains_when_the_account_has_no_facility(world: World, care: CareSetup) -> None:
    client = Client()
    client.force_login(world.citizen)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "Heimaufsicht" in response.content.decode()
    assert response.context["rows"] == []


def test_list_needs_a_login() -> None:
    response = Client().get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/anmelden/") or "anmelden" in response["Location"]


def test_list_query_count_does_not_grow_with_facilities(care: CareSetup, operator: Client) -> None:
    with CaptureQueriesContext(connection) as few:
        operator.get(HOME)
    for i in range(8):
        make_facility(
            finder=care.finder,
            operator=care.operator,
            name=f"Haus {i}",
            street="Weg 1",
            postcode="41460",
            town="Neuss",
            latitude=51.2,
            longitude=6.69,
            offers={FULL: 10, SHORT: 2},
        )
    with CaptureQueriesContext(connection) as many:
        response = operator.get(HOME)
    assert len(response.context["rows"]) == 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- the report page ----------------------------------------------------------------------------------


def test_report_page_stores_one_report_per_care_type(care: CareSetup, operator: Client) -> None:
    key = _key(operator, care.st_quirin)
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = operator.post(
        _report_url(care.st_quirin),
        {
            "request_key": key,
            "action": "report",
            f"{FULL}-free": "3",
            f"{FULL}-exp0-date": day,
            f"{FULL}-exp0-places": "5",
            f"{SHORT}-free": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Ihre Meldung vom" in response.content.decode()
    full = _offer(care.st_quirin, FULL)
    assert full.free_now == 3 and full.expected == [{"date": day, "places": 5}]
    assert _offer(care.st_quirin, SHORT).free_now == 0
    reports = VacancyReport.objects.filter(offer__facility=care.st_quirin)
    assert reports.count() == 2
    assert {r.channel for r in reports} == {"web"}
    assert {r.reported_by for r in reports} == {care.operator_user}
    # The page is prefilled with the last report.
    form = operator.get(_report_url(care.st_quirin)).context["form"]
    assert form.initial[f"{FULL}-free"] == 3
    assert form.initial[f"{FULL}-exp0-date"] == day


def test_double_submit_stores_once(care: CareSetup, operator: Client) -> None:
    key = _key(operator, care.st_quirin)
    data = {"request_key": key, "action": "report", f"{FULL}-free": "2", f"{SHORT}-free": "1"}
    first = operator.post(_report_url(care.st_quirin), data)
    second = operator.post(_report_url(care.st_quirin), data)
    assert first.status_code == second.status_code == 302
    assert VacancyReport.objects.filter(offer__facility=care.st_quirin).count() == 2
    # A new page load has a new key: the next report is stored.
    assert _key(operator, care.st_quirin) != key


def test_all_full_reports_zero_for_every_offer(care: CareSetup, operator: Client) -> None:
    key = _key(operator, care.st_quirin)
    response = operator.post(
        _report_url(care.st_quirin), {"request_key": key, "action": "all_full", f"{FULL}-free": "abc"}
    )
    assert response.status_code == 302
    assert [o.free_now for o in CareOffer.objects.filter(facility=care.st_quirin)] == [0, 0]
    assert VacancyReport.objects.filter(offer__facility=care.st_quirin, free_places=0).count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (f"{FULL}-free", "81", "Mehr als 80 Plätze"),
        (f"{FULL}-free", "-1", "nicht negativ"),
        (f"{FULL}-free", "", "0, wenn alle belegt"),
        (f"{FULL}-free", "zwei", "ganze Zahl"),
        (f"{FULL}-exp0-date", "2026-13-40", "Datum angeben"),
        (f"{FULL}-exp0-date", "past", "nach heute"),
        (f"{FULL}-exp0-date", "far", "ein Jahr"),
        (f"{FULL}-exp0-places", "only", "Datum an"),
        (f"{SHORT}-exp0-places", "7", "Mehr als 6 Plätze"),
    ],
)
def test_report_page_validation_keeps_input(
    care: CareSetup, operator: Client, field: str, value: str, message: str
) -> None:
    key = _key(operator, care.st_quirin)
    today = timezone.localdate()
    data = {"request_key": key, "action": "report", f"{FULL}-free": "4", f"{SHORT}-free": "1"}
    if value == "past":
        value = today.isoformat()
    elif value == "far":
        value = (today + timedelta(days=400)).isoformat()
    elif value == "only":
        value = "2"
    data[field] = value
    if field.endswith("-places") and field.startswith(SHORT):
        data[f"{SHORT}-exp0-date"] = (today + timedelta(days=3)).isoformat()
    if field.endswith("-date"):
        data[f"{FULL}-exp0-places"] = "1"
    response = operator.post(_report_url(care.st_quirin), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="notice notice--error"' in html and 'href="#id_' in html  # summary links to the field
    assert f'value="{value}"' in html  # the input is kept
    assert f'value="{key}"' in html  # the same request key
    assert not VacancyReport.objects.exists()
    assert _offer(care.st_quirin, FULL).free_now is None


def test_duplicate_expected_dates_are_refused(care: CareSetup, operator: Client) -> None:
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    data = {
        "request_key": _key(operator, care.st_quirin),
        f"{FULL}-free": "4",
        f"{SHORT}-free": "1",
        f"{FULL}-exp0-date": day,
        f"{FULL}-exp0-places": "1",
        f"{FULL}-exp1-date": day,
        f"{FULL}-exp1-places": "2",
    }
    response = operator.post(_report_url(care.st_quirin), data)
    assert response.status_code == 400
    assert "schon in einer anderen Zeile" in response.content.decode()
    assert not VacancyReport.objects.exists()


def test_expected_rows_are_stored_in_date_order(care: CareSetup, operator: Client) -> None:
    today = timezone.localdate()
    late, early = (today + timedelta(days=20)).isoformat(), (today + timedelta(days=2)).isoformat()
    data = {
        "request_key": _key(operator, care.st_quirin),
        f"{FULL}-free": "0",
        f"{SHORT}-free": "0",
        f"{FULL}-exp0-date": late,
        f"{FULL}-exp0-places": "2",
        f"{FULL}-exp2-date": early,
        f"{FULL}-exp2-places": "1",
    }
    assert operator.post(_report_url(care.st_quirin), data).status_code == 302
    assert _offer(care.st_quirin, FULL).expected == [
        {"date": early, "places": 1},
        {"date": late, "places": 2},
    ]


# --- history, details, photos, token ---------------------------------------------------------------------


def test_history_newest_first_and_paginated(care: CareSetup, operator: Client) -> None:
    now = timezone.now()
    for i in range(60):
        vacancy_report_submit(
            facility=care.rheinblick,
            actor=care.operator_user,
            lines=[ReportLine(CareType.DAY_CARE.value, i % 18)],
            channel="api",
            now=now - timedelta(hours=60 - i),
        )
    response = operator.get(f"{HOME}{care.rheinblick.pk}/verlauf/")
    assert response.status_code == 200
    page = response.context["page"]
    assert len(page.object_list) == 50 and page.paginator.count == 60
    times = [r.reported_at for r in page.object_list]
    assert times == sorted(times, reverse=True)
    assert "Schnittstelle" in response.content.decode()
    second = operator.get(f"{HOME}{care.rheinblick.pk}/verlauf/?seite=2")
    assert len(second.context["page"].object_list) == 10


def test_details_update_is_stored_and_audited(care: CareSetup, operator: Client) -> None:
    url = f"{HOME}{care.st_quirin.pk}/angaben/"
    assert operator.get(url).status_code == 200
    response = operator.post(
        url,
        {
            "phone": "02131 12345",
            "email": "kontakt@quirin.example",
            "report_email": "meldung@quirin.example",
            "website": "https://quirin.example",
            "description": "Mitten in der Stadt.",
            "specialisations": ["demenz", "beatmung"],
            "languages": ["de", "pl"],
            f"{FULL}-share2": "2.480,50",
            f"{FULL}-share3": "2600",
            f"{SHORT}-share1": "",
        },
    )
    assert response.status_code == 302
    facility = Facility.objects.get(pk=care.st_quirin.pk)
    assert facility.phone == "02131 12345" and facility.report_email == "meldung@quirin.example"
    assert facility.specialisations == ["demenz", "beatmung"]
    assert facility.languages == ["de", "pl"]
    assert facility.name == "Seniorenzentrum St. Quirin"  # not editable here
    assert _offer(facility, FULL).own_share == {"2": "2480.50", "3": "2600.00"}
    assert _offer(facility, SHORT).own_share == {}
    event = AuditEvent.objects.get(object_type="care.facility", action=AuditEvent.Action.UPDATE)
    assert event.actor == care.operator_user and event.authority_id == facility.authority_id
    assert "phone" in event.changes["fields"] and "02131" not in str(event.changes)


def test_details_refuses_bad_input_and_changes_nothing(care: CareSetup, operator: Client) -> None:
    url = f"{HOME}{care.st_quirin.pk}/angaben/"
    response = operator.post(
        url, {"email": "keine-adresse", f"{FULL}-share2": "-5", "name": "Umbenannt", "specialisations": ["x"]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Betrag in Euro" in html and "gültige E-Mail" in html and "keine gültige Auswahl" in html
    facility = Facility.objects.get(pk=care.st_quirin.pk)
    assert facility.email == care.st_quirin.email and facility.name == "Seniorenzentrum St. Quirin"
    assert _offer(facility, FULL).own_share == {}


def test_photos_upload_sniffed_and_removed(care: CareSetup, operator: Client) -> None:
    url = f"{HOME}{care.st_quirin.pk}/fotos/"
    fake = SimpleUploadedFile("bild.png", b"<html>not an image</html>", content_type="image/png")
    response = operator.post(url, {"image": fake, "alt_text": "Garten"})
    assert response.status_code == 400 and "JPEG, PNG oder WebP" in response.content.decode()
    no_alt = SimpleUploadedFile("garten.png", png_bytes(), content_type="image/png")
    assert operator.post(url, {"image": no_alt, "alt_text": " "}).status_code == 400
    good = SimpleUploadedFile("../../garten.exe", png_bytes(), content_type="application/octet-stream")
    assert operator.post(url, {"image": good, "alt_text": "Der Garten im Sommer"}).status_code == 302
    photo = FacilityPhoto.objects.get(facility=care.st_quirin)
    assert photo.image.name
    assert photo.image.name.startswith("care/photos/") and photo.image.name.endswith(".png")
    assert ".." not in photo.image.name
    page = operator.get(url).content.decode()
    served = f"/pflegefinder/einrichtungen/{care.st_quirin.pk}/fotos/{photo.pk}/"
    assert f'src="{served}"' in page and 'alt="Der Garten im Sommer"' in page
    with photo.image.open("rb") as stored:
        assert stored.read() == png_bytes()
    assert operator.post(url, {"remove": str(photo.pk)}).status_code == 302
    assert not FacilityPhoto.objects.exists()


def test_photos_are_limited(care: CareSetup, operator: Client) -> None:
    url = f"{HOME}{care.st_quirin.pk}/fotos/"
    for i in range(MAX_PHOTOS):
        upload = SimpleUploadedFile(f"f{i}.png", png_bytes())
        assert operator.post(url, {"image": upload, "alt_text": f"Bild {i}"}).status_code == 302
    upload = SimpleUploadedFile("zu-viel.png", png_bytes())
    response = operator.post(url, {"image": upload, "alt_text": "Eins zu viel"})
    assert response.status_code == 400
    assert FacilityPhoto.objects.filter(facility=care.st_quirin).count() == MAX_PHOTOS


def test_photo_too_large(care: CareSetup, operator: Client) -> None:
    big = SimpleUploadedFile("gross.png", png_bytes() + b"\0" * (5 * 1024 * 1024))
    response = operator.post(f"{HOME}{care.st_quirin.pk}/fotos/", {"image": big, "alt_text": "Groß"})
    assert response.status_code == 400 and "5 MB" in response.content.decode()
    assert not FacilityPhoto.objects.exists()


def test_token_is_shown_once_and_rotated(care: CareSetup, operator: Client) -> None:
    url = f"{HOME}zugang/"
    assert "Noch kein Schlüssel" in operator.get(url).content.decode()
    first = operator.post(url)
    key = Token.objects.get(user=care.operator_user).key
    assert key in first.content.decode()
    again = operator.get(url).content.decode()
    assert key not in again and key[:4] in again
    operator.post(url)
    assert Token.objects.get(user=care.operator_user).key != key
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/v1/care/operator/facilities").status_code == 401


def test_token_page_for_accounts_without_facility(world: World, care: CareSetup) -> None:
    client = Client()
    client.force_login(world.citizen)
    response = client.post(f"{HOME}zugang/")
    assert response.status_code == 200 and "Heimaufsicht" in response.content.decode()
    assert not Token.objects.filter(user=world.citizen).exists()


def test_own_share_values(care: CareSetup) -> None:
    from ..services_facilities import FacilityDetails, FacilityDetailsInvalid, facility_update_by_operator

    facility_update_by_operator(
        facility=care.st_quirin,
        actor=care.operator_user,
        details=FacilityDetails(own_shares={FULL: {"5": Decimal("3100.5")}}),
    )
    assert _offer(care.st_quirin, FULL).own_share == {"5": "3100.50"}
    with pytest.raises(FacilityDetailsInvalid):
        facility_update_by_operator(
            facility=care.st_quirin,
            actor=care.operator_user,
            details=FacilityDetails(own_shares={CareType.DAY_CARE.value: {"2": Decimal("1")}}),
        )
    with pytest.raises(FacilityDetailsInvalid):
        facility_update_by_operator(
            facility=care.st_quirin,
            actor=care.operator_user,
            details=FacilityDetails(own_shares={FULL: {"6": Decimal("1")}}),
        )


def test_service_refusal_is_shown_at_its_field(
    care: CareSetup, operator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal only the service can decide (e.g. the capacity changed meanwhile) links to its input."""
    from .. import services

    def refuse(**kwargs: object) -> None:
        raise services.ReportInvalid("Kapazität geändert.", "Capacity changed.", field=f"{SHORT}.expected")

    monkeypatch.setattr(services, "vacancy_report_submit", refuse)
    data = {"request_key": _key(operator, care.st_quirin), f"{FULL}-free": "1", f"{SHORT}-free": "1"}
    response = operator.post(_report_url(care.st_quirin), data)
    assert response.status_code == 400
    assert f'href="#id_{SHORT}-exp0-date">Kapazität geändert.' in response.content.decode()
