"""Fee lookup and calculation: which fee applies, and its exact amount in integer cents.

A formula is evaluated by the process module's safe evaluator (``processes.expressions``: no calls,
no attribute access). Every number in it and in the form data is a ``Decimal`` before evaluation,
so ``anzahl / 3`` or ``2.5 * seiten`` never passes through a binary float; the euro result is
rounded half up to whole cents.
"""

from __future__ import annotations

import io
import re
import token
import tokenize
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.processes.expressions import ExpressionError, evaluate
from amtsweg.tenancy.models import Authority

from .models import Fee

# How the form engine stores numbers: decimal strings ("2", "12.50"); a comma as typed in German too.
_DECIMAL_TEXT = re.compile(r"^\s*-?\d{1,12}([.,]\d{1,6})?\s*$")
# A fee above this is surely a mistake in a formula (one million euros).
MAX_CENTS = 100_000_000
CENT = Decimal("0.01")


class FeeError(Problem):
    """The fee cannot be calculated from the answers (a broken formula, a missing or negative count)."""

    status_code = 422
    code = "fee-not-calculable"


def fee_for(service: Service | int, authority: Authority | int, *, timing: str | None = None) -> Fee | None:
    """The active fee of ``service`` at ``authority``: the authority's own, else the alliance-wide one.

    With ``timing`` only fees paid at that time count (``Fee.Timing``). Several fees of one service
    (different ``key``) are not added up here: the one with the smallest key is the service's fee.
    """
    service_id = service if isinstance(service, int) else service.pk
    authority_id = authority if isinstance(authority, int) else authority.pk
    fees = Fee.objects.filter(
        Q(authority_id=authority_id) | Q(authority__isnull=True), service_id=service_id, active=True
    )
    if timing:
        fees = fees.filter(timing=timing)
    rows = sorted(fees, key=lambda f: (f.authority_id is None, f.key))
    return rows[0] if rows else None


def fee_amount(fee: Fee, data: Mapping[str, Any]) -> int:
    """The amount of ``fee`` for the answers ``data``, in cents (never negative, never a float)."""
    if fee.kind == Fee.Kind.FIXED:
        return int(fee.amount_cents)
    if fee.kind == Fee.Kind.PER_UNIT:
        count = _unit_count(fee, data)
        return _checked(fee, Decimal(fee.amount_cents) * count / 100)
    if fee.kind == Fee.Kind.FORMULA:
        return _checked(fee, formula_euros(fee.formula, data))
    raise FeeError(
        f"Unbekannte Berechnungsart „{fee.kind}“.", f"Unknown fee kind {fee.kind!r}.", code="fee-kind-unknown"
    )


def formula_euros(formula: str, data: Mapping[str, Any]) -> Decimal:
    """The value of ``formula`` over ``data`` in euros, as a ``Decimal``; any problem is a ``FeeError``."""
    source, constants = _decimal_literals(formula)
    values: dict[str, Any] = {key: _decimals(value) for key, value in data.items()}
    for name in constants:
        if name in values:
            raise _formula_error(formula, f"the name {name!r} is reserved")
    values.update(constants)
    try:
        result = evaluate(source, values)
    except (ExpressionError, InvalidOperation, ArithmeticError) as exc:
        raise _formula_error(formula, str(exc)) from exc
    if isinstance(result, bool) or not isinstance(result, int | Decimal):
        raise _formula_error(formula, f"the result {result!r} is not a number")
    return Decimal(result)


def validate_formula(formula: str) -> None:
    """Check ``formula`` once when a fee is saved: it must parse as a safe expression."""
    from amtsweg.processes.expressions import compile_expression

    source, _ = _decimal_literals(formula)
    try:
        compile_expression(source)
    except ExpressionError as exc:
        raise _formula_error(formula, str(exc)) from exc


def _checked(fee: Fee, euros: Decimal) -> int:
    if not euros.is_finite():
        raise _formula_error(fee.formula or fee.unit_field, "the result is not finite")
    cents = int((euros.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())
    if cents < 0:
        raise FeeError(
            f"Die Gebühr „{fee.title}“ ergibt einen negativen Betrag.",
            f"The fee {fee.title!r} comes out negative.",
            extra={"fee": fee.pk},
        )
    if cents > MAX_CENTS:
        raise FeeError(
            f"Die Gebühr „{fee.title}“ ergibt einen unplausibel hohen Betrag.",
            f"The fee {fee.title!r} comes out implausibly high.",
            extra={"fee": fee.pk},
        )
    return cents


def _unit_count(fee: Fee, data: Mapping[str, Any]) -> int:
    value: Any = data
    for part in fee.unit_field.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise FeeError(
            f"Für die Gebühr „{fee.title}“ fehlt die Anzahl im Feld „{fee.unit_field}“.",
            f"The fee {fee.title!r} needs a whole number in the field {fee.unit_field!r}.",
            extra={"fee": fee.pk, "field": fee.unit_field},
        )
    return value


def _decimals(value: Any) -> Any:
    """Form answers with every number as a ``Decimal`` (lists and groups included)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and _DECIMAL_TEXT.match(value):
        return Decimal(value.strip().replace(",", "."))
    if isinstance(value, Mapping):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def _decimal_literals(formula: str) -> tuple[str, dict[str, Decimal]]:
    """``formula`` with each number literal replaced by a name bound to its exact ``Decimal``.

    The evaluator would otherwise turn ``2.5`` into a float; the tokenizer keeps numbers inside
    strings untouched.
    """
    constants: dict[str, Decimal] = {}
    out: list[tuple[int, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(formula.strip()).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise _formula_error(formula, str(exc)) from exc
    for tok in tokens:
        if tok.type == token.NUMBER:
            try:
                number = Decimal(tok.string.replace("_", ""))
            except InvalidOperation as exc:
                raise _formula_error(formula, f"not a decimal number: {tok.string}") from exc
            name = f"zahl{len(constants)}_"
            constants[name] = number
            out.append((token.NAME, name))
        else:
            out.append((tok.type, tok.string))
    return tokenize.untokenize(out).strip(), constants


def _formula_error(formula: str, reason: str) -> FeeError:
    return FeeError(
        f"Die Gebührenformel „{formula}“ lässt sich nicht berechnen ({reason}).",
        f"The fee formula {formula!r} cannot be evaluated ({reason}).",
        code="fee-formula-invalid",
    )
