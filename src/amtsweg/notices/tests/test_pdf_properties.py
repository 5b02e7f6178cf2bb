"""The notice and receipt PDFs: PDF/A-2b, tagged for accessibility, fonts embedded, the right content.

veraPDF (the reference validator) is a Java program that is not packaged for Debian nor on PyPI, so
these tests check the properties it would check first, by reading the PDF itself (pdfinspect).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils.safestring import mark_safe

from amtsweg.cases.models import Document
from amtsweg.notices import rendering
from amtsweg.notices.models import Notice
from amtsweg.notices.services import notice_pdf_context, notice_render, receipt_render
from amtsweg.notices.verification import format_code
from amtsweg.testing import World

from .factories import fee_lines, issued_notice
from .pdfinspect import Pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice_pdf(world: World) -> tuple[Notice, Pdf]:
    notice = issued_notice(world, fees=fee_lines(55))
    rendered = notice_render(notice_id=notice.pk)
    assert rendered is not None and rendered.document is not None
    with rendered.document.file.open("rb") as handle:
        return rendered, Pdf.parse(handle.read())


def test_identifies_itself_as_pdf_a_2b(notice_pdf: tuple[Notice, Pdf]) -> None:
    _notice, pdf = notice_pdf
    assert pdf.data.startswith(b"%PDF-1.7\n%")
    assert all(byte > 127 for byte in pdf.data.split(b"\n")[1][1:5]), "binary comment after the header"
    xmp = pdf.xmp
    assert 'pdfaid:part="2"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    # The file identifier, in the cross-reference stream's dictionary (the trailer of a compressed PDF).
    assert re.search(
        rb"/Type /XRef[^>]*/ID\s*\[\s*[(<][0-9a-f]{32}[)>]\s*[(<][0-9a-f]{32}[)>]\s*\]", pdf.data
    )
    for forbidden in (b"/Encrypt", b"/JavaScript", b"/JS ", b"/Launch", b"/EmbeddedFiles"):
        assert forbidden not in pdf.data


def test_has_an_srgb_output_intent_with_the_icc_profile(notice_pdf: tuple[Notice, Pdf]) -> None:
    _notice, pdf = notice_pdf
    catalog = pdf.catalog.header
    assert b"/OutputIntents" in catalog and b"/S /GTS_PDFA1" in catalog
    profile = int(re.search(rb"/DestOutputProfile\s+(\d+)\s+0\s+R", catalog).group(1))  # type: ignore[union-attr]
    icc = pdf.objects[profile].stream
    assert icc[36:40] == b"acsp", "an ICC profile"
    assert icc[16:20] == b"RGB "


def test_is_tagged_with_language_and_title(notice_pdf: tuple[Notice, Pdf]) -> None:
    notice, pdf = notice_pdf
    catalog = pdf.catalog.header
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked true\s*>>", catalog)
    assert b"/StructTreeRoot" in catalog
    assert b"/Lang (de)" in catalog
    assert re.search(rb"/DisplayDocTitle true", catalog)
    root = pdf.objects[pdf.catalog.ref("StructTreeRoot")]  # type: ignore[index]
    assert b"/ParentTree" in root.header
    structure = b" ".join(o.header for o in pdf.find(rb"/Type\s*/StructElem"))
    for tag in (
        b"/S /Document",
        b"/S /H1",
        b"/S /H2",
        b"/S /P",
        b"/S /Table",
        b"/S /TH",
        b"/S /TD",
        b"/S /L",
    ):
        assert tag in structure, f"no {tag.decode()} element in the structure tree"
    figures = pdf.find(rb"/S /Figure")
    assert len(figures) == 1, "the QR code is the one figure"
    assert "QR-Code" in (figures[0].string("Alt") or ""), "the QR code has alternative text"
    assert notice.case.reference in pdf.xmp, "title in the XMP metadata (dc:title)"
    assert notice.case.reference in (pdf.info.string("Title") or ""), "title in the information dictionary"


def test_every_font_is_embedded_and_is_the_shipped_subset(notice_pdf: tuple[Notice, Pdf]) -> None:
    _notice, pdf = notice_pdf
    descriptors = pdf.find(rb"/Type\s*/FontDescriptor")
    assert descriptors
    for descriptor in descriptors:
        assert re.search(rb"/FontFile[23]\s+\d+\s+0\s+R", descriptor.header), descriptor.header
        assert b"Amtsweg-Sans" in descriptor.header, "no system font slipped in"
    for font in pdf.find(rb"/Subtype\s*/Type0"):
        assert b"/ToUnicode" in font.header, "text can be extracted and read aloud"


def test_55_fee_lines_make_two_pages_with_reference_code_and_total(notice_pdf: tuple[Notice, Pdf]) -> None:
    notice, pdf = notice_pdf
    assert len(pdf.pages) == 2
    text = pdf.text()
    assert notice.case.reference in text
    assert format_code(notice.code) in text
    assert notice.fee_total == sum(Decimal(line["amount"]) for line in fee_lines(55))
    assert "2.172,50 €" in text  # 55 × 11.50 + (1 + … + 55), German number format
    assert "Prüfung der Unterlagen, Position 55" in text
    assert "Rechtsbehelfsbelehrung" in text and "Verwaltungsgericht Düsseldorf" in text
    assert "Im Auftrag Nora Neuss" in text
    assert "Seite 2 von 2" in text
    assert "Clara Citizen" in text


def test_the_text_of_the_notice_is_escaped_not_markup(world: World) -> None:
    notice = issued_notice(world, body="Hallo <b>fett</b> & <img src='http://203.0.113.9/x.png'> Ende")
    rendered = notice_render(notice_id=notice.pk)
    assert rendered is not None and rendered.document is not None
    with rendered.document.file.open("rb") as handle:
        pdf = Pdf.parse(handle.read())
    assert "Hallo <b>fett</b> & <img src='http://203.0.113.9/x.png'> Ende" in pdf.text()
    assert not pdf.find(rb"/Subtype\s*/Image"), "no image was fetched or embedded"


def test_the_renderer_fetches_nothing_from_the_network(world: World) -> None:
    notice = issued_notice(world)
    context = notice_pdf_context(notice)
    context["qr_svg"] = mark_safe('<img src="http://203.0.113.9/tracker.png" alt="">')  # as if a template did
    with pytest.raises(rendering.PdfRenderError, match="static files"):
        rendering.render_pdf(template_name="notices/pdf/notice.html", context=context, title="Test")


def test_receipt_pdf_is_pdf_a_with_the_submitted_data(world: World) -> None:
    from amtsweg.cases.tests.factories import submit_case

    case = submit_case(world)
    document = receipt_render(case_id=case.pk)
    assert document is not None and document.kind == Document.Kind.RECEIPT
    with document.file.open("rb") as handle:
        pdf = Pdf.parse(handle.read())
    assert 'pdfaid:part="2"' in pdf.xmp and b"/StructTreeRoot" in pdf.catalog.header
    text = pdf.text()
    assert "Eingangsbestätigung" in text
    assert case.reference in text
    assert world.town_service.name in text
    assert "Familienname Citizen" in text or ("Familienname" in text and "Citizen" in text)
    assert case.submission is not None and case.submission.data_sha256 in text.replace(" ", "")
