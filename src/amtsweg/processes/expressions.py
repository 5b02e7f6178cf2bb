"""Expressions in process models (gateway conditions, timer definitions, action parameters), evaluated
without running arbitrary code.

A model may be written in the Python-like style of SpiffWorkflow (``amount > 100 and dog == "yes"``) or
in Camunda's JUEL (``${amount > 100 && dog == 'yes'}``, ``#{!approved}``, ``${execution.hasVariable("x")}``).
Both are translated into one small Python subset, checked once when a model is uploaded, and then
interpreted over the case's data by walking the syntax tree: names, literals, comparisons, boolean
logic, arithmetic, membership, and the JUEL ``empty`` test. There is no attribute access and no calls,
so an uploaded model cannot reach into the server. Timer values that are plain ISO 8601 text
(``P14D``) are literals.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

_ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$",
    re.IGNORECASE,
)
_JUEL_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_HAS_VARIABLE = re.compile(r"execution\s*\.\s*hasVariable\s*\(\s*(['\"])([A-Za-z_][\w]*)\1\s*\)")
_JUEL_WORDS = {
    "&&": " and ",
    "||": " or ",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "true": "True",
    "false": "False",
    "null": "None",
    "div": "/",
    "mod": "%",
}
_TOKEN = re.compile(
    r"""(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"|(?P<op>&&|\|\||==|!=|<=|>=|!)"
    r"|(?P<word>[A-Za-z_]\w*)"
    r"|(?P<other>\s+|.)",
    re.DOTALL,
)
HAS_NAME = "__has__"


class ExpressionError(Exception):
    """An expression the platform cannot evaluate; the message says why."""


def is_literal(expression: str) -> bool:
    """Whether ``expression`` is plain ISO 8601 text (a timer value), not an expression."""
    return bool(_ISO_LITERAL.match(expression.strip()))


def translate(expression: str) -> str:
    """The Python-subset source of ``expression`` (JUEL is translated; Python-style is kept)."""
    text = expression.strip()
    match = _JUEL_WRAPPED.match(text)
    if not match:
        return text
    body = _HAS_VARIABLE.sub(lambda m: f"{HAS_NAME}({m.group(1)}{m.group(2)}{m.group(1)})", match.group(1))
    out: list[str] = []
    previous = ""
    for token in _TOKEN.finditer(body):
        kind = token.lastgroup
        value = token.group()
        if kind == "op":
            if value == "!":
                value = " not "
            value = _JUEL_WORDS.get(value, value)
        elif kind == "word":
            if value == "empty":
                value = " not "  # JUEL's `empty x`: true for null, "" and empty collections
            elif value in ("and", "or", "not"):
                value = f" {value} "
            elif value in _JUEL_WORDS and previous != ".":
                value = _JUEL_WORDS[value]
        if kind != "other" or value.strip():
            previous = value.strip()
        out.append(value)
    return "".join(out).strip()


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> ast.expr | str:
    """Parse and check ``expression`` once; an ISO 8601 literal is returned as the text itself."""
    if is_literal(expression):
        return expression.strip()
    source = translate(expression)
    if not source:
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {expression.strip()!r}") from exc
    for node in ast.walk(tree):
        _check(node, expression)
    return tree.body


def _check(node: ast.AST, expression: str) -> None:
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.Not,
        ast.USub,
        ast.UAdd,
        ast.Compare,
        ast.BinOp,
        ast.Name,
        ast.Load,
        ast.Constant,
        ast.List,
        ast.Tuple,
        ast.Subscript,
        ast.IfExp,
        *_COMPARE,
        *_BINARY,
    )
    if isinstance(node, ast.Call):
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == HAS_NAME
            and len(node.args) == 1
            and not node.keywords
        ):
            return
        raise ExpressionError(f"calls are not supported: {expression.strip()!r}")
    if isinstance(node, ast.Attribute):
        raise ExpressionError(f"attribute access is not supported: {expression.strip()!r}")
    if isinstance(node, ast.Name) and node.id.startswith("_") and node.id != HAS_NAME:
        raise ExpressionError(f"names starting with _ are not allowed: {expression.strip()!r}")
    if not isinstance(node, allowed):
        raise ExpressionError(f"{type(node).__name__} is not supported in {expression.strip()!r}")


def parameter_value(text: str, data: Mapping[str, Any]) -> Any:
    """The value of an input parameter: as in Camunda, text is literal unless it is ``${…}``/``#{…}``."""
    if _JUEL_WRAPPED.match(text):
        return evaluate(text, data)
    return text


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """The value of ``expression`` over ``data`` (the process variables). Unknown names are an error,
    as in Camunda; use ``execution.hasVariable("x")`` or ``x in ...`` guards in the model."""
    compiled = compile_expression(expression)
    if isinstance(compiled, str):
        return compiled
    return _eval(compiled, data)


def _eval(node: ast.expr, data: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        try:
            return data[node.id]
        except KeyError:
            raise ExpressionError(f"unknown variable {node.id!r}") from None
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result: Any = True
            for value in node.values:
                result = _eval(value, data)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = _eval(value, data)
            if result:
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, data)
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, ast.USub):
            return -operand
        return +operand
    if isinstance(node, ast.Compare):
        left = _eval(node.left, data)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, data)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError as exc:
                raise ExpressionError(f"cannot compare {left!r} and {right!r}") from exc
            left = right
        return True
    if isinstance(node, ast.BinOp):
        try:
            return _BINARY[type(node.op)](_eval(node.left, data), _eval(node.right, data))
        except (TypeError, ZeroDivisionError) as exc:
            raise ExpressionError(str(exc)) from exc
    if isinstance(node, ast.IfExp):
        return _eval(node.body, data) if _eval(node.test, data) else _eval(node.orelse, data)
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, data) for e in node.elts]
    if isinstance(node, ast.Subscript):
        container = _eval(node.value, data)
        key = _eval(node.slice, data)
        try:
            return container[key]
        except (KeyError, IndexError, TypeError) as exc:
            raise ExpressionError(f"no item {key!r}") from exc
    if isinstance(node, ast.Call):  # only __has__("name"), checked in compile_expression
        name = _eval(node.args[0], data)
        return name in data
    raise ExpressionError(f"{type(node).__name__} is not supported")
