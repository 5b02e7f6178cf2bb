"""OCR in tests: required under CI (CI=true: OCRmyPDF is installed there, a missing one fails),
skipped with the reason elsewhere."""

from __future__ import annotations

import os
import re

import pytest

from ..ocr import ocr_available


def require_ocr() -> None:
    problem = ocr_available(fresh=True)
    if problem is None:
        return
    if os.getenv("CI", "").lower() == "true":
        pytest.fail(f"OCR must be installed under CI: {problem}")
    pytest.skip(problem)


def normalised(text: str) -> str:
    """Whitespace collapsed (pdftotext and Tesseract insert extra blanks and line breaks)."""
    return re.sub(r"\s+", " ", text).strip()
