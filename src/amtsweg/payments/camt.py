"""Reading bank statements in ISO 20022 CAMT.053 (BankToCustomerStatement), versions 001.02 and 001.08.

German banks deliver daily statements in camt.053.001.02 (DK "DFÜ-Abkommen", Anlage 3; most still do)
or, since the SEPA rulebook 2023 migration, camt.053.001.08. Both share the elements read here:

``Document/BkToCstmrStmt/GrpHdr/MsgId``; per ``Stmt``: ``Id``, ``CreDtTm``, ``Acct/Id/IBAN``; per
``Ntry``: ``Amt`` (with ``Ccy``), ``CdtDbtInd`` (CRDT/DBIT), ``RvslInd``, ``Sts`` (BOOK; in .08 as
``Sts/Cd``), ``BookgDt/Dt`` (or ``DtTm``), ``AcctSvcrRef`` (the bank's reference, else ``NtryRef``),
and per ``NtryDtls/TxDtls``: ``Refs/AcctSvcrRef`` and ``Refs/EndToEndId``, ``AmtDtls/TxAmt/Amt``
(the single amount of a batch booking), ``RmtInf/Ustrd`` and ``RmtInf/Strd/CdtrRefInf/Ref``.

The file comes from a person's upload, so it is parsed defensively: a size limit, no DTD, no
entities, no network, no huge text nodes. A broken file is refused as a whole with every problem
found, each with the path of the element (``Stmt[1]/Ntry[3]/Amt``), so the treasury can tell the
bank what is wrong. Amounts are read as ``Decimal`` and become integer cents; never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

MAX_CAMT_BYTES = 20 * 1024 * 1024  # a busy treasury's daily statement is a few MB
NAMESPACES = {
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02": "001.02",
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08": "001.08",
}
MAX_PROBLEMS = 50  # enough to see what is wrong; a file with more is reported as such


@dataclass(frozen=True)
class CamtProblem:
    """One thing wrong with the file: where (element path) and what (German and English)."""

    path: str
    de: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "de": self.de, "en": self.en}


class CamtError(Exception):
    """The file is not a usable CAMT.053 statement; ``problems`` says where and why."""

    def __init__(self, problems: list[CamtProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.en}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CamtTransaction:
    """One transaction of an entry (``TxDtls``): a single transfer, also inside a batch booking."""

    amount_cents: int | None  # ``AmtDtls/TxAmt/Amt``; absent for most single bookings
    reference: str  # ``Refs/AcctSvcrRef`` of the transaction, if the bank gives one
    end_to_end_id: str
    unstructured: tuple[str, ...]  # ``RmtInf/Ustrd`` lines
    creditor_references: tuple[str, ...]  # ``RmtInf/Strd/CdtrRefInf/Ref``


@dataclass(frozen=True)
class CamtEntry:
    """One booking (``Ntry``) of the statement."""

    path: str
    reference: str  # ``AcctSvcrRef``, else ``NtryRef``: unique per account at the bank
    amount_cents: int
    currency: str
    credit: bool
    reversal: bool
    booked: bool
    booking_date: date
    transactions: tuple[CamtTransaction, ...]
    additional_info: str = ""


@dataclass(frozen=True)
class CamtStatement:
    """One ``Stmt`` of the file: an account's statement with its entries."""

    path: str
    statement_id: str
    iban: str
    created_at: datetime | None
    entries: tuple[CamtEntry, ...]


@dataclass(frozen=True)
class CamtDocument:
    version: str  # "001.02" or "001.08"
    message_id: str
    created_at: datetime | None
    statements: tuple[CamtStatement, ...] = field(default_factory=tuple)


def camt_parse(data: bytes) -> CamtDocument:
    """Parse and check a camt.053 file; raise :class:`CamtError` with every problem found."""
    if len(data) > MAX_CAMT_BYTES:
        limit = MAX_CAMT_BYTES // (1024 * 1024)
        raise CamtError(
            [
                CamtProblem(
                    "",
                    f"Die Datei ist zu groß ({len(data)} Bytes, höchstens {limit} MB).",
                    f"The file is too large ({len(data)} bytes, at most {limit} MB).",
                )
            ]
        )
    root = _parse_xml(data)
    namespace = etree.QName(root).namespace or ""
    version = NAMESPACES.get(namespace)
    if etree.QName(root).localname != "Document" or version is None:
        supported = ", ".join(sorted(NAMESPACES))
        raise CamtError(
            [
                CamtProblem(
                    etree.QName(root).localname,
                    f"Kein Kontoauszug im Format CAMT.053 (Namensraum „{namespace or '–'}“). "
                    f"Unterstützt: {supported}.",
                    f"Not a CAMT.053 bank statement (namespace '{namespace or '-'}'). "
                    f"Supported: {supported}.",
                )
            ]
        )
    reader = _Reader(namespace)
    document = reader.document(root, version)
    if reader.problems:
        raise CamtError(reader.problems[:MAX_PROBLEMS])
    return document


