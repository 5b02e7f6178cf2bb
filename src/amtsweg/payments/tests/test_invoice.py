"""The invoice provider: IBAN checks, the GiroCode's content, the invoice page and PDF, the notice block."""

from __future__ import annotations

import pytest
import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import Client

from amtsweg.cases.tests.factories_citizen import other_citizen
from amtsweg.core.problems import Problem
from amtsweg.payments import invoice
from amtsweg.payments.models import Payment, PaymentAccount
from amtsweg.payments.providers import provider
from amtsweg.payments.services import payment_begin
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .matrix_reconcile import payment, treasury


@pytest.mark.parametrize(
    "value",
    [
        "DE24305500000093000011",
        "de24 3055 0000 0093 0000 11",
        "DE89 3704 0044 0532 0130 00",
        "AT611904300234573201",
    ],
)
def test_valid_ibans_are_normalised(value: str) -> None:
    assert invoice.validate_iban(value) == "".join(value.split()).upper()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DE24305500000093000012", "iban-checksum"),  # one digit typed wrong
        ("DE42305500000093000011", "iban-checksum"),  # check digits swapped
        ("DE2430550000009300001", "iban-length"),
        ("US24305500000093000011", "iban-country"),
        ("Stadtkasse", "iban-form"),
        ("", "iban-form"),
    ],
)
def test_invalid_ibans_are_refused(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        invoice.validate_iban(value)
    assert caught.value.code == code


def test_bic() -> None:
    assert invoice.validate_bic("weladednxxx") == "WELADEDNXXX"
    assert invoice.validate_bic("") == ""
    with pytest.raises(ValidationError):
        invoice.validate_bic("WELADED")


def test_account_is_saved_by_administrators_with_a_checked_iban(world: World) -> None:
    account = PaymentAccount(
        recipient="Stadt Neuss", iban="de24 3055 0000 0093 0000 11", kassenzeichen_prefix="ne"
    )
    with pytest.raises(PermissionDenied):
        invoice.payment_account_save(account=account, authority=world.neuss, actor=world.caseworker_neuss)
    with pytest.raises(PermissionDenied):
        invoice.payment_account_save(account=account, authority=world.neuss, actor=world.caseworker_dormagen)
    wrong = PaymentAccount(
        recipient="Stadt Neuss", iban="DE24305500000093000012", bic="X", kassenzeichen_prefix="N1"
    )
    with pytest.raises(ValidationError) as caught:
        invoice.payment_account_save(account=wrong, authority=world.neuss, actor=world.admin_neuss)
    assert set(caught.value.message_dict) == {"iban", "bic", "kassenzeichen_prefix"}
    assert not PaymentAccount.objects.exists()

    saved = invoice.payment_account_save(account=account, authority=world.neuss, actor=world.admin_neuss)
    assert (saved.iban, saved.kassenzeichen_prefix, saved.authority_id) == (
        "DE24305500000093000011",
        "NE",
        world.neuss.pk,
    )
    assert AuditEvent.objects.filter(object_type="payments.paymentaccount", object_id=str(saved.pk)).exists()


def test_the_provider_is_offered_when_configured(world: World, settings: object) -> None:
    setattr(settings, "PAYMENT_INVOICE", True)  # noqa: B010
    chosen = provider("invoice")
    assert chosen is not None and chosen.online is False
    setattr(settings, "PAYMENT_INVOICE", False)  # noqa: B010
    assert provider("invoice") is None


def test_begin_sends_the_payer_to_the_invoice_page(world: World, settings: object) -> None:
    setattr(settings, "PAYMENT_INVOICE", True)  # noqa: B010
    owed = payment(
        payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=2500, provider=""
    )
    with pytest.raises(Problem) as caught:  # no treasury account: no invoice
        payment_begin(payment=owed, provider_key="invoice", actor=world.citizen, return_url="/", request=None)
    assert caught.value.code == "invoice-unavailable"
    treasury(world.neuss)
    begin = payment_begin(
        payment=owed, provider_key="invoice", actor=world.citizen, return_url="/", request=None
    )
    assert begin.invoice_url == f"/zahlungen/{owed.pk}/rechnung/"
    owed.refresh_from_db()
    assert (owed.provider, owed.status) == ("invoice", Payment.Status.OPEN)  # open until the bank says so


def test_girocode_follows_epc069_12_version_2(world: World) -> None:
    account = treasury(world.neuss)
    owed = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=123456)
    payload = "\n".join(
        [
            "BCD",  # service tag
            "002",  # version 2 (BIC optional within the EEA)
            "1",  # character set: UTF-8
            "SCT",  # SEPA credit transfer
            "WELADEDNXXX",
            "Stadtkasse Neuss",
            "DE24305500000093000011",
            "EUR1234.56",  # exact, from cents
            "",  # no purpose code
            "",  # no structured creditor reference: a Kassenzeichen is not ISO 11649
            "NE2026000001 Meldebescheinigung",  # the remittance text starts with the Kassenzeichen
        ]
    )
    expected = segno.make_qr(payload.encode("utf-8"), error="m", boost_error=False)
    made = invoice.epc_qr(owed, account)
    assert made.matrix == expected.matrix  # the very same symbol: segno encoded exactly this payload
    assert made.error == "M" and isinstance(made.version, int) and made.version <= 13  # EPC069-12
    svg = invoice.epc_svg(owed, account)
    assert svg.startswith("<svg") and "GiroCode" in svg and "style=" not in svg


