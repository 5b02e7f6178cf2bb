"""Generated "scanned" register pages (Baulastenblatt) with known German text, for the demo and the
OCR benchmark (bench/baulasten_ocr.py) — application code must not import the tests, so this is the
generator they can use; ``tests/scans.py`` renders the same way for the OCR tests.

A page is rendered with Pillow at 300 dpi on A4 in greyscale (DejaVu Serif), rotated slightly and
sprinkled with salt-and-pepper noise and a light blur, as a flatbed scan of a typed sheet looks.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 300
WIDTH, HEIGHT = 2480, 3508  # A4 at 300 dpi
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


@dataclass(frozen=True)
class SheetText:
    """What a typed register page says."""

    keeper: str  # "der Stadt Neuss", "des Rhein-Kreises Neuss"
    sheet: int
    number: int
    entered: str  # "12.03.1998"
    gemarkung: str
    flur: int | None
    flurstueck: str  # "119/2"
    street: str
    kind_label: str
    body: list[str]  # the obligation, as typed lines (≤ 60 characters each)


def page_lines(text: SheetText, page: int = 1) -> list[str]:
    flur = f", Flur {text.flur}" if text.flur is not None else ""
    return [
        f"Baulastenverzeichnis {text.keeper}",
        f"Baulastenblatt Nr. {text.sheet}                Seite {page}",
        "",
        f"lfd. Nr. {text.number}  Eintragung vom {text.entered}",
        f"Grundstück: Gemarkung {text.gemarkung}{flur}, Flurstück {text.flurstueck}",
        f"Straße: {text.street}",
        "",
        f"Inhalt der Baulast ({text.kind_label}):",
        *text.body,
    ]


def wrap(text: str, width: int = 58) -> list[str]:
    """``text`` as typed lines of at most ``width`` characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), 44)
    return ImageFont.load_default(size=44)


def render_page(lines: list[str], *, seed: int = 0, noise: int = 30_000) -> Image.Image:
    """One greyscale page image with ``lines`` typed on it, slightly skewed and noisy."""
    rnd = random.Random(seed)
    image = Image.new("L", (WIDTH, HEIGHT), 245)
    draw = ImageDraw.Draw(image)
    font = _font()
    y = 250
    for line in lines:
        draw.text((220, y), line, font=font, fill=25)
        y += 80
    image = image.rotate(rnd.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=245)
    pixels = image.load()
    assert pixels is not None
    for _ in range(noise):
        pixels[rnd.randrange(WIDTH), rnd.randrange(HEIGHT)] = rnd.choice((0, 255))
    return image.filter(ImageFilter.GaussianBlur(0.6))


def scan_pdf(text: SheetText, pages: int = 1, *, seed: int = 0) -> bytes:
    """An image-only PDF (no text layer) of ``pages`` pages, as a scanner writes it."""
    images = [render_page(page_lines(text, n + 1), seed=seed + n) for n in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buffer.getvalue()


EXAMPLE = SheetText(
    keeper="der Stadt Neuss",
    sheet=12,
    number=3,
    entered="12.03.1998",
    gemarkung="Neuss",
    flur=3,
    flurstueck="119/2",
    street="Musterstraße 17, 41460 Neuss",
    kind_label="Abstandsflächenbaulast",
    body=wrap(
        "Der jeweilige Eigentümer des Grundstücks verpflichtet sich gegenüber der Bauaufsichtsbehörde, "
        "die im Lageplan rot schraffierte Fläche von jeglicher Bebauung freizuhalten, damit die "
        "erforderlichen Abstandsflächen des Gebäudes auf dem Nachbargrundstück eingehalten werden. "
        "Größe der Fläche: 48,50 m²"
    ),
)
