"""The Baulasten demo: a register per keeping authority (the Kreis keeps Jüchen's and Rommerskirchen's),
the 55 real Gemarkungen, about 300 entries through the register services, the keepers' offerings of
the Auskunft with their Bauaufsicht team, the demo logins, the scans in every capture state (when OCR
is installed) or waiting with the reason; loading twice changes nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.catalog.models import ServiceOffering
from amtsweg.demo.services import DEMO_PASSWORD, demo_load
from amtsweg.identity.models import OrganisationMembership, User
from amtsweg.testing import shared_data

from .. import demo, selectors, xbau
from ..models import Baulast, BaulastVersion, Gemarkung, Parcel, Register, RegisterArea, ScanFile
from .ocr_support import require_ocr

pytestmark = pytest.mark.django_db

KEEPERS = {"05162000", "05162004", "05162008", "05162016", "05162020", "05162022", "05162024"}


@pytest.fixture
def loaded() -> demo.BaulastenDemoSummary:
    demo_load(full_catalog=False)
    # Without the OCR step (seconds per page): test_capture_states_through_the_outbox runs it.
    return demo.load_baulasten_demo(requests=False, capture=False)


def test_registers_follow_the_building_authorities(loaded: demo.BaulastenDemoSummary) -> None:
    assert set(Register.objects.values_list("authority__ags", flat=True)) == KEEPERS
    assert loaded.registers == 7
    kreis = Register.objects.get(authority__ags=demo.KREIS)
    assert set(kreis.areas.values_list("town__name", flat=True)) == {"Jüchen", "Rommerskirchen"}
    # Jüchen's register is the Kreis'; every town has exactly one register.
    assert RegisterArea.objects.get(town__ags="05162012").register == kreis
    assert RegisterArea.objects.count() == 8
    for register in Register.objects.exclude(authority__ags=demo.KREIS):
        assert list(register.areas.values_list("town_id", flat=True)) == [register.authority_id]


def test_the_55_gemarkungen_lie_in_the_towns(loaded: demo.BaulastenDemoSummary) -> None:
    assert Gemarkung.objects.count() == 55
    assert not Gemarkung.objects.filter(town__isnull=True).exists()
    by_town = dict(Gemarkung.objects.values_list("town__name").annotate(n=Count("id")))
    towns = "Neuss Dormagen Grevenbroich Jüchen Kaarst Korschenbroich Meerbusch Rommerskirchen"
    assert set(by_town) == set(towns.split())
    assert Gemarkung.objects.filter(key="053359", town__name="Neuss").exists()
    assert Gemarkung.objects.filter(key="053224", town__name="Jüchen").exists()
    # The shipped table: same keys and names; where it names a town (confirmed), the demo agrees.
    with demo.GEMARKUNGEN_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["key"]: row["name"] for row in rows} == {
        k: n for k, (n, _ags) in demo.GEMARKUNG_TOWNS.items()
    }
    town_of = dict(Gemarkung.objects.values_list("key", "town__ags"))
    confirmed = {row["key"]: row["town_ags"] for row in rows if row["town_ags"]}
    assert len(confirmed) >= 8
    for key, ags in confirmed.items():
        assert town_of[key] == ags == demo.GEMARKUNG_TOWNS[key][1], key


def test_about_300_entries_with_history_and_deletions(loaded: demo.BaulastenDemoSummary) -> None:
    entries = Baulast.objects.all()
    assert loaded.entries == entries.count() == sum(demo.ENTRIES.values())
    assert 250 <= entries.count() <= 350
    for register in Register.objects.all():
        own = entries.filter(register=register)
        assert own.count() == demo.ENTRIES[register.authority.ags]
        # Every entry's parcels lie in the register's own area.
        towns = set(register.areas.values_list("town_id", flat=True))
        assert set(own.values_list("parcel_links__parcel__gemarkung__town_id", flat=True)) <= towns
    # Demo parcels lie in Fluren their Gemarkung has (the table's ``fluren`` column).
    fluren = demo._fluren()
    assert len(fluren) == 55
    for key, flur in Parcel.objects.values_list("gemarkung__key", "flur"):
        assert flur in fluren[key], (key, flur)
    deleted = entries.filter(deleted_on__isnull=False)
    edited = BaulastVersion.objects.filter(change=BaulastVersion.Change.UPDATED)
    assert 5 <= deleted.count() <= 50 and 10 <= edited.count() <= 70
    assert BaulastVersion.objects.filter(number=1, change="created").count() == entries.count()
    assert all(entry.search_text for entry in entries[:50])
    # The Kreis' entries are on Jüchen's and Rommerskirchen's Gemarkungen and found by the Kreis only.
    kreis_entry = entries.filter(authority__ags=demo.KREIS, deleted_on__isnull=True).first()
    assert kreis_entry is not None
    key = kreis_entry.parcel_links.values_list("parcel__kennzeichen", flat=True)[0]
    kreis_user = User.objects.get(email="baulasten.kreis@demo.amtsweg.de")
    neuss_user = User.objects.get(email="baulasten.neuss@demo.amtsweg.de")
    kreis = Register.objects.get(authority__ags=demo.KREIS).authority
    assert kreis_entry in selectors.entries_for_parcel(kennzeichen=key, authority_ids=[kreis.pk])
    assert selectors.register_search(kreis_user, kreis, parcel=key).total >= 1
    assert selectors.register_search(neuss_user, kreis, parcel=key).total == 0


def test_only_the_keepers_offer_the_auskunft_into_their_team(loaded: demo.BaulastenDemoSummary) -> None:
    offerings = ServiceOffering.objects.filter(service__leika_key=demo.LEIKA_AUSKUNFT, enabled=True)
    assert set(offerings.values_list("authority__ags", flat=True)) == KEEPERS
    for offering in offerings.select_related("team"):
        assert offering.team is not None and offering.team.name == demo.TEAM
        assert offering.team.authority_id == offering.authority_id
        assert offering.maturity == ServiceOffering.Maturity.ONLINE_TRANSACTION
    assert not ServiceOffering.objects.filter(
        service__leika_key=demo.LEIKA_AUSKUNFT, enabled=True, authority__ags__in=["05162012", "05162028"]
    ).exists()


def test_demo_logins(loaded: demo.BaulastenDemoSummary) -> None:
    emails = {email for _label, email, _password in loaded.logins}
    assert {"baulasten.neuss@demo.amtsweg.de", "baulasten.kreis@demo.amtsweg.de", demo.NOTARY_EMAIL} <= emails
    assert "baulasten.pruefung.neuss@demo.amtsweg.de" in emails
    assert len(emails) == 9  # 7 keepers, the Neuss checker, the notary
    for label, email, password in loaded.logins:
        user = User.objects.get(email=email)
        assert password == DEMO_PASSWORD and user.check_password(DEMO_PASSWORD), label
    kreis_staff = User.objects.get(email="baulasten.kreis@demo.amtsweg.de")
    assert kreis_staff.is_staff_account
    assert set(kreis_staff.memberships.values_list("authority__ags", flat=True)) == {demo.KREIS}
    notary = User.objects.get(email=demo.NOTARY_EMAIL)
    assert not notary.is_staff_account
    assert OrganisationMembership.objects.filter(
        user=notary, organisation__identifier=demo.NOTARY_IDENTIFIER
    ).exists()


def test_loading_twice_changes_nothing(loaded: demo.BaulastenDemoSummary) -> None:
    counts = (
        Register.objects.count(),
        Baulast.objects.count(),
        BaulastVersion.objects.count(),
        ScanFile.objects.count(),
        User.objects.count(),
        Gemarkung.objects.count(),
    )
    again = demo.load_baulasten_demo(requests=False, capture=False)
    assert (again.registers, again.entries, again.scans) == (0, 0, 0)
    assert counts == (
        Register.objects.count(),
        Baulast.objects.count(),
        BaulastVersion.objects.count(),
        ScanFile.objects.count(),
        User.objects.count(),
        Gemarkung.objects.count(),
    )


def test_scans_are_uploaded_through_the_capture_service(loaded: demo.BaulastenDemoSummary) -> None:
    pytest.importorskip("amtsweg.baulasten.services_capture")
    scans = ScanFile.objects.all()
    assert loaded.scans == scans.count() == 8  # 4 sheets in Neuss, 4 at the Kreis
    assert set(scans.values_list("status", flat=True)) <= {
        ScanFile.Status.UPLOADED, ScanFile.Status.OCR_DONE, ScanFile.Status.OCR_FAILED,
    }  # fmt: skip
    assert all(scan.original_name.startswith("Baulastenblatt_") for scan in scans)


def _neuss_scans() -> list[ScanFile]:
    return list(
        ScanFile.objects.filter(authority__ags=demo.NEUSS)
        .select_related("indexed_by", "checked_by")
        .order_by("pk")
    )


def test_capture_states_through_the_outbox() -> None:
    """With OCR installed: three of Neuss' scans are recognised through the outbox message, two
    indexed to the entry and parcel their page names, one of those checked by the second login."""
    require_ocr()
    from amtsweg.outbox.models import OutboxMessage

    from ..services_capture import OCR_KIND

    demo_load(full_catalog=False)
    loaded = demo.load_baulasten_demo(requests=False)
    assert loaded.ocr_missing is None
    assert (loaded.recognised, loaded.indexed, loaded.checked) == (3, 2, 1)
    first, second, third, fourth = _neuss_scans()
    Status = ScanFile.Status
    assert [s.status for s in (first, second, third, fourth)] == [
        Status.CHECKED, Status.INDEXED, Status.OCR_DONE, Status.UPLOADED,
    ]  # fmt: skip
    for scan in (first, second, third):
        assert "Baulastenblatt" in scan.text and scan.ocr_pdf and scan.pages == 1
        message = OutboxMessage.objects.get(kind=OCR_KIND, payload__scan_id=scan.pk)
        assert message.status == OutboxMessage.Status.DONE
    for scan in (first, second):
        entry = scan.entries.get()
        assert scan.original_name == f"Baulastenblatt_{entry.sheet:04d}_{entry.number}.pdf"
        parcel = scan.parcels.get()
        assert entry.parcel_links.filter(parcel=parcel, role="belastet").exists()
        # What the caseworker indexed is what the OCR suggested from the page.
        suggested = {s.get("kennzeichen") for s in scan.suggestions if s["type"] == "parcel"}
        assert parcel.kennzeichen in suggested
        assert scan.indexed_by is not None and scan.indexed_by.email == "baulasten.neuss@demo.amtsweg.de"
    assert first.checked_by is not None and first.checked_by.email == demo.CHECKER_EMAIL
    # The Kreis' scans wait for the worker.
    assert set(ScanFile.objects.filter(authority__ags=demo.KREIS).values_list("status", flat=True)) == {
        Status.UPLOADED
    }
    line = demo.baulasten_scans_line(loaded)
    assert "1 geprüft" in line and "warten" not in line
    # Loading again changes nothing.
    again = demo.load_baulasten_demo(requests=False)
    assert (again.recognised, again.indexed, again.checked) == (0, 0, 0)
    assert [s.status for s in _neuss_scans()] == [
        Status.CHECKED,
        Status.INDEXED,
        Status.OCR_DONE,
        Status.UPLOADED,
    ]


def test_without_ocr_the_scans_wait_and_the_summary_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from .. import ocr

    reason = "Texterkennung nicht verfügbar: OCRmyPDF fehlt. / OCR unavailable: OCRmyPDF is missing."
    monkeypatch.setattr(ocr, "ocr_available", lambda **_kwargs: reason)
    demo_load(full_catalog=False)
    loaded = demo.load_baulasten_demo(requests=False)
    assert loaded.ocr_missing == reason
    assert (loaded.recognised, loaded.indexed, loaded.checked) == (0, 0, 0)
    assert set(ScanFile.objects.values_list("status", flat=True)) == {ScanFile.Status.UPLOADED}
    line = demo.baulasten_scans_line(loaded)
    assert "8 hochgeladen" in line and "Texterkennung nicht verfügbar: OCRmyPDF fehlt." in line
    assert "OCR unavailable" not in line


def test_load_demo_without_ocr_leaves_the_scans_to_the_worker(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    """… and installs the XBau schemas from the shared reference data, as an operator would."""
    shared_data("xbau-2.6/xbau-nachrichten-baulastenverzeichnis.xsd")
    settings.XBAU_SCHEMA_DIR = tmp_path / "xbau-2.6"
    xbau.clear_schema_cache()
    assert xbau.schemas_problem() is not None
    out = io.StringIO()
    call_command("load_demo", "--curated-catalog", "--without-ocr", stdout=out)
    assert set(ScanFile.objects.values_list("status", flat=True)) == {ScanFile.Status.UPLOADED}
    assert Baulast.objects.count() == sum(demo.ENTRIES.values())
    line = next(row for row in out.getvalue().splitlines() if row.startswith("Baulasten-Scans:"))
    assert line.startswith("Baulasten-Scans: 8 (8 hochgeladen")
    assert xbau.schemas_problem() is None
    xbau.clear_schema_cache()


def test_open_auskunft_requests_are_filed_through_the_intake() -> None:
    pytest.importorskip("amtsweg.baulasten.intake")
    from amtsweg.cases.services import ensure_default_status_model

    from ..models import AuskunftRequest

    demo_load(full_catalog=False)
    ensure_default_status_model()
    loaded = demo.load_baulasten_demo(capture=False)
    requests = AuskunftRequest.objects.select_related("case", "register__authority")
    assert loaded.requests == requests.count() == 5
    assert {r.register.authority.ags for r in requests} == {"05162024", "05162000", "05162004", "05162022"}
    assert {r.decision for r in requests} == {AuskunftRequest.Decision.PENDING}
    assert {r.source for r in requests} == {AuskunftRequest.Source.PORTAL, AuskunftRequest.Source.API}
    # Each request found its parcels; the even ones also name a parcel without entry.
    for request in requests:
        assert request.parcels.count() >= 2
    assert demo.load_baulasten_demo(capture=False).requests == 0