def test_invoice_page_shows_the_transfer_details_to_the_payer_only(world: World) -> None:
    treasury(world.neuss)
    owed = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=2500)
    client = Client()
    client.force_login(world.citizen)
    response = client.get(f"/zahlungen/{owed.pk}/rechnung/")
    assert response.status_code == 200
    body = response.content.decode()
    for expected in (
        "DE24 3055 0000 0093 0000 11",
        "WELADEDNXXX",
        "25,00 €",
        "NE2026000001",
        "Stadtkasse Neuss",
        "<svg",
    ):
        assert expected in body
    assert response["Cache-Control"] == "private, no-store"

    stranger = Client()
    stranger.force_login(other_citizen())
    assert stranger.get(f"/zahlungen/{owed.pk}/rechnung/").status_code == 404
    assert stranger.get(f"/zahlungen/{owed.pk}/rechnung/pdf/").status_code == 404


def test_invoice_without_treasury_account_is_404(world: World) -> None:
    owed = payment(payer=world.citizen, authority=world.dormagen, kassenzeichen="DO2026000001", cents=2500)
    client = Client()
    client.force_login(world.citizen)
    assert client.get(f"/zahlungen/{owed.pk}/rechnung/").status_code == 404


def test_invoice_pdf(world: World) -> None:
    treasury(world.neuss)
    owed = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=2500)
    client = Client()
    client.force_login(world.citizen)
    response = client.get(f"/zahlungen/{owed.pk}/rechnung/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Rechnung-NE2026000001.pdf"'
    from amtsweg.notices.tests.pdfinspect import Pdf

    pdf = Pdf.parse(response.content)
    assert 'pdfaid:part="2"' in pdf.xmp  # PDF/A-2b like the notices
    assert b"/StructTreeRoot" in pdf.catalog.header  # tagged
    text = " ".join(pdf.text().split())
    for expected in (
        "Rechnung NE2026000001",
        "DE24 3055 0000 0093 0000 11",
        "WELADEDNXXX",
        "25,00 €",
        "Stadtkasse Neuss",
    ):
        assert expected in text
    assert pdf.find(rb"/Subtype\s*/Image") == []  # the GiroCode is vector graphics, not an image


def test_payment_block_of_a_notice(world: World) -> None:
    from amtsweg.cases.tests.factories_citizen import submitted_case

    case = submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    assert invoice.payment_block_context(case) is None  # nothing owed
    owed = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000009", cents=4200)
    Payment.objects.filter(pk=owed.pk).update(case=case)
    assert invoice.payment_block_context(case) is None  # no treasury account
    treasury(world.neuss)
    block = invoice.payment_block_context(case)
    assert block is not None
    assert (block["kassenzeichen"], block["amount_cents"], block["iban"]) == (
        "NE2026000009",
        4200,
        "DE24 3055 0000 0093 0000 11",
    )
    assert block["due_date"] is not None and str(block["girocode_svg"]).startswith("<svg")
    # What the notice template shows with {% include "payments/_payment_block.html" with payment_block=… %}
    html = render_to_string("payments/_payment_block.html", {"payment_block": block})
    for expected in ("DE24 3055 0000 0093 0000 11", "42,00 €", "NE2026000009", "<svg", "Stadtkasse Neuss"):
        assert expected in html
    Payment.objects.filter(pk=owed.pk).update(status=Payment.Status.PAID)
    assert invoice.payment_block_context(case) is None
