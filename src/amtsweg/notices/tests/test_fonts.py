"""The shipped font subsets cover what names need, are renamed as the licence asks and rebuild identically."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from amtsweg.notices import fonts

NAMES = (
    "Müller Łukasz Çelik Şahin Ștefan Đorđević Nguyễn Ørsted Ångström Ærø Žižek Grüße ẞ Олена Παπαδόπουλος"
)


@pytest.mark.parametrize("face", fonts.FACES, ids=lambda face: face.target)
def test_the_subset_covers_the_declared_characters(face: fonts.Face) -> None:
    font = TTFont(fonts.FONT_DIR / face.target)
    cmap = font.getBestCmap()
    declared = set(fonts.code_points())
    missing = {cp for cp in declared if cp not in cmap}
    source_gaps = {cp for cp in missing if 0x0370 <= cp <= 0x052F or 0x0300 <= cp <= 0x036F or cp >= 0x1E00}
    assert missing == source_gaps, "only code points DejaVu itself lacks may be missing"
    for char in NAMES + "€§„“‚‘–—…·×÷±°µ½":
        assert ord(char) in cmap or char == " ", f"{char!r} ({ord(char):04X}) is missing"
    assert len(font.getGlyphOrder()) < 2000, "a subset, not the whole font"


@pytest.mark.parametrize("face", fonts.FACES, ids=lambda face: face.target)
def test_the_subset_is_renamed_and_keeps_the_licence(face: fonts.Face) -> None:
    names = TTFont(fonts.FONT_DIR / face.target)["name"]
    family = names.getDebugName(1)
    assert family == fonts.FAMILY
    for name_id in (1, 3, 4, 6, 16):
        value = names.getDebugName(name_id) or ""
        assert "Vera" not in value and "Bitstream" not in value and "Arev" not in value
    assert "Bitstream" in (names.getDebugName(0) or ""), "the copyright notice stays"
    assert "Bitstream Vera" in (names.getDebugName(13) or "")
    assert "fpgm" not in TTFont(fonts.FONT_DIR / face.target), "no hinting programs"


def test_the_licence_file_ships_with_the_fonts() -> None:
    licence = (fonts.FONT_DIR / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence
    assert "renamed" in licence


def test_rebuilding_from_the_dejavu_fonts_gives_the_same_files(tmp_path: Path) -> None:
    if not all((fonts.DEFAULT_SOURCE_DIR / face.source).is_file() for face in fonts.FACES):
        pytest.skip("DejaVu Sans Condensed is not installed (apt-get install fonts-dejavu-extra)")
    fonts.build_all(target_dir=tmp_path)
    for face in fonts.FACES:
        assert (tmp_path / face.target).read_bytes() == (fonts.FONT_DIR / face.target).read_bytes(), (
            face.target
        )
    assert (tmp_path / "LICENSE.txt").read_text() == (fonts.FONT_DIR / "LICENSE.txt").read_text()
