"""In Chromium: an authority administrator imports an XDatenfelder file, reviews it and publishes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.forms.models import FormVersion
from amtsweg.forms.selectors import published_form_for
from amtsweg.testing import PASSWORD, World, shared_data

pytestmark = [
    pytest.mark.browser,
    pytest.mark.fixture_data,
    pytest.mark.usefixtures("password_only_staff_login"),
]


def test_admin_imports_reviews_and_publishes_a_form_variant(page: Page, world: World) -> None:
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.admin_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")

    page.goto("/backoffice/05162024/formulare/")
    expect(page.get_by_role("table")).to_contain_text("kein Online-Formular")
    assert_accessible(page)
    page.get_by_role("link", name="XDatenfelder-Datei importieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("XDatenfelder-Datei importieren")
    assert_accessible(page)

    # A broken file first: the error summary names line, element and reason, and nothing is stored.
    page.get_by_label("Leistung").select_option(world.town_service.leika_key)
    page.get_by_label("XDatenfelder-Datei").set_input_files(shared_data("xdatenfelder/v3/empty-id-node.xml"))
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "empty-id-node.xml, Zeile 10, <xdf:id>: Die Kennung ist leer."
    )
    assert_accessible(page)
    assert not FormVersion.objects.exists()

    page.get_by_label("Leistung").select_option(world.town_service.leika_key)
    page.get_by_label("Variante für Neuss").check()
    page.get_by_label("XDatenfelder-Datei").set_input_files(shared_data("xdatenfelder/v3/simple.xml"))
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 wurde als Entwurf angelegt")
    expect(page.get_by_role("heading", name="Vorschau: Anschrift in Deutschland")).to_be_visible()
    expect(page.get_by_role("table", name="Nicht unterstützt")).to_contain_text("Relation ERS")
    assert_accessible(page)
    assert published_form_for(service=world.town_service, authority=world.neuss) is None

    page.get_by_role("button", name="Version 1 veröffentlichen").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 ist veröffentlicht")
    expect(page.get_by_text("veröffentlicht am")).to_be_visible()
    assert_accessible(page)
    published = published_form_for(service=world.town_service, authority=world.neuss)
    assert published is not None and published.definition.authority == world.neuss

    page.get_by_role("link", name="Alle Formulare").click()
    expect(page.get_by_role("table")).to_contain_text("Variante, Version 1")
    assert_accessible(page)
