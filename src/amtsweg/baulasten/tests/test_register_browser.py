"""The register in Chromium (axe-core on every page state): a Bauaufsicht caseworker searches by parcel,
by Gemarkung/Flur and in the full text, opens an entry with its history, enters a new one (after a
validation error whose summary links to the fields), changes it, enters its Löschung (after an
incomplete deletion form) and lifts the Löschung again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import World

from ..models import Baulast, BaulastVersion
from .browser_support import assert_error_summary_links_work, staff_login
from .factories import NEUSS_119_2, baulasten_setup

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_caseworker_searches_enters_changes_deletes_and_restores(page: Page, world: World) -> None:
    setup = baulasten_setup(world)
    ags = world.neuss.ags
    staff_login(page, setup.bau_neuss.email)

    # --- search: by parcel (Gemarkung + Flurstück) ------------------------------------------------------
    page.goto(f"/backoffice/{ags}/baulasten/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulastenverzeichnis der Stadt Neuss")
    search = page.get_by_role("search", name="Baulasten suchen")
    search.get_by_label("Gemarkung").select_option(label="Neuss (3359)")
    search.get_by_label("Flurstück", exact=True).fill("119/2")
    search.get_by_role("button", name="Suchen").click()
    results = page.get_by_role("table")
    expect(results.locator("caption")).to_have_text("2 Baulasten gefunden")
    expect(results).to_contain_text("Abstandsflächenbaulast")
    expect(results).to_contain_text("Stellplatzbaulast")
    expect(results).not_to_contain_text("Zufahrt")
    # the criteria stay in the form, so the search can be refined
    expect(search.get_by_label("Flurstück", exact=True)).to_have_value("119/2")
    assert_accessible(page)

    # --- by Gemarkung and Flur (the deleted entry only with "gelöschte einbeziehen") --------------------
    page.goto(f"/backoffice/{ags}/baulasten/")
    search.get_by_label("Gemarkung").select_option(label="Grimlinghausen (3351)")
    search.get_by_label("Flur", exact=True).fill("1")
    search.get_by_role("button", name="Suchen").click()
    expect(results.locator("caption")).to_have_text("0 Baulasten gefunden")
    expect(results).to_contain_text("Keine Baulast gefunden.")
    search.get_by_label("gelöschte Baulasten einbeziehen").check()
    search.get_by_role("button", name="Suchen").click()
    expect(results.locator("caption")).to_have_text("1 Baulast gefunden")
    expect(results).to_contain_text("gelöscht am 30.06.2015")
    assert_accessible(page)

    # --- full text; an invalid parcel is explained in the form ---------------------------------------
    page.goto(f"/backoffice/{ags}/baulasten/")
    search.get_by_label("Volltext").fill("Stellplätze")
    search.get_by_role("button", name="Suchen").click()
    expect(results.locator("caption")).to_have_text("1 Baulast gefunden")
    expect(results.get_by_role("link")).to_have_text(["Blatt 2, Nr. 1"])
    assert_accessible(page)
    page.goto(f"/backoffice/{ags}/baulasten/?parcel=119%2F2")  # a number without its Gemarkung
    assert_error_summary_links_work(page)
    assert_accessible(page)

    # --- an entry with its parcels and history --------------------------------------------------------
    page.goto(f"/backoffice/{ags}/baulasten/?gemarkung=053359&parcel=119%2F2")
    page.get_by_role("link", name="Blatt 1, Nr. 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulastenblatt 1, lfd. Nr. 1")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Erika Mustermann")  # staff see the obligors
    expect(page.get_by_role("table", name="Flurstücke")).to_contain_text(NEUSS_119_2)
    expect(page.get_by_role("heading", name="Änderungsgeschichte")).to_be_visible()
    expect(main).to_contain_text("Fassung 1")
    assert_accessible(page)

    # --- a new entry: first with errors ------------------------------------------------------------------
    page.get_by_role("navigation", name="Baulastenverzeichnis").get_by_role(
        "link", name="Baulast eintragen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulast eintragen")
    page.get_by_label("Baulastenblatt").fill("7")
    page.get_by_label("lfd. Nr.").fill("1")
    page.get_by_label("Art der Baulast").select_option(label="Stellplatzbaulast")
    page.get_by_label("eingetragen am").fill("2024-03-15")
    first = page.get_by_role("group", name="Flurstück 1", exact=True)
    first.get_by_label("oder Gemarkung").select_option(label="Neuss (3359)")
    first.get_by_label("Flur", exact=True).fill("7")
    first.get_by_label("Flurstück", exact=True).fill("200/x")  # not a Flurstücksnummer
    page.get_by_role("button", name="Eintragen").click()  # and "Inhalt der Baulast" is missing
    expect(page.get_by_role("heading", name="Bitte korrigieren Sie die Angaben")).to_be_visible()
    targets = assert_error_summary_links_work(page)
    assert targets == ["#id_text", "#id_parcels-0-flurstueck"], targets
    assert_accessible(page)
    assert not Baulast.objects.filter(sheet=7).exists()

    page.get_by_label("Inhalt der Baulast").fill("Drei Stellplätze für das Vorhaben Am Obertor 5.")
    first.get_by_label("Flurstück", exact=True).fill("200")
    first.get_by_label("Lage").fill("Am Obertor 3")
    page.get_by_role("button", name="Eintragen").click()
    expect(page.get_by_role("status")).to_contain_text("Die Baulast ist eingetragen.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulastenblatt 7, lfd. Nr. 1")
    expect(page.get_by_role("table", name="Flurstücke")).to_contain_text("Am Obertor 3")
    entry = Baulast.objects.get(register=setup.neuss_register, sheet=7, number=1)
    assert entry.version == 1 and entry.authority == world.neuss

    # --- change it ----------------------------------------------------------------------------------------
    page.get_by_role("link", name="Baulast ändern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulast ändern: Blatt 7, Nr. 1")
    expect(page.get_by_label("Inhalt der Baulast")).to_have_value(
        "Drei Stellplätze für das Vorhaben Am Obertor 5."
    )
    assert_accessible(page)
    page.get_by_label("Inhalt der Baulast").fill("Vier Stellplätze für das Vorhaben Am Obertor 5.")
    page.get_by_role("button", name="Änderung speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Die Änderung ist gespeichert.")
    history = page.get_by_role("table", name="Änderungen in Fassung 2")
    expect(history).to_contain_text("Drei Stellplätze")
    expect(history).to_contain_text("Vier Stellplätze")

    # --- Löschung: first without a reason -------------------------------------------------------------
    deletion = page.get_by_role("group", name="Löschung eintragen")
    deletion.get_by_label("gelöscht am").fill("2025-01-31")
    page.get_by_role("button", name="Löschung eintragen").click()
    expect(page.get_by_role("heading", name="Bitte korrigieren Sie die Angaben")).to_be_visible()
    assert assert_error_summary_links_work(page) == ["#id_delete-reason"]
    assert_accessible(page)
    deletion.get_by_label("Grund der Löschung").fill("Verzicht der Bauaufsichtsbehörde vom 30.01.2025")
    page.get_by_role("button", name="Löschung eintragen").click()
    expect(page.get_by_role("status")).to_contain_text("Die Baulast ist gelöscht")
    expect(page.get_by_role("main")).to_contain_text("Gelöscht am 31.01.2025")
    expect(page.get_by_role("link", name="Baulast ändern")).to_have_count(0)
    assert_accessible(page)
    entry.refresh_from_db()
    assert entry.is_deleted and entry.version == 3

    # --- and lift it again ------------------------------------------------------------------------------
    page.get_by_role("button", name="Löschung aufheben").click()
    expect(page.get_by_role("status")).to_contain_text("Die Löschung ist aufgehoben.")
    expect(page.get_by_role("link", name="Baulast ändern")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"Fassung 4\s*: Löschung aufgehoben"))
    assert_accessible(page)
    entry.refresh_from_db()
    assert not entry.is_deleted and entry.version == 4
    assert list(entry.versions.order_by("number").values_list("change", flat=True)) == [
        BaulastVersion.Change.CREATED,
        BaulastVersion.Change.UPDATED,
        BaulastVersion.Change.DELETED,
        BaulastVersion.Change.RESTORED,
    ]
