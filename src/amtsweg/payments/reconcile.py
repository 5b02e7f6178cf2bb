"""Reconciliation with the treasury's bank account: CAMT.053 import, matching, clearing by staff.

``bank_statement_import`` reads a statement (``payments.camt``) of the authority's ``PaymentAccount``
and books every credit against the payment whose Kassenzeichen the remittance names: the right
amount for an open payment is *matched* (``payment_transition`` to PAID, source BANK, the bank's
reference as the report id, so the outbox moves the case on); anything else lands on the
reconciliation list with its reason (unknown reference, wrong amount, double payment). Debits are
kept as *not credit* and never listed. One file is one transaction; the same file twice is refused
(409), and an entry already known from an overlapping statement (same bank reference) is skipped.

Who may do it: every staff member of the authority (``tenancy.access.can_access``), not only its
administrators. Importing statements and clearing entries is the treasury's daily work (Kasse,
Zahlungsverkehr), done by ordinary staff accounts; the administrator role is for configuration.
Every import, assignment and resolution records the acting person (audit event, payment event),
which is the control the four-eyes principle of the treasury rules builds on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from .camt import MAX_CAMT_BYTES, CamtEntry, CamtError, CamtTransaction, camt_parse
from .models import BankEntry, BankStatement, Payment, PaymentAccount, PaymentEvent
from .services import Outcome, payment_transition
from .states import UNSETTLED

logger = logging.getLogger(__name__)

E = BankEntry.Outcome
# Outcomes that need someone to look at them (the reconciliation list).
NEEDS_CLEARING = (E.UNKNOWN_REFERENCE, E.WRONG_AMOUNT, E.DOUBLE_PAYMENT)
_SEPARATORS = r"[\s./_-]*"


class StatementProblem(Problem):
    status_code = 422
    code = "bank-statement-invalid"


class StatementAlreadyImported(Problem):
    status_code = 409
    code = "bank-statement-already-imported"


class EntryNotOpen(Problem):
    status_code = 409
    code = "bank-entry-not-open"


# --- finding the Kassenzeichen -------------------------------------------------------------------


def kassenzeichen_pattern(prefix: str) -> re.Pattern[str]:
    """The Kassenzeichen of an account with ``prefix`` inside free text: ``NE2026000042`` also typed as
    ``ne 2026 000042`` or ``NE-2026-000042`` (prefix, four-digit year, six-digit number; see
    ``services.kassenzeichen_next``), not glued to other letters or digits."""
    letters = _SEPARATORS.join(re.escape(char) for char in prefix)
    digits = _SEPARATORS.join(r"\d" for _ in range(10))
    return re.compile(rf"(?<![0-9A-Za-z]){letters}{_SEPARATORS}({digits})(?![0-9])", re.IGNORECASE)


def kassenzeichen_find(
    *, prefix: str, structured: tuple[str, ...], unstructured: tuple[str, ...]
) -> list[str]:
    """Every Kassenzeichen named in a remittance, in order: structured creditor references first
    (they are exact), then the unstructured text (lines joined: banks may split it at 35 characters)."""
    pattern = kassenzeichen_pattern(prefix)
    found: list[str] = []
    for text in (*structured, " ".join(unstructured)):
        for match in pattern.finditer(text):
            candidate = prefix.upper() + re.sub(r"\D", "", match.group(1))
            if candidate not in found:
                found.append(candidate)
    return found


# --- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the statement row, the new entries by outcome, and known entries skipped."""

    statement: BankStatement
    outcomes: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # already known from an overlapping statement
    credited_cents: int = 0  # the sum of the new credits

    @property
    def matched(self) -> int:
        return self.outcomes.get(E.MATCHED, 0)

    @property
    def to_clear(self) -> int:
        return sum(self.outcomes.get(outcome, 0) for outcome in NEEDS_CLEARING)


@dataclass(frozen=True)
class _Line:
    """One credit or debit to record: an entry, or one transaction of a batch entry."""

    reference: str
    amount_cents: int
    credit: bool
    booking_date: date
    remittance: str
    structured: tuple[str, ...]
    unstructured: tuple[str, ...]


