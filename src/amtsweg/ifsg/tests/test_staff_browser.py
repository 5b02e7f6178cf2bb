"""The health office's pages in Chromium with axe-core: the overview with statistics, the material form
(with an error summary after a bad upload) and the question form, and a publication end to end."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from ..models import Material
from .factories import ifsg_setup
from .matrix_staff import attempts_for, certificate_for, instruction_for

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def _login(page: Page, email: str) -> None:
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_overview_material_and_question_forms_are_accessible(
    page: Page, world: World, tmp_path: Path
) -> None:
    setup = ifsg_setup(world)
    now = timezone.now() - timedelta(minutes=5)
    instruction = instruction_for(setup.programme, world.citizen, language="ar", at=now)
    attempts_for(instruction, [False, True], at=now)
    certificate_for(setup.programme, world.citizen, language="ar", issued_at=now, instruction=instruction)
    base = f"/backoffice/{world.kreis.ags}/infektionsschutz/"
    _login(page, world.kreis_admin.email)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Infektionsschutzbelehrung (§ 43 IfSG)")
    expect(page.get_by_role("table").first).to_be_visible()
    assert_accessible(page)

    page.goto(base + "material/neu/de/")
    bad = tmp_path / "film.mp4"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.get_by_label("Video", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.get_by_role("alert")).to_contain_text("WebM- oder MP4")
    assert_accessible(page)
    page.get_by_label("Titel", exact=True).fill("Belehrung 2026")
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Version 2 (Deutsch)")
    assert_accessible(page)
    page.get_by_role("button", name="Veröffentlichen").click()
    expect(page.get_by_role("status").first).to_contain_text("veröffentlicht")
    assert Material.objects.get(programme=setup.programme, language="de", version=2).status == "published"

    page.goto(base + f"fragen/{setup.questions[0].pk}/")
    expect(page.get_by_role("group", name="Arabisch")).to_be_visible()
    assert_accessible(page)
    page.goto(base + "fragen/neu/")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
