"""A small reader for the PDFs WeasyPrint writes, enough to prove their properties in tests.

No PDF library: objects are found by their ``N 0 obj`` headers (stream bodies are skipped by their
``/Length``, so binary data is never misread), object streams are unpacked, Flate streams inflated
with zlib, and page text is decoded through each font's ToUnicode map.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

_OBJ = re.compile(rb"(\d+)\s+0\s+obj\b")
_STREAM = re.compile(rb"stream\r?\n")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+0\s+R)")
_REF = re.compile(rb"(\d+)\s+0\s+R")
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_TEXT_OPS = re.compile(
    rb"/([A-Za-z0-9+_-]+)\s+[-\d.]+\s+Tf|\[((?:[^\]\\]|\\.)*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj"
)
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")


@dataclass
class PdfObject:
    number: int
    header: bytes  # the dictionary (or whole body when there is no stream)
    raw_stream: bytes | None = None

    @property
    def stream(self) -> bytes:
        if self.raw_stream is None:
            return b""
        if b"/FlateDecode" in self.header:
            return zlib.decompress(self.raw_stream)
        return self.raw_stream

    def string(self, key: str) -> str | None:
        """The text of a string entry, written literally ``(…)`` or in hex ``<FEFF…>``."""
        match = re.search(
            rb"/" + key.encode() + rb"\s*(?:\(((?:[^()\\]|\\.)*)\)|<([0-9a-fA-F]*)>)", self.header
        )
        if match is None:
            return None
        if match.group(1) is not None:
            return match.group(1).decode("latin-1")
        raw = bytes.fromhex(match.group(2).decode())
        return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")

    def ref(self, key: str) -> int | None:
        match = re.search(rb"/" + key.encode() + rb"\s+(\d+)\s+0\s+R", self.header)
        return int(match.group(1)) if match else None


@dataclass
class Pdf:
    data: bytes
    objects: dict[int, PdfObject] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> Pdf:
        pdf = cls(data)
        position = 0
        while match := _OBJ.search(data, position):
            number = int(match.group(1))
            start = match.end()
            stream_match = _STREAM.search(data, start)
            end_obj = data.find(b"endobj", start)
            if stream_match and stream_match.start() < end_obj:
                header = data[start : stream_match.start()]
                length = int(_LENGTH.search(header).group(1))  # type: ignore[union-attr]
                body_start = stream_match.end()
                pdf.objects[number] = PdfObject(number, header, data[body_start : body_start + length])
                position = data.find(b"endobj", body_start + length) + len(b"endobj")
            else:
                pdf.objects[number] = PdfObject(number, data[start:end_obj])
                position = end_obj + len(b"endobj")
        for container in [o for o in pdf.objects.values() if b"/ObjStm" in o.header]:
            pdf._unpack(container)
        return pdf

    def _unpack(self, container: PdfObject) -> None:
        content = container.stream
        count = int(re.search(rb"/N\s+(\d+)", container.header).group(1))  # type: ignore[union-attr]
        first = int(re.search(rb"/First\s+(\d+)", container.header).group(1))  # type: ignore[union-attr]
        numbers = [int(n) for n in content[:first].split()]
        pairs = list(zip(numbers[0::2], numbers[1::2], strict=True))[:count]
        for index, (number, offset) in enumerate(pairs):
            end = first + pairs[index + 1][1] if index + 1 < len(pairs) else len(content)
            self.objects[number] = PdfObject(number, content[first + offset : end].strip())

    def find(self, pattern: bytes) -> list[PdfObject]:
        return [o for o in self.objects.values() if re.search(pattern, o.header)]

    @property
    def catalog(self) -> PdfObject:
        return self.find(rb"/Type\s*/Catalog")[0]

    @property
    def pages(self) -> list[PdfObject]:
        return self.find(rb"/Type\s*/Page(?![a-zA-Z])")

    @property
    def info(self) -> PdfObject:
        """The document information dictionary (named in the cross-reference stream, the trailer)."""
        trailer = self.find(rb"/Type\s*/XRef")[0]
        number = trailer.ref("Info")
        assert number is not None, "no document information dictionary"
        return self.objects[number]

    @property
    def xmp(self) -> str:
        number = self.catalog.ref("Metadata")
        assert number is not None, "no XMP metadata stream"
        return self.objects[number].stream.decode("utf-8")

    def font_maps(self) -> dict[str, dict[int, str]]:
        """Resource name of each font → its glyph id → text map (from the ToUnicode CMaps)."""
        maps: dict[int, dict[int, str]] = {}
        for font in self.find(rb"/Subtype\s*/Type0"):
            unicode_ref = font.ref("ToUnicode")
            if unicode_ref is None:
                continue
            table: dict[int, str] = {}
            for glyph, text in _BFCHAR.findall(self.objects[unicode_ref].stream):
                table[int(glyph, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
            maps[font.number] = table
        names: dict[str, dict[int, str]] = {}
        for obj in self.objects.values():
            for name, number in re.findall(rb"/([A-Za-z0-9+_-]+)\s+(\d+)\s+0\s+R", obj.header):
                if int(number) in maps:
                    names[name.decode()] = maps[int(number)]
        return names

    def text(self) -> str:
        """The text of all pages, in drawing order, words of separate text runs joined by spaces."""
        fonts = self.font_maps()
        chunks: list[str] = []
        for page in self.pages:
            contents = page.ref("Contents")
            assert contents is not None
            current: dict[int, str] = {}
            for font_name, array, single in _TEXT_OPS.findall(self.objects[contents].stream):
                if font_name:
                    current = fonts.get(font_name.decode(), {})
                    continue
                hex_strings = _HEX.findall(array) if array else [single]
                glyphs = b"".join(hex_strings).decode()
                chunks.append(
                    "".join(
                        current.get(int(glyphs[i : i + 4], 16), "\ufffd") for i in range(0, len(glyphs), 4)
                    )
                )
        return " ".join(" ".join(chunks).split())