def _lines(entry: CamtEntry) -> list[_Line]:
    """A batch booking whose transactions carry their own amounts is split into them (each paid a
    different Kassenzeichen); otherwise the entry is one line with all its remittance text."""
    credit = entry.credit and not entry.reversal
    txs = entry.transactions
    split = len(txs) > 1 and all(tx.amount_cents is not None for tx in txs)
    if split:
        return [
            _line(f"{entry.reference}/{number}", tx.amount_cents or 0, credit, entry, (tx,))
            for number, tx in enumerate(txs, start=1)
        ]
    return [_line(entry.reference, entry.amount_cents, credit, entry, txs)]


def _line(
    reference: str, amount: int, credit: bool, entry: CamtEntry, txs: tuple[CamtTransaction, ...]
) -> _Line:
    unstructured = tuple(text for tx in txs for text in tx.unstructured)
    structured = tuple(ref for tx in txs for ref in tx.creditor_references)
    remittance = " | ".join([*structured, *unstructured]) or entry.additional_info
    return _Line(
        reference=reference[:100],
        amount_cents=amount,
        credit=credit,
        booking_date=entry.booking_date,
        remittance=remittance[:500],
        structured=structured,
        unstructured=unstructured,
    )


def _read(file: bytes | IO[bytes]) -> bytes:
    data = file if isinstance(file, bytes) else file.read(MAX_CAMT_BYTES + 1)
    if not isinstance(data, bytes):
        raise StatementProblem("Die Datei ist leer.", "The file is empty.")
    return data


def bank_statement_import(
    *, authority: Authority, file: bytes | IO[bytes], actor: User, channel: str = "web"
) -> ImportResult:
    """Import a CAMT.053 statement of ``authority``'s treasury account and match its credits (see module)."""
    if not access.can_access(actor, authority):
        raise PermissionDenied
    account = PaymentAccount.objects.filter(authority=authority).first()
    if account is None:
        raise Problem(
            "Für diese Behörde ist kein Konto der Kasse hinterlegt; "
            "ohne es lässt sich kein Auszug abgleichen.",
            "This authority has no treasury account; statements cannot be reconciled without it.",
            status_code=409,
            code="payment-account-missing",
        )
    data = _read(file)
    digest = hashlib.sha256(data).hexdigest()
    if BankStatement.objects.filter(authority=authority, sha256=digest).exists():
        raise _already_imported()
    try:
        document = camt_parse(data)
    except CamtError as exc:
        raise StatementProblem(
            "Die Datei ist kein gültiger Kontoauszug (CAMT.053): "
            + "; ".join(f"{p.path}: {p.de}" if p.path else p.de for p in exc.problems[:5]),
            "The file is not a valid bank statement (CAMT.053): "
            + "; ".join(f"{p.path}: {p.en}" if p.path else p.en for p in exc.problems[:5]),
            extra={"errors": [p.as_dict() for p in exc.problems]},
        ) from exc
    iban = "".join(account.iban.split()).upper()
    statements = [s for s in document.statements if s.iban == iban]
    if not statements:
        raise StatementProblem(
            f"Der Auszug ist für ein anderes Konto ({', '.join(s.iban for s in document.statements)}), "
            f"nicht für das Konto der Kasse ({iban}).",
            f"The statement is for another account ({', '.join(s.iban for s in document.statements)}), "
            f"not the treasury's account ({iban}).",
            code="bank-statement-wrong-account",
        )
    first = statements[0]
    statement_id = (
        first.statement_id if len(statements) == 1 else f"{first.statement_id} (+{len(statements) - 1})"
    )
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                authority=authority,
                statement_id=statement_id[:35],
                iban=iban,
                sha256=digest,
                created_on=first.created_at or document.created_at,
                imported_by=actor,
            )
            outcomes: Counter[str] = Counter()
            skipped = credited = 0
            for camt_statement in statements:
                for entry in camt_statement.entries:
                    if not entry.booked:
                        continue  # pending (PDNG) or information only: it comes again once booked
                    for line in _lines(entry):
                        outcome = _record(line, statement=statement, account=account, actor=actor)
                        if outcome is None:
                            skipped += 1
                            continue
                        outcomes[outcome] += 1
                        if line.credit:
                            credited += line.amount_cents
            access.audit(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=statement,
                authority_id=authority.pk,
                channel=channel,
                changes={"entries": dict(outcomes), "skipped": skipped},
            )
    except IntegrityError as exc:  # the same file imported at the same moment by someone else
        raise _already_imported() from exc
    logger.info(
        "bank statement %s of authority %s imported: %s, %d skipped",
        statement.pk,
        authority.pk,
        dict(outcomes),
        skipped,
    )
    return ImportResult(
        statement=statement, outcomes=dict(outcomes), skipped=skipped, credited_cents=credited
    )


