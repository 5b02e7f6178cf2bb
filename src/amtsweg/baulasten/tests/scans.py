"""Generated "scanned" Baulastenblatt pages with known German text, for the OCR tests and the OCR
benchmark.

Each page is rendered by ``baulasten.scanpages.render_page`` (300 dpi, A4, greyscale, slightly
rotated, salt-and-pepper noise and a light blur: a flatbed scan of a typed register sheet).
:data:`KNOWN_PHRASES` are what OCR must find again; "§" is left out of them because Tesseract reads
it as "$".
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

# The page rendering is the product's (the demo uploads such pages too); the texts here are the tests'.
from ..scanpages import DPI, render_page


def page_lines(
    page: int = 1,
    *,
    sheet: int = 12,
    number: int = 3,
    gemarkung: str = "Neuss",
    flur: int = 3,
    flurstueck: str = "119/2",
    street: str = "Musterstraße 17",
) -> list[str]:
    """The text of one register page (lines as typed)."""
    return [
        f"Baulastenverzeichnis der Stadt {gemarkung}",
        f"Baulastenblatt Nr. {sheet}                Seite {page}",
        "",
        f"lfd. Nr. {number}  Eintragung vom 12.03.1998",
        f"Grundstück: Gemarkung {gemarkung}, Flur {flur}, Flurstück {flurstueck}",
        f"Straße: {street}, 41460 Neuss",
        "",
        "Inhalt der Baulast (Abstandsflächenbaulast):",
        "Der jeweilige Eigentümer des Grundstücks verpflichtet sich",
        "gegenüber der Bauaufsichtsbehörde, die im Lageplan rot",
        "schraffierte Fläche von jeglicher Bebauung freizuhalten,",
        "damit die nach § 6 BauO NRW erforderlichen Abstandsflächen",
        "des Gebäudes auf dem Nachbargrundstück eingehalten werden.",
        "",
        "Größe der Fläche: 48,50 m²",
    ]


# Phrases the OCR text must contain (after whitespace normalisation) for the default page.
KNOWN_PHRASES = (
    "Gemarkung Neuss, Flur 3, Flurstück 119/2",
    "Baulastenblatt Nr. 12",
    "Musterstraße 17",
    "Abstandsflächenbaulast",
    "Eigentümer",
    "Größe der Fläche",
)


def pages(count: int = 1, **text: object) -> list[Image.Image]:
    return [render_page(page_lines(n + 1, **text), seed=n) for n in range(count)]  # type: ignore[arg-type]


def scan_pdf(count: int = 1, **text: object) -> bytes:
    """An image-only PDF of ``count`` pages (no text layer), as a scanner writes it."""
    images = pages(count, **text)
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buffer.getvalue()


def scan_tiff(count: int = 2, **text: object) -> bytes:
    """A (multi-page) TIFF, Group-4 compressed bilevel like most archive scanners write it."""
    images = [image.point(lambda v: 255 if v > 128 else 0).convert("1") for image in pages(count, **text)]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=images[1:],
        compression="group4",
        dpi=(DPI, DPI),
    )
    return buffer.getvalue()


def write_samples(directory: Path, count: int = 1) -> list[Path]:
    """Write a PDF and a TIFF sample to ``directory`` (demo and benchmark use)."""
    directory.mkdir(parents=True, exist_ok=True)
    pdf, tiff = directory / f"baulastenblatt_{count}s.pdf", directory / f"baulastenblatt_{count}s.tif"
    pdf.write_bytes(scan_pdf(count))
    tiff.write_bytes(scan_tiff(count))
    return [pdf, tiff]