def _parse_xml(data: bytes) -> Any:
    if not data.strip():
        raise CamtError([CamtProblem("", "Die Datei ist leer.", "The file is empty.")])
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
        raise CamtError(
            [
                CamtProblem(
                    f"Zeile {exc.lineno or 0}" if exc.lineno else "",
                    f"Die Datei ist kein wohlgeformtes XML ({exc.msg}).",
                    f"The file is not well-formed XML ({exc.msg}).",
                )
            ]
        ) from exc
    except (ValueError, TypeError) as exc:  # e.g. bytes no XML encoding can decode
        raise CamtError(
            [CamtProblem("", f"Die Datei ist kein XML ({exc}).", f"The file is not XML ({exc}).")]
        ) from exc
    if root is None:
        raise CamtError([CamtProblem("", "Die Datei ist leer.", "The file is empty.")])
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack ``doctype``
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CamtError(
            [
                CamtProblem(
                    "DOCTYPE",
                    "Die Datei enthält eine DOCTYPE-Deklaration; Kontoauszüge enthalten keine.",
                    "The file contains a DOCTYPE declaration; bank statements never do.",
                )
            ]
        )
    return root


class _Reader:
    """Walks the tree, collecting problems instead of stopping at the first one."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.problems: list[CamtProblem] = []

    # --- helpers ---------------------------------------------------------------------------------

    def _q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def children(self, element: Any, name: str) -> list[Any]:
        return list(element.iterfind(self._q(name)))

    def child(self, element: Any, steps: str) -> Any:
        """The first element at the ``/``-separated relative path ``steps``, or ``None``."""
        found = element
        for step in steps.split("/"):
            found = found.find(self._q(step))
            if found is None:
                return None
        return found

    def text(self, element: Any, steps: str) -> str:
        found = self.child(element, steps)
        return (found.text or "").strip() if found is not None else ""

    def problem(self, path: str, de: str, en: str) -> None:
        self.problems.append(CamtProblem(path, de, en))

    def required(self, element: Any, steps: str, path: str) -> str:
        value = self.text(element, steps)
        if not value:
            self.problem(
                f"{path}/{steps}",
                "Das Element fehlt oder ist leer.",
                "The element is missing or empty.",
            )
        return value

    def amount(self, element: Any, path: str) -> tuple[int, str] | None:
        """``element`` (an ``Amt``) as cents and currency; ``None`` (with a problem) if invalid."""
        raw = (element.text or "").strip()
        currency = str(element.get("Ccy", "")).strip()
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            self.problem(
                path,
                f"Ungültiger Betrag „{raw[:40]}“ (erwartet z. B. 12.50).",
                f"Invalid amount '{raw[:40]}' (expected e.g. 12.50).",
            )
            return None
        if currency != "EUR":
            self.problem(
                path,
                f"Währung „{currency or '–'}“: Es werden nur Konten in Euro abgeglichen.",
                f"Currency '{currency or '-'}': only accounts in euros are reconciled.",
            )
            return None
        return int(value * 100), currency

    def date_of(self, element: Any, path: str) -> date | None:
        """``BookgDt``: ``Dt`` (a date) or ``DtTm`` (a date-time, of which the date counts)."""
        day = self.text(element, "Dt")
        stamp = self.text(element, "DtTm")
        try:
            if day:
                return date.fromisoformat(day[:10])
            if stamp:
                return datetime.fromisoformat(stamp).date()
        except ValueError:
            pass
        self.problem(
            path,
            "Das Buchungsdatum fehlt oder ist ungültig (Dt oder DtTm).",
            "The booking date is missing or invalid (Dt or DtTm).",
        )
        return None

    def datetime_of(self, element: Any, steps: str, path: str) -> datetime | None:
        value = self.text(element, steps)
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            self.problem(
                f"{path}/{steps}",
                f"Ungültiger Zeitpunkt „{value[:40]}“.",
                f"Invalid date-time '{value[:40]}'.",
            )
            return None

    # --- structure -------------------------------------------------------------------------------

    def document(self, root: Any, version: str) -> CamtDocument:
        statement_root = self.child(root, "BkToCstmrStmt")
        if statement_root is None:
            self.problem("Document/BkToCstmrStmt", "Das Element fehlt.", "The element is missing.")
            return CamtDocument(version=version, message_id="", created_at=None)
        base = "BkToCstmrStmt"
        header = self.child(statement_root, "GrpHdr")
        message_id = ""
        created = None
        if header is None:
            self.problem(f"{base}/GrpHdr", "Das Element fehlt.", "The element is missing.")
        else:
            message_id = self.required(header, "MsgId", f"{base}/GrpHdr")
            created = self.datetime_of(header, "CreDtTm", f"{base}/GrpHdr")
        statements = [
            self.statement(element, f"{base}/Stmt[{number}]")
            for number, element in enumerate(self.children(statement_root, "Stmt"), start=1)
        ]
        if not statements:
            self.problem(
                f"{base}/Stmt", "Die Datei enthält keinen Auszug.", "The file contains no statement."
            )
        return CamtDocument(
            version=version, message_id=message_id, created_at=created, statements=tuple(statements)
        )

    def statement(self, element: Any, path: str) -> CamtStatement:
        statement_id = self.required(element, "Id", path)
        iban = self.required(element, "Acct/Id/IBAN", path)
        entries = [
            entry
            for number, ntry in enumerate(self.children(element, "Ntry"), start=1)
            if (entry := self.entry(ntry, f"{path}/Ntry[{number}]")) is not None
        ]
        return CamtStatement(
            path=path,
            statement_id=statement_id,
            iban="".join(iban.split()).upper(),
            created_at=self.datetime_of(element, "CreDtTm", path),
            entries=tuple(entries),
        )

    def entry(self, element: Any, path: str) -> CamtEntry | None:
        before = len(self.problems)
        amount_element = self.child(element, "Amt")
        amount = None
        if amount_element is None:
            self.problem(f"{path}/Amt", "Der Betrag fehlt.", "The amount is missing.")
        else:
            amount = self.amount(amount_element, f"{path}/Amt")
        indicator = self.required(element, "CdtDbtInd", path)
        if indicator and indicator not in ("CRDT", "DBIT"):
            self.problem(
                f"{path}/CdtDbtInd",
                f"„{indicator[:10]}“ ist weder CRDT noch DBIT.",
                f"'{indicator[:10]}' is neither CRDT nor DBIT.",
            )
        status = self.text(element, "Sts/Cd") or self.text(element, "Sts")
        booking = self.child(element, "BookgDt")
        booking_date = None
        if booking is None:
            self.problem(f"{path}/BookgDt", "Das Buchungsdatum fehlt.", "The booking date is missing.")
        else:
            booking_date = self.date_of(booking, f"{path}/BookgDt")
        reference = self.text(element, "AcctSvcrRef") or self.text(element, "NtryRef")
        if not reference:
            self.problem(
                f"{path}/AcctSvcrRef",
                "Die Buchung hat keine Referenz der Bank (AcctSvcrRef oder NtryRef); ohne sie ließe sich "
                "eine doppelt gelieferte Buchung nicht erkennen.",
                "The entry has no bank reference (AcctSvcrRef or NtryRef); without it an entry "
                "delivered twice could not be recognised.",
            )
        transactions = [
            self.transaction(tx, f"{path}/NtryDtls[{d}]/TxDtls[{t}]")
            for d, details in enumerate(self.children(element, "NtryDtls"), start=1)
            for t, tx in enumerate(self.children(details, "TxDtls"), start=1)
        ]
        if len(self.problems) > before or amount is None or booking_date is None:
            return None
        return CamtEntry(
            path=path,
            reference=reference,
            amount_cents=amount[0],
            currency=amount[1],
            credit=indicator == "CRDT",
            reversal=self.text(element, "RvslInd").lower() == "true",
            booked=status in ("BOOK", ""),  # .02 files of some banks leave Sts out: a statement is booked
            booking_date=booking_date,
            transactions=tuple(transactions),
            additional_info=self.text(element, "AddtlNtryInf")[:500],
        )

    def transaction(self, element: Any, path: str) -> CamtTransaction:
        amount_element = self.child(element, "AmtDtls/TxAmt/Amt")
        amount = (
            self.amount(amount_element, f"{path}/AmtDtls/TxAmt/Amt") if amount_element is not None else None
        )
        remittance = self.child(element, "RmtInf")
        unstructured: list[str] = []
        creditor_refs: list[str] = []
        if remittance is not None:
            unstructured = [(u.text or "").strip() for u in self.children(remittance, "Ustrd") if u.text]
            for structured in self.children(remittance, "Strd"):
                ref = self.text(structured, "CdtrRefInf/Ref")
                if ref:
                    creditor_refs.append(ref)
        return CamtTransaction(
            amount_cents=amount[0] if amount else None,
            reference=self.text(element, "Refs/AcctSvcrRef"),
            end_to_end_id=self.text(element, "Refs/EndToEndId"),
            unstructured=tuple(unstructured),
            creditor_references=tuple(creditor_refs),
        )