def _already_imported() -> Problem:
    return StatementAlreadyImported(
        "Diese Datei wurde bereits eingelesen.", "This file has already been imported."
    )


def _record(line: _Line, *, statement: BankStatement, account: PaymentAccount, actor: User) -> str | None:
    """Store one line and apply it; ``None`` if the bank reference is known already."""
    authority_id = statement.authority_id
    if BankEntry.objects.filter(authority_id=authority_id, entry_reference=line.reference).exists():
        return None
    entry = BankEntry(
        statement=statement,
        authority_id=authority_id,
        entry_reference=line.reference,
        amount_cents=line.amount_cents if line.credit else -line.amount_cents,
        booking_date=line.booking_date,
        remittance=line.remittance,
    )
    if not line.credit:
        entry.outcome = E.NOT_CREDIT
        entry.save()
        return entry.outcome
    candidates = kassenzeichen_find(
        prefix=account.kassenzeichen_prefix, structured=line.structured, unstructured=line.unstructured
    )
    payment = None
    for candidate in candidates:
        payment = Payment.objects.filter(authority_id=authority_id, kassenzeichen=candidate).first()
        if payment is not None:
            break
    entry.reference = (payment.kassenzeichen if payment else (candidates[0] if candidates else ""))[:35]
    entry.payment = payment
    if payment is None:
        entry.outcome = E.UNKNOWN_REFERENCE
    elif payment.status not in UNSETTLED:
        # Paid (online, or by an earlier transfer), waived or cancelled: nothing is owed; a refund or
        # another assignment is for a person to decide.
        entry.outcome = E.DOUBLE_PAYMENT
    elif payment.amount_cents != line.amount_cents:
        entry.outcome = E.WRONG_AMOUNT
    else:
        result = payment_transition(
            payment=payment,
            to=Payment.Status.PAID,
            source=PaymentEvent.Source.BANK,
            external_id=line.reference,
            actor=actor,
            detail={"statement": statement.pk, "entry_reference": line.reference},
        )
        entry.outcome = E.MATCHED if result.outcome == Outcome.APPLIED else E.DOUBLE_PAYMENT
        if entry.outcome == E.MATCHED:
            entry.resolved_at = timezone.now()
    entry.save()
    return entry.outcome


# --- reads ---------------------------------------------------------------------------------------


def bank_entries_for_staff(
    *, user: User, authority: Authority | None = None, state: str = "open", outcome: str = ""
) -> QuerySet[BankEntry]:
    """Entries the staff member may read (``tenancy.access``): ``open`` ones (needing clearing, not
    resolved), ``resolved`` ones, or ``all`` (every credit and debit); newest booking first."""
    entries = access.scope(BankEntry.objects.select_related("authority", "payment", "statement"), user)
    if authority is not None:
        entries = entries.filter(authority=authority)
    if state == "open":
        entries = entries.filter(outcome__in=NEEDS_CLEARING, resolved_at__isnull=True)
    elif state == "resolved":
        entries = entries.filter(outcome__in=NEEDS_CLEARING, resolved_at__isnull=False)
    if outcome:
        entries = entries.filter(outcome=outcome)
    return entries.order_by("-booking_date", "-pk")


def bank_entry_get(*, user: User, pk: int, channel: str, authority: Authority | None = None) -> BankEntry:
    """One entry the staff member may read (404 otherwise), recorded as read."""
    entries = BankEntry.objects.select_related("authority", "payment", "statement", "resolved_by")
    if authority is not None:
        entries = entries.filter(authority=authority)
    return access.get_for_user(entries, user, channel=channel, pk=pk)


def bank_statements_for_staff(*, user: User, authority: Authority | None = None) -> QuerySet[BankStatement]:
    statements = access.scope(BankStatement.objects.select_related("authority", "imported_by"), user)
    if authority is not None:
        statements = statements.filter(authority=authority)
    return statements.order_by("-imported_at", "-pk")


