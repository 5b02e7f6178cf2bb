"""A small, strict reader for genericode 1.0 code lists (as published on XRepository).

Built on expat directly (not ElementTree) for two reasons: errors can name the line of the file,
and the document type declaration can be refused outright. A code list never needs a DTD, so any
``<!DOCTYPE`` (and with it every entity declaration, internal or external) is an error; that closes
the entity-expansion and external-entity holes without a dependency such as defusedxml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat

from amtsweg.core.problems import Problem

GENERICODE_NS = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"
_MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class FileError:
    """One problem in an input file, located by file and 1-based line number (0: the file as a whole)."""

    file: str
    line: int
    message_de: str
    message_en: str

    def de(self) -> str:
        return (
            f"{self.file}, Zeile {self.line}: {self.message_de}"
            if self.line
            else f"{self.file}: {self.message_de}"
        )

    def en(self) -> str:
        return (
            f"{self.file}, line {self.line}: {self.message_en}"
            if self.line
            else f"{self.file}: {self.message_en}"
        )


class ImportFileError(Problem):
    """An import file is invalid; nothing was written. ``errors`` lists every problem found."""

    code = "import-file-invalid"

    def __init__(self, errors: list[FileError]) -> None:
        shown = errors[:_MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        detail_de = "\n".join(error.de() for error in shown)
        detail_en = "\n".join(error.en() for error in shown)
        if more:
            detail_de += f"\n… und {more} weitere Fehler."
            detail_en += f"\n… and {more} more errors."
        super().__init__(
            detail_de,
            detail_en,
            extra={
                "errors": [
                    {"file": e.file, "line": e.line, "detail": e.message_en, "detail_de": e.message_de}
                    for e in errors
                ],
            },
        )
        self.errors = errors


@dataclass(frozen=True)
class CodeListRow:
    line: int
    values: dict[str, str]  # column id → value; a column without a value is absent


@dataclass
class CodeList:
    """The parts of a genericode document an import needs."""

    path: Path
    short_name: str = ""
    canonical_uri: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[CodeListRow] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.path.name


def _fail(path: Path, line: int, message_de: str, message_en: str) -> NoReturn:
    raise ImportFileError([FileError(path.name, line, message_de, message_en)])


class _Refused(Exception):
    """Raised from an expat handler to stop parsing at a DTD."""


def codelist_read(path: Path, *, required_columns: tuple[str, ...]) -> CodeList:
    """Parse the genericode file at ``path``; raise :class:`ImportFileError` unless it is one.

    Values without ``ColumnRef`` refer to the column after the previous value, as genericode allows.
    """
    result = CodeList(path=path)
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[str] = []
    text: list[str] = []
    row: dict[str, str] | None = None
    row_line = 0
    column: str | None = None
    column_index = -1

    def refuse_doctype(*_args: object) -> None:
        raise _Refused

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal row, row_line, column, column_index
        namespace, _sep, local = name.rpartition(" ")
        if not stack and (namespace != GENERICODE_NS or local != "CodeList"):
            _fail(
                path,
                parser.CurrentLineNumber,
                f"Das ist keine genericode-Codeliste (Wurzelelement „{local}“ statt gc:CodeList).",
                f"This is not a genericode code list (root element '{local}' instead of gc:CodeList).",
            )
        stack.append(local)
        text.clear()
        if stack[-2:] == ["ColumnSet", "Column"]:
            result.columns.append(attributes.get("Id", ""))
        elif stack[-2:] == ["SimpleCodeList", "Row"]:
            row, row_line, column_index = {}, parser.CurrentLineNumber, -1
        elif row is not None and stack[-2:] == ["Row", "Value"]:
            ref = attributes.get("ColumnRef")
            if ref is None:
                column_index += 1
                ref = result.columns[column_index] if column_index < len(result.columns) else ""
            elif ref in result.columns:
                column_index = result.columns.index(ref)
            if ref not in result.columns:
                _fail(
                    path,
                    parser.CurrentLineNumber,
                    f"Wert für eine nicht deklarierte Spalte „{ref}“.",
                    f"Value for an undeclared column '{ref}'.",
                )
            column = ref

    def end(name: str) -> None:
        nonlocal row, column
        local = stack[-1]
        if local == "SimpleValue" and row is not None and column is not None:
            row[column] = "".join(text).strip()
        elif local == "Row" and row is not None:
            result.rows.append(CodeListRow(row_line, row))
            row = None
        elif local == "Value":
            column = None
        elif stack[-2:] == ["Identification", "ShortName"]:
            result.short_name = "".join(text).strip()
        elif stack[-2:] == ["Identification", "CanonicalUri"]:
            result.canonical_uri = "".join(text).strip()
        stack.pop()
        text.clear()

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    try:
        with path.open("rb") as stream:
            parser.ParseFile(stream)
    except OSError as error:
        _fail(path, 0, f"Datei nicht lesbar: {error.strerror}.", f"File not readable: {error.strerror}.")
    except _Refused:
        _fail(
            path,
            parser.CurrentLineNumber,
            "Dokumenttyp-Deklarationen (DTD, Entities) sind in Codelisten nicht erlaubt.",
            "Document type declarations (DTD, entities) are not allowed in code lists.",
        )
    except expat.ExpatError as error:
        _fail(
            path,
            error.lineno,
            f"Kein wohlgeformtes XML ({expat.ErrorString(error.code)}).",
            f"Not well-formed XML ({expat.ErrorString(error.code)}).",
        )

    missing = [name for name in required_columns if name not in result.columns]
    if missing:
        _fail(
            path,
            0,
            f"Spalten fehlen in der ColumnSet-Deklaration: {', '.join(missing)}.",
            f"Columns missing from the ColumnSet: {', '.join(missing)}.",
        )
    if not result.rows:
        _fail(
            path,
            0,
            "Die Codeliste enthält keine Zeilen (SimpleCodeList/Row).",
            "The code list has no rows (SimpleCodeList/Row).",
        )
    return result
