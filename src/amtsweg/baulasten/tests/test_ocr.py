"""OCR of generated scans with known text (OCRmyPDF + Tesseract deu): PDF and multi-page TIFF in,
PDF/A with a text layer out; broken, encrypted and missing-OCR cases. The OCR runs are module-scoped:
a handful for the whole suite."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings

from ..ocr import OcrFailed, OcrResult, ocr_available, ocr_run
from .ocr_support import normalised, require_ocr
from .scans import KNOWN_PHRASES, scan_pdf, scan_tiff


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ocr")


@pytest.fixture(scope="module")
def pdf_result(workdir: Path) -> tuple[OcrResult, Path]:
    require_ocr()
    source, target = workdir / "scan.pdf", workdir / "scan-ocr.pdf"
    source.write_bytes(scan_pdf(1))
    return ocr_run(source, target), target


@pytest.fixture(scope="module")
def tiff_result(workdir: Path) -> tuple[OcrResult, Path]:
    require_ocr()
    source, target = workdir / "scan.tif", workdir / "scan-tif-ocr.pdf"
    source.write_bytes(scan_tiff(2))
    return ocr_run(source, target), target


def _text_layer(pdf: Path) -> str:
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        [binary, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_pdf_scan_text_is_recognised(pdf_result: tuple[OcrResult, Path]) -> None:
    result, _ = pdf_result
    text = normalised(result.text)
    for phrase in KNOWN_PHRASES:
        assert phrase in text, f"{phrase!r} not recognised"
    assert result.pages == 1
    assert 0 < result.seconds < 300


def test_output_is_pdfa_with_a_text_layer(pdf_result: tuple[OcrResult, Path]) -> None:
    _, target = pdf_result
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    # The XMP metadata declares PDF/A-2 (ocrmypdf --output-type pdfa); attribute or element form.
    assert b'pdfaid:part="2"' in data or b"<pdfaid:part>2</pdfaid:part>" in data
    layer = normalised(_text_layer(target))
    assert "Flurstück 119/2" in layer
    assert "Abstandsflächenbaulast" in layer


def test_multipage_tiff_is_recognised(tiff_result: tuple[OcrResult, Path]) -> None:
    result, target = tiff_result
    assert result.pages == 2
    text = normalised(result.text)
    assert text.count("Gemarkung Neuss, Flur 3, Flurstück 119/2") == 2
    assert "Musterstraße 17" in text
    assert b"pdfaid:part" in target.read_bytes()


def test_pdf_with_text_is_not_rasterised_again(pdf_result: tuple[OcrResult, Path], workdir: Path) -> None:
    _, already = pdf_result  # has a text layer now: --skip-text keeps its pages
    again = ocr_run(already, workdir / "again.pdf")
    assert "Gemarkung Neuss, Flur 3, Flurstück 119/2" in normalised(again.text)
    assert again.pages == 1


def test_broken_pdf_fails_permanently(workdir: Path) -> None:
    require_ocr()
    broken = workdir / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
    with pytest.raises(OcrFailed) as caught:
        ocr_run(broken, workdir / "broken-ocr.pdf")
    assert caught.value.permanent
    assert caught.value.exit_code == 2
    assert "beschädigt" in caught.value.detail_de


def test_missing_ocr_is_reported_with_what_to_install(workdir: Path) -> None:
    with override_settings(BAULASTEN_OCRMYPDF=str(workdir / "no-such-ocrmypdf")):
        problem = ocr_available(fresh=True)
        assert problem is not None
        assert "apt-get install ocrmypdf tesseract-ocr-deu" in problem
        with pytest.raises(OcrFailed) as caught:
            ocr_run(workdir / "x.pdf", workdir / "y.pdf")
        assert caught.value.permanent


def test_missing_language_is_named() -> None:
    require_ocr()
    with override_settings(BAULASTEN_OCR_LANGUAGES="deu+xyz"):
        problem = ocr_available(fresh=True)
    assert problem is not None and "tesseract-ocr-xyz" in problem
    assert ocr_available(fresh=True) is None
