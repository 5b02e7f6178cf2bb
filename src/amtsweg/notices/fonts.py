"""The fonts embedded in notices and receipts: subsets of DejaVu Sans Condensed in ``static/notices/fonts``.

A full DejaVu Sans has 6,000 glyphs (750 KB); every PDF would load it, shape with it and subset it
again. The shipped subsets keep only the scripts that names and addresses in the alliance need
(Latin with its extensions, Greek, Cyrillic, common punctuation, € and §), without hinting and
without the tables a PDF does not use. They are renamed "Amtsweg Sans", as the Bitstream Vera and
Arev licences require of modified fonts; their copyright and licence travel with them (``LICENSE.txt``).

``amtsweg build_notice_fonts`` rebuilds them from the DejaVu files (Debian: fonts-dejavu-extra);
the output is byte-for-byte reproducible from the same source fonts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT_DIR = Path(__file__).resolve().parent / "static" / "notices" / "fonts"
FAMILY = "Amtsweg Sans"
DEFAULT_SOURCE_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class Face:
    """One face of the family: the source file it is cut from and the file it becomes."""

    source: str
    target: str
    style_name: str
    weight: int


# The condensed cut: as wide as the Arial of most German official letters, so a fee table row fits one line.
FACES = (
    Face("DejaVuSansCondensed.ttf", "AmtswegSans-Regular.ttf", "Regular", 400),
    Face("DejaVuSansCondensed-Bold.ttf", "AmtswegSans-Bold.ttf", "Bold", 700),
)

# Code points kept in the subsets (inclusive ranges). Names in German registers are written in Latin
# script with any European diacritics; Greek and Cyrillic cover names typed in their own script.
UNICODE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0259, 0x0259),  # ə (Azerbaijani names)
    (0x02B9, 0x02DD),  # spacing modifier letters (ʼ, ˆ, ˇ, ˘, ˙, ˚, ˛, ˜, ˝)
    (0x0300, 0x036F),  # combining diacritical marks (decomposed input)
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and Cyrillic Supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh, …)
    (0x2010, 0x2027),  # dashes, quotation marks, bullets, ellipsis
    (0x2030, 0x203A),  # per mille, primes, single guillemets
    (0x2044, 0x2044),  # fraction slash
    (0x20AC, 0x20AC),  # euro sign
    (0x2116, 0x2116),  # numero sign
    (0x2122, 0x2122),  # trade mark
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus sign
    (0x2713, 0x2713),  # check mark
    (0x2717, 0x2717),  # ballot x
    (0x1E9E, 0x1E9E),  # capital sharp s (ẞ), also inside Latin Extended Additional
    (0xFFFD, 0xFFFD),  # replacement character
)


def code_points() -> list[int]:
    return sorted({cp for start, end in UNICODE_RANGES for cp in range(start, end + 1)})


def build_face(face: Face, *, source_dir: Path, target_dir: Path) -> Path:
    """Cut ``face`` from its DejaVu source into ``target_dir`` and return the written file."""
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    options = subset.Options()
    options.hinting = False  # PDF viewers hint themselves; hints are a third of the glyph data
    options.desubroutinize = True
    # Kerning and mark positioning only: ligatures would turn "fi" into one glyph and hurt text search.
    options.layout_features = ["kern", "ccmp", "locl", "mark", "mkmk"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14, 16, 17]
    options.name_languages = [0x0409]
    options.notdef_outline = True
    options.recalc_timestamp = False  # reproducible output
    options.drop_tables += ["FFTM", "MATH", "DSIG"]
    font = TTFont(source_dir / face.source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=code_points())
    subsetter.subset(font)
    _rename(font, face)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / face.target
    font.save(target)
    return target


def _rename(font: Any, face: Face) -> None:
    names = font["name"]
    postscript = f"{FAMILY.replace(' ', '')}-{face.style_name}"
    full = f"{FAMILY} {face.style_name}" if face.style_name != "Regular" else FAMILY
    for name_id, value in (
        (1, FAMILY),
        (2, face.style_name),
        (3, f"{postscript};subset of DejaVu Sans Condensed 2.37"),
        (4, full),
        (6, postscript),
        (16, FAMILY),
        (17, face.style_name),
    ):
        names.setName(value, name_id, 3, 1, 0x0409)
        names.setName(value, name_id, 1, 0, 0)
    # Keep only the renamed records: old Mac/Windows records would still say "DejaVu Sans".
    kept_ids = {0, 1, 2, 3, 4, 5, 6, 13, 14, 16, 17}
    names.names = [n for n in names.names if n.nameID in kept_ids]


def licence_text(source_dir: Path) -> str:
    """The licence of the subsets: the source fonts' licence record plus a note on the changes."""
    from fontTools.ttLib import TTFont

    font = TTFont(source_dir / FACES[0].source, lazy=True)
    licence = font["name"].getDebugName(13) or ""
    return (
        f"{FAMILY} ({', '.join(face.target for face in FACES)}) are subsets of DejaVu Sans Condensed 2.37\n"
        "made by `amtsweg build_notice_fonts` (src/amtsweg/notices/fonts.py): glyphs outside the\n"
        "ranges listed there, hinting and unused tables were removed and the fonts renamed, as the\n"
        "licences below require of modified versions.\n\n" + licence.strip() + "\n"
    )


def build_all(*, source_dir: Path = DEFAULT_SOURCE_DIR, target_dir: Path = FONT_DIR) -> list[Path]:
    # fontTools reports every pruned table at INFO level, hundreds of lines per face.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    written = [build_face(face, source_dir=source_dir, target_dir=target_dir) for face in FACES]
    licence = target_dir / "LICENSE.txt"
    licence.write_text(licence_text(source_dir), encoding="utf-8")
    return [*written, licence]