def statement_summary(statement: BankStatement) -> dict[str, int]:
    """Entries of ``statement``: ``matched``, ``to_clear`` (listed for clearing), ``not_credit``."""
    counts: Counter[str] = Counter(statement.entries.values_list("outcome", flat=True))
    return {
        "matched": counts[E.MATCHED],
        "to_clear": sum(counts[outcome] for outcome in NEEDS_CLEARING),
        "not_credit": counts[E.NOT_CREDIT],
    }


# --- clearing ------------------------------------------------------------------------------------


def _locked_open_entry(entry: BankEntry, actor: User) -> BankEntry:
    if not access.can_access(actor, entry.authority_id):
        raise PermissionDenied
    locked = BankEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.outcome not in NEEDS_CLEARING or locked.resolved_at is not None:
        raise EntryNotOpen("Diese Buchung ist bereits geklärt.", "This entry has been cleared already.")
    return locked


def bank_entry_assign(
    *, entry: BankEntry, kassenzeichen: str, actor: User, note: str = "", channel: str = "web"
) -> BankEntry:
    """Clear ``entry`` by booking it to the open payment with ``kassenzeichen`` (same authority).

    The amount rules of the import apply: the entry must pay exactly the amount owed, and the payment
    must still be open; the payment becomes PAID (source STAFF, the bank reference as report id).
    """
    wanted = re.sub(r"[\s./_-]", "", kassenzeichen).upper()
    with transaction.atomic():
        locked = _locked_open_entry(entry, actor)
        payment = Payment.objects.filter(authority_id=locked.authority_id, kassenzeichen=wanted).first()
        if payment is None:
            raise Problem(
                f"Ein Kassenzeichen „{wanted}“ gibt es bei dieser Behörde nicht.",
                f"There is no Kassenzeichen '{wanted}' at this authority.",
                status_code=422,
                code="kassenzeichen-unknown",
            )
        if payment.status not in UNSETTLED:
            raise Problem(
                "Diese Zahlung ist nicht mehr offen (bezahlt, erlassen oder storniert).",
                "This payment is not open any more (paid, waived or cancelled).",
                status_code=409,
                code="payment-not-open",
            )
        if payment.amount_cents != locked.amount_cents:
            raise Problem(
                "Der Betrag der Buchung entspricht nicht dem offenen Betrag der Zahlung. "
                "Teilzahlungen oder Überzahlungen bitte in der Kasse buchen "
                "und hier mit Vermerk als geklärt markieren.",
                "The entry's amount differs from the amount owed. Book partial or excess payments in the "
                "treasury system and mark the entry as resolved here with a note.",
                status_code=422,
                code="amount-mismatch",
                extra={"entry_cents": locked.amount_cents, "payment_cents": payment.amount_cents},
            )
        result = payment_transition(
            payment=payment,
            to=Payment.Status.PAID,
            source=PaymentEvent.Source.STAFF,
            external_id=f"bank:{locked.entry_reference}",
            actor=actor,
            detail={"entry": locked.pk, "entry_reference": locked.entry_reference},
        )
        if result.outcome != Outcome.APPLIED:
            raise Problem(
                "Die Zahlung konnte nicht als bezahlt gebucht werden.",
                "The payment could not be booked as paid.",
                status_code=409,
                code="payment-not-open",
            )
        before = locked.outcome
        locked.payment = payment
        locked.reference = payment.kassenzeichen
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution_note = (note.strip() or f"Zugeordnet zu {payment.kassenzeichen}")[:500]
        locked.save(update_fields=["payment", "reference", "resolved_at", "resolved_by", "resolution_note"])
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            authority_id=locked.authority_id,
            channel=channel,
            changes={"outcome": before, "assigned_to": str(payment.pk)},
        )
    return locked


def bank_entry_resolve(*, entry: BankEntry, note: str, actor: User, channel: str = "web") -> BankEntry:
    """Mark ``entry`` as cleared without booking it to a payment (refund arranged, booked elsewhere…)."""
    note = " ".join(note.split())
    if not note:
        raise Problem(
            "Bitte vermerken Sie, wie die Buchung geklärt wurde.",
            "Please note how the entry was cleared.",
            status_code=422,
            code="note-required",
        )
    with transaction.atomic():
        locked = _locked_open_entry(entry, actor)
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution_note = note[:500]
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            authority_id=locked.authority_id,
            channel=channel,
            changes={"resolved": True},
        )
    return locked
