"""System checks of the capture part (registered by handlers_capture on start-up)."""

from __future__ import annotations

from typing import Any

from django.core import checks


def check_ocr(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """W001: OCR is not usable (scans stay without text)."""
    from .ocr import ocr_available

    found: list[checks.CheckMessage] = []
    problem = ocr_available()
    if problem is not None:
        found.append(
            checks.Warning(
                problem,
                hint="Debian/Ubuntu: apt-get install ocrmypdf tesseract-ocr-deu; or set BAULASTEN_OCRMYPDF.",
                id="baulasten.W001",
            )
        )
    return found
