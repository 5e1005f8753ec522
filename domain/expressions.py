"""A small, safe expression language for form rules, `relevant` conditions and formulas.

Expressions are Python syntax restricted to arithmetic, comparisons, boolean logic, `in`,
`is None`, the functions ``abs``/``min``/``max``/``answered`` and names. A name is an
answer of the current form; ``prev.NAME`` is last month's answer; ``month`` is the
report's month number. Missing answers are ``None``; any arithmetic or ordering on a
missing value raises :class:`Missing`, so a rule about an unanswered question simply
does not apply yet, and a formula with a missing input yields no value.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


class Missing(Exception):
    """An operand was missing, so the expression has no value."""


class ExpressionError(ValueError):
    """The expression text is not valid in this language."""


_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Compare,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Constant,
    ast.Tuple,
    ast.List,
    *_BINARY,
    *_COMPARE,
)
_FUNCTIONS = {"abs", "min", "max", "answered"}
_CALLS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max}
_ARITY = {"abs": (1, 1), "min": (2, 20), "max": (2, 20), "answered": (1, 20)}
MAX_LENGTH = 500


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset[str] = frozenset()  # answers of this form it reads
    prev_names: frozenset[str] = frozenset()  # answers of last month it reads


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> Expression:
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in {source!r}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"expression too deeply nested: {source[:40]!r}...") from None
    names, prev_names = set(), set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"{type(node).__name__} is not allowed in {source!r}")
        if isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id == "prev"):
                raise ExpressionError(f"only prev.NAME may use a dot, in {source!r}")
            prev_names.add(node.attr)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS) or node.keywords:
                raise ExpressionError(f"unknown function in {source!r}")
            low, high = _ARITY[node.func.id]
            if not low <= len(node.args) <= high:
                raise ExpressionError(f"{node.func.id}() takes {low} to {high} arguments, in {source!r}")
        elif isinstance(node, ast.Name) and node.id not in _FUNCTIONS | {"prev", "month"}:
            names.add(node.id)
    return Expression(source, tree, frozenset(names), frozenset(prev_names))


@dataclass(frozen=True)
class Scope:
    answers: Mapping[str, Any]
    prev: Mapping[str, Any] = field(default_factory=dict)
    month: int | None = None


def evaluate(expression: Expression | str, scope: Scope) -> Any:
    """Value of the expression; raises Missing when an input it needs is missing."""
    if isinstance(expression, str):
        expression = compile_expression(expression)
    return _eval(expression.tree.body, scope)


def holds(expression: Expression | str, scope: Scope) -> bool | None:
    """True/False for a condition, or None when it cannot be decided yet."""
    try:
        value = evaluate(expression, scope)
    except (Missing, ZeroDivisionError, TypeError, RecursionError):
        return None  # TypeError: answers of mismatched types cannot decide the condition
    return None if value is None else bool(value)


def value_of(expression: Expression | str, scope: Scope) -> float | None:
    """A formula's number, or None when an input is missing or it divides by zero."""
    try:
        result = evaluate(expression, scope)
    except (Missing, ZeroDivisionError, TypeError, OverflowError, RecursionError):
        return None
    try:
        return None if result is None else float(result)
    except (TypeError, ValueError):
        return None


def _present(value: Any) -> Any:
    if value is None:
        raise Missing
    return value


def _eval(node: ast.AST, scope: Scope) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id="month"):
            return _present(scope.month)
        case ast.Name(id=name):
            return scope.answers.get(name)
        case ast.Attribute(attr=name):
            return scope.prev.get(name)
        case ast.Tuple(elts=items) | ast.List(elts=items):
            return [_eval(item, scope) for item in items]
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _present(_eval(operand, scope))
        case ast.UnaryOp(op=op, operand=operand):
            value = _present(_eval(operand, scope))
            return -value if isinstance(op, ast.USub) else +value
        case ast.BoolOp(op=op, values=values):
            return _bool_op(isinstance(op, ast.And), values, scope)
        case ast.BinOp(left=left, op=op, right=right):
            return _BINARY[type(op)](_present(_eval(left, scope)), _present(_eval(right, scope)))
        case ast.Compare(left=left, ops=ops, comparators=rights):
            return _compare(left, ops, rights, scope)
        case ast.Call(func=ast.Name(id="answered"), args=args):
            return all(_eval(arg, scope) is not None for arg in args)
        case ast.Call(func=ast.Name(id=name), args=args):
            values = [_present(_eval(arg, scope)) for arg in args]
            return _CALLS[name](*values)
    raise ExpressionError(f"cannot evaluate {ast.dump(node)}")


def _bool_op(is_and: bool, values: Sequence[ast.AST], scope: Scope) -> bool:
    """Short-circuit and/or where a decided operand wins over a missing one."""
    undecided = False
    for node in values:
        try:
            truth = bool(_present(_eval(node, scope)))
        except Missing:
            undecided = True
            continue
        if truth != is_and:  # False in an `and`, True in an `or`, decides it
            return truth
    if undecided:
        raise Missing
    return is_and


def _compare(left: ast.AST, ops: Sequence[ast.cmpop], rights: Sequence[ast.AST], scope: Scope) -> bool:
    current = _eval(left, scope)
    for op, right_node in zip(ops, rights, strict=True):  # ast.Compare: one operator per right side
        right = _eval(right_node, scope)
        if isinstance(op, ast.Is | ast.IsNot):
            result = (current is right) == isinstance(op, ast.Is)
        elif isinstance(op, ast.In | ast.NotIn):
            result = (_present(current) in _present(right)) == isinstance(op, ast.In)
        else:
            result = _COMPARE[type(op)](_present(current), _present(right))
        if not result:
            return False
        current = right
    return True
