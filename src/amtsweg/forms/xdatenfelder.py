"""Import of FIM XDatenfelder 2.0 and 3.0.0 messages (Stammdatenschema, Datenfeldgruppe) as a form.

:func:`parse_xdatenfelder` reads one message into a :class:`~amtsweg.forms.schema.FormSchema`. It is
strict where the file is broken (not XML, unknown namespace or message, duplicate or empty
identifiers, invalid code values, impossible multiplicities): it then raises
:class:`XDatenfelderError`, whose every entry names file, line, element and reason. It is
transparent where Amtsweg cannot execute what the file says (rules, hidden and locked fields,
prefill, code lists that are only referenced, unknown elements): those constructs are listed in
``FormSchema.unsupported`` for review, never dropped silently.

Mapping: the groups at the top of the schema become steps (loose top-level fields go into a first
step), nested groups become GROUP fields with their multiplicity (``anzahl``), and every field key
is derived from the FIM id (``F60000000243`` → ``f60000000243``), so that answers keep their key
across versions of the same FIM element.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from amtsweg.core.problems import Problem

from .schema import FieldType, FormField, FormSchema
from .xdatenfelder_map import Mapper
from .xdatenfelder_read import NS_V2, NS_V3, STANDARDS, ReadAborted, Reader, SourceError

__all__ = [
    "MAX_FILE_BYTES",
    "NS_V2",
    "NS_V3",
    "STANDARDS",
    "ImportedForm",
    "SourceError",
    "XDatenfelderError",
    "parse_xdatenfelder",
    "parse_xdatenfelder_file",
]

MAX_FILE_BYTES = 5 * 1024 * 1024  # the largest published FIM schemas are well below 2 MB


class XDatenfelderError(Problem):
    """The file is not a valid XDatenfelder message; nothing was imported. ``errors`` lists every reason."""

    code = "xdatenfelder-invalid"

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = errors
        super().__init__(
            "\n".join(error.de() for error in errors),
            "\n".join(error.en() for error in errors),
            status_code=400,
            extra={
                "errors": [
                    {
                        "file": e.file,
                        "line": e.line,
                        "element": e.element,
                        "detail": e.reason_en,
                        "detail_de": e.reason_de,
                    }
                    for e in errors
                ]
            },
        )


@dataclass(frozen=True)
class ImportedForm:
    """A parsed XDatenfelder message: the form schema and where it came from."""

    schema: FormSchema
    standard: str  # "2.0" or "3.0.0"
    message: str  # root element, e.g. "xdatenfelder.datenfeldgruppe.0103"
    fim_id: str
    fim_version: str
    name: str

    @property
    def source(self) -> str:
        version = f" v{self.fim_version}" if self.fim_version else ""
        return f"XDatenfelder {self.standard} {self.fim_id}{version}"[:200]

    @property
    def field_count(self) -> int:
        """Input fields (without notes), counting the sub-fields of groups."""

        def count(fields: list[FormField]) -> int:
            return sum(
                count(f.fields or []) if f.type == FieldType.GROUP else int(f.type != FieldType.INFO)
                for f in fields
            )

        return count(self.schema.all_fields())


def parse_xdatenfelder_file(path: Path) -> ImportedForm:
    """Read and parse the file at ``path`` (see :func:`parse_xdatenfelder`)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise XDatenfelderError([_too_large(path.name, size)])
        data = path.read_bytes()
    except OSError as exc:
        raise XDatenfelderError(
            [
                SourceError(
                    path.name,
                    0,
                    "",
                    f"Datei kann nicht gelesen werden: {exc.strerror}",
                    f"cannot read the file: {exc.strerror}",
                )
            ]
        ) from exc
    return parse_xdatenfelder(data, filename=path.name)


def parse_xdatenfelder(data: bytes, *, filename: str = "upload.xml") -> ImportedForm:
    """Parse one XDatenfelder 2.0 or 3.0.0 message; raise :class:`XDatenfelderError` if it is invalid."""
    if len(data) > MAX_FILE_BYTES:
        raise XDatenfelderError([_too_large(filename, len(data))])
    root = _parse_xml(data, filename)
    reader = Reader(filename, root)
    try:
        top = reader.read()
        schema = Mapper(reader).form(top)
    except ReadAborted:
        raise XDatenfelderError(reader.errors) from None
    if reader.errors:
        raise XDatenfelderError(reader.errors)
    return ImportedForm(
        schema=schema,
        standard=reader.standard,
        message=reader.message,
        fim_id=top.fim_id,
        fim_version=top.version,
        name=top.name,
    )


def _too_large(filename: str, size: int) -> SourceError:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return SourceError(
        filename,
        0,
        "",
        f"Die Datei ist zu groß ({size} Bytes, höchstens {limit} MB).",
        f"the file is too large ({size} bytes, at most {limit} MB).",
    )


def _parse_xml(data: bytes, filename: str) -> etree._Element:
    # No DTD, no entities, no network, no huge documents: an XDatenfelder message needs none of them.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise XDatenfelderError(
            [
                SourceError(
                    filename,
                    line,
                    "",
                    f"Die Datei ist kein wohlgeformtes XML ({exc.msg}).",
                    f"the file is not well-formed XML ({exc.msg}).",
                )
            ]
        ) from exc
    except (ValueError, TypeError) as exc:  # e.g. bytes that no XML encoding can decode
        raise XDatenfelderError(
            [
                SourceError(
                    filename, 0, "", f"Die Datei ist kein XML ({exc}).", f"the file is not XML ({exc})."
                )
            ]
        ) from exc
    if root is None:
        raise XDatenfelderError([SourceError(filename, 0, "", "Die Datei ist leer.", "the file is empty.")])
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack ``doctype``
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XDatenfelderError(
            [
                SourceError(
                    filename,
                    1,
                    "",
                    "Eine Dokumenttypdeklaration (<!DOCTYPE>) ist nicht erlaubt.",
                    "a document type declaration (<!DOCTYPE>) is not allowed.",
                )
            ]
        )
    return root
