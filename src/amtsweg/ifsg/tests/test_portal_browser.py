"""The online instruction end to end in Chromium, in German and in Arabic (right to left): choose the
language, step up to level "substantiell" with the identity simulator, read the material, declare,
fail the quiz, read the material again, pass, redeem the volunteers' voucher, submit; the worker issues
the certificate, which the person finds on the done page and in the postbox. axe-core checks every
page of the way, the strict CSP is kept (a violation fails the test).

The worker is called directly (``deliver_due_messages``); the answers are chosen from the attempt's
stored order, as a person who knows (or does not know) the right answers would click them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import translation
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.testing import PASSWORD, World

from .. import languages
from ..models import Certificate, Instruction, Question, QuizAttempt
from .factories import VOUCHER, ifsg_setup

pytestmark = pytest.mark.browser


def _t(language: str) -> Callable[[str], str]:
    """The flow's UI text as the page shows it in ``language`` (its own catalogue locale)."""
    locale = languages.get(language).locale

    def translate(text: str) -> str:
        with translation.override(locale):
            return translation.gettext(text)

    return translate


def _answer(page: Page, instruction: Instruction, *, right: bool, t: Callable[[str], str]) -> None:
    attempt = QuizAttempt.objects.get(instruction=instruction, submitted_at__isnull=True)
    correct = {
        q.pk: q.correct for q in Question.objects.filter(pk__in=[i["question"] for i in attempt.items])
    }
    for item in attempt.items:
        position = item["order"].index(correct[item["question"]])
        if not right:
            position = (position + 1) % len(item["order"])
        page.locator(f"#id_frage-{item['question']}_{position}").check()
    page.get_by_role("button", name=t("Antworten abgeben")).click()


def _confirm_material(page: Page, t: Callable[[str], str]) -> None:
    page.get_by_label(
        t("Ich habe den Text gelesen und das Video angesehen (oder das Transkript gelesen).")
    ).check()
    page.get_by_role("button", name=t("Weiter")).click()


@pytest.mark.parametrize(("language", "native", "rtl"), [("de", "Deutsch", False), ("ar", "العربية", True)])
def test_instruction_end_to_end(
    page: Page, world: World, settings: Any, language: str, native: str, rtl: bool
) -> None:
    settings.IDENTITY_SIMULATOR = True
    setup = ifsg_setup(world)
    material = setup.materials[language]
    material.captions.save(
        "belehrung.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:02.000\nHallo\n"), save=False
    )
    material.leaflet.save("merkblatt.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    material.transcript = "Transkript des Videos."
    material.save()

    # --- log in with a password, open the start page, choose the language ---------------------------
    page.goto("/konto/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto("/infektionsschutz/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Infektionsschutzgesetz")
    expect(page.locator(f'li[lang="{language}"]')).to_have_text(native)
    assert_accessible(page)
    page.get_by_role("link", name="Belehrung beginnen").click()
    expect(page.locator("[aria-current=step]")).to_have_text("Sprache")
    assert_accessible(page)
    page.get_by_role("button", name="Weiter").click()  # nothing chosen
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(native).check()
    page.get_by_role("button", name="Weiter").click()

    # --- the password login is not enough: step up with the identity simulator ------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text("Stärkere Anmeldung nötig")
    assert not Instruction.objects.exists()
    page.get_by_role("link", name="Demo-Identität (Simulator)").click()
    page.get_by_label("substantiell (eIDAS substanziell)").check()
    page.get_by_role("button", name="Als diese Person anmelden").click()
    expect(page.get_by_label(native)).to_be_checked()  # back on the language page, choice kept
    page.get_by_role("button", name="Weiter").click()

    t = _t(language)  # from here on the pages speak the chosen language
    # --- material --------------------------------------------------------------------------------------
    instruction = Instruction.objects.get(applicant=world.citizen)
    assert instruction.language == language
    expect(page.locator("html")).to_have_attribute("lang", language)
    if rtl:
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    else:
        assert page.locator("html").get_attribute("dir") is None
    expect(page.get_by_role("heading", level=1)).to_have_text(material.title)
    expect(page.locator("[aria-current=step]")).to_have_text(t("Belehrung"))
    expect(
        page.get_by_text(t("Schritt %(number)s von %(total)s") % {"number": 3, "total": 7})
    ).to_be_visible()
    expect(page.get_by_role("link", name=t("Merkblatt herunterladen (PDF)"))).to_be_visible()
    page.get_by_text(t("Transkript des Videos"), exact=True).click()
    expect(page.locator("details.ifsg-transcript")).to_have_attribute("open", "")
    assert_accessible(page)
    page.get_by_role("button", name=t("Weiter")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    _confirm_material(page, t)

    # --- declaration -----------------------------------------------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Ihre Erklärung"))
    assert_accessible(page)
    page.get_by_label(t("Familienname")).fill("Citizen")
    page.get_by_label(t("Vornamen")).fill("Clara")
    page.get_by_label(t("Geburtsdatum")).fill("1990-04-01")
    page.get_by_label(t("Ich gebe die obenstehende Erklärung ab.")).check()
    page.get_by_role("button", name=t("Erklärung abgeben")).click()

    # --- quiz: a failed attempt, the material again, then passed --------------------------------------
    expect(page.get_by_role("button", name=t("Fragen beginnen"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=t("Fragen beginnen")).click()
    expect(page.locator("fieldset legend")).to_have_count(8)
    assert_accessible(page)
    _answer(page, instruction, right=False, t=t)
    expect(page.get_by_role("heading", name=t("Leider nicht bestanden"))).to_be_visible()
    score = t(
        "Sie haben %(correct)s von %(total)s Fragen richtig beantwortet; zum Bestehen sind %(needed)s nötig."
    )
    expect(page.locator("main")).to_contain_text(score % {"correct": 0, "total": 8, "needed": 7})
    assert_accessible(page)
    page.get_by_role("link", name=t("Material noch einmal ansehen")).click()
    expect(page.locator("[aria-current=step]")).to_have_text(t("Belehrung"))
    assert_accessible(page)
    _confirm_material(page, t)
    page.get_by_role("button", name=t("Fragen beginnen")).click()
    _answer(page, instruction, right=True, t=t)

    # --- fee waived by the voucher ------------------------------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Gebühr"))
    expect(page.locator("main")).to_contain_text("20,00")
    assert_accessible(page)
    page.get_by_label(t("Gutscheincode"), exact=True).fill("FALSCH-1")
    page.get_by_role("button", name=t("Gutschein einlösen")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(t("Gutscheincode"), exact=True).fill(VOUCHER)
    page.get_by_role("button", name=t("Gutschein einlösen")).click()

    # --- submit, the worker issues the certificate --------------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Prüfen und absenden"))
    with translation.override(languages.get(language).locale):
        waived = translation.pgettext("fee", "erlassen")  # the fee's status, not a notice's
    expect(page.locator("main")).to_contain_text(waived)
    assert_accessible(page)
    page.get_by_role("button", name=t("Verbindlich absenden")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Belehrung abgeschlossen"))
    assert_accessible(page)
    deliver_due_messages()
    certificate = Certificate.objects.get(instruction=instruction)
    page.reload()
    expect(page.locator("main")).to_contain_text(certificate.notice.code)
    expect(page.get_by_role("link", name=t("Bescheinigung herunterladen (PDF)"))).to_be_visible()
    if rtl:
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(page)

    # --- and in the postbox ------------------------------------------------------------------------
    page.goto("/konto/postfach/")
    expect(page.locator("main")).to_contain_text("Bescheinigung")
    assert_accessible(page)
