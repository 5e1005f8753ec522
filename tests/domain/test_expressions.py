"""The safe expression language used by form rules, `relevant` conditions and formulas."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.expressions import (
    Expression,
    ExpressionError,
    Missing,
    Scope,
    compile_expression,
    evaluate,
    holds,
    value_of,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scope(**answers) -> Scope:
    return Scope(answers=answers)


# --------------------------------------------------------------------------- compiling


@pytest.mark.parametrize(
    "source,names,prev_names",
    [
        ("a + b", {"a", "b"}, set()),
        ("a <= prev.a * 2", {"a"}, {"a"}),
        ("prev.x is None or x > 0", {"x"}, {"x"}),
        ("month == 8", set(), set()),
        ("abs(a - b) <= max(c, 1) and min(d, e) >= 0", {"a", "b", "c", "d", "e"}, set()),
        ("answered(a, b)", {"a", "b"}, set()),
        ("pilihan in ['a', 'b']", {"pilihan"}, set()),
        ("'x' not in daftar", {"daftar"}, set()),
        ("  a > 1  ", {"a"}, set()),
        ("not a", {"a"}, set()),
        ("1 < a < 3", {"a"}, set()),
        ("a // 2 + b % 3 - -c", {"a", "b", "c"}, set()),
        ("(a, b) == (1, 2)", {"a", "b"}, set()),
        ("a is not None", {"a"}, set()),
        ("True", set(), set()),
    ],
)
def test_compiles_and_reports_the_names_it_reads(source, names, prev_names):
    expression = compile_expression(source)
    assert isinstance(expression, Expression)
    assert expression.source == source
    assert expression.names == names
    assert expression.prev_names == prev_names


def test_functions_month_and_prev_are_not_answer_names():
    expression = compile_expression("abs(a) + min(b, 1) + max(c, 2) + month + prev.d")
    assert expression.names == {"a", "b", "c"}
    assert "prev" not in expression.names and "month" not in expression.names
    assert expression.prev_names == {"d"}


def test_compilation_is_cached_and_equal_by_source():
    assert compile_expression("a + 1") is compile_expression("a + 1")
    assert Expression("a", compile_expression("a").tree) == Expression("a", compile_expression("b").tree)


@pytest.mark.parametrize(
    "source",
    [
        # attribute access other than prev.NAME
        "a.b",
        "prev.a.b",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "''.join",
        "x.__dict__",
        "month.real",
        "(prev).a.b",
        # calls of anything but abs/min/max/answered, and keyword arguments
        "open('/etc/passwd')",
        "__import__('os').system('id')",
        "eval('1')",
        "exec('1')",
        "len(a)",
        "round(a)",
        "int(a)",
        "sum([a])",
        "abs(a=1)",
        "max(a, b, key=c)",
        "min(a, default=0)",
        "prev.f(1)",
        "(lambda: 1)()",
        "abs(*a)",
        "max(**a)",
        "getattr(a, 'b')",
        # lambdas, subscripts, comprehensions, other syntax
        "lambda: 1",
        "a[0]",
        "a[1:2]",
        "[x for x in a]",
        "(x for x in a)",
        "{x for x in a}",
        "{k: 1 for k in a}",
        "{1: 2}",
        "{1, 2}",
        "a if b else c",
        "(x := 1)",
        "f'{a}'",
        "a ** 2",
        "a @ b",
        "~a",
        "a << 1",
        "a >> 1",
        "a & b",
        "a | b",
        "a ^ b",
        "await a",
        # not an expression at all
        "",
        "   ",
        "#",
        "a;b",
        "a = 1",
        "import os",
        "*a",
        "a +",
        "1 +* 2",
        "if a: b",
        "a\x00",
    ],
)
def test_rejects_everything_else(source):
    with pytest.raises(ExpressionError):
        compile_expression(source)


def test_expression_error_is_a_value_error_that_names_the_source():
    with pytest.raises(ValueError) as caught:
        compile_expression("a[0]")
    assert "a[0]" in str(caught.value)


def test_dunder_names_are_just_missing_answers():
    """A bare name is only ever looked up in the answers mapping, never in Python's namespace."""
    assert evaluate("__builtins__", scope()) is None
    assert evaluate("__import__ is None", scope()) is True
    # prev.__class__ compiles (prev.NAME form) but reads the mapping, never the attribute.
    assert evaluate("prev.__class__", Scope(answers={}, prev={})) is None
    assert holds("prev.__class__ is None", Scope(answers={}, prev={})) is True


# --------------------------------------------------------------------------- evaluating


@pytest.mark.parametrize(
    "source,answers,expected",
    [
        ("a + b * 2", {"a": 1, "b": 3}, 7),
        ("(a + b) * 2", {"a": 1, "b": 3}, 8),
        ("a - b", {"a": 1, "b": 3}, -2),
        ("a / b", {"a": 1, "b": 4}, 0.25),
        ("a // b", {"a": 7, "b": 2}, 3),
        ("a % b", {"a": 7, "b": 3}, 1),
        ("-a", {"a": 3}, -3),
        ("+a", {"a": 3}, 3),
        ("abs(a)", {"a": -3}, 3),
        ("min(a, b, 5)", {"a": 9, "b": 7}, 5),
        ("max(a, b)", {"a": 9, "b": 7}, 9),
        ("a < b", {"a": 1, "b": 2}, True),
        ("a <= b", {"a": 2, "b": 2}, True),
        ("a > b", {"a": 1, "b": 2}, False),
        ("a >= b", {"a": 1, "b": 2}, False),
        ("a == b", {"a": 2, "b": 2}, True),
        ("a != b", {"a": 2, "b": 2}, False),
        ("1 < a < 3", {"a": 2}, True),
        ("1 < a < 3", {"a": 3}, False),
        ("a in [1, 2]", {"a": 2}, True),
        ("a in (1, 2)", {"a": 3}, False),
        ("a not in [1, 2]", {"a": 3}, True),
        ("'x' in a", {"a": ["x", "y"]}, True),
        ("'z' in a", {"a": ["x", "y"]}, False),
        ("a == 'ya'", {"a": "ya"}, True),
        ("a is None", {}, True),
        ("a is None", {"a": None}, True),
        ("a is None", {"a": 0}, False),
        ("a is not None", {"a": 0}, True),
        ("not a", {"a": 0}, True),
        ("not a", {"a": 5}, False),
        ("a", {"a": True}, True),
        ("answered(a)", {"a": 0}, True),
        ("answered(a)", {"a": None}, False),
        ("answered(a, b)", {"a": 1}, False),
        ("answered(a, b)", {"a": 1, "b": False}, True),
        ("[a, b]", {"a": 1, "b": 2}, [1, 2]),
    ],
)
def test_evaluates(source, answers, expected):
    result = evaluate(source, scope(**answers))
    assert result == expected
    assert type(result) is type(expected)


def test_evaluate_accepts_a_compiled_expression():
    assert evaluate(compile_expression("a * 2"), scope(a=21)) == 42


def test_prev_and_month():
    ctx = Scope(answers={"a": 12}, prev={"a": 5}, month=8)
    assert evaluate("a - prev.a", ctx) == 7
    assert evaluate("month", ctx) == 8
    assert holds("month == 8 and prev.a < a", ctx) is True
    assert evaluate("prev.b", ctx) is None
    assert holds("prev.b is None", ctx) is True


def test_missing_month_is_missing():
    with pytest.raises(Missing):
        evaluate("month", scope())
    assert holds("month == 8", scope()) is None
    assert value_of("month", scope()) is None


@pytest.mark.parametrize(
    "source",
    [
        "a + 1",
        "1 - a",
        "a * 2",
        "a / 2",
        "a // 2",
        "a % 2",
        "-a",
        "+a",
        "not a",
        "a < 1",
        "a <= 1",
        "a > 1",
        "a >= 1",
        "a == 1",
        "a != 1",
        "1 < a",
        "a in [1]",
        "1 in a",
        "abs(a)",
        "min(a, 1)",
        "max(1, a)",
        "prev.a + 1",
        "1 < 2 < a",
        "a < 1 < 2",
    ],
)
def test_any_operation_on_a_missing_value_is_missing(source):
    for answers in ({}, {"a": None}):
        with pytest.raises(Missing):
            evaluate(source, Scope(answers=answers, prev={}))
        assert holds(source, Scope(answers=answers)) is None
        assert value_of(source, Scope(answers=answers)) is None


def test_a_chained_comparison_stops_at_the_first_false_link():
    # 3 < 2 is already false, so the missing `a` is never needed (as in Python).
    assert evaluate("3 < 2 < a", scope()) is False


@pytest.mark.parametrize(
    "source,answers,expected",
    [
        # a decided operand wins over a missing one
        ("a > 1 or b > 1", {"b": 5}, True),
        ("a > 1 or b > 1", {"a": 5}, True),
        ("a > 1 or b > 1", {"b": 0}, None),
        ("a > 1 or b > 1", {}, None),
        ("a > 1 and b > 1", {"b": 0}, False),
        ("a > 1 and b > 1", {"a": 0}, False),
        ("a > 1 and b > 1", {"b": 5}, None),
        ("a > 1 and b > 1", {"a": 5, "b": 5}, True),
        ("a > 1 or b > 1", {"a": 0, "b": 0}, False),
        ("a is None or a > 1", {}, True),
        ("a is None or a > 1", {"a": 0}, False),
        ("a is not None and a > 1", {}, False),
        ("a or b or c", {"c": 1}, True),
        ("a and b and c", {"b": 0}, False),
        ("not (a > 1)", {}, None),
        ("not (a > 1)", {"a": 0}, True),
    ],
)
def test_and_or_with_missing_values(source, answers, expected):
    assert holds(source, scope(**answers)) is expected


def test_and_or_return_booleans():
    assert evaluate("a or b", scope(a=0, b=7)) is True
    assert evaluate("a and b", scope(a=3, b=7)) is True


@pytest.mark.parametrize("source", ["a / b", "a // b", "a % b", "a / (b - b)", "1 / 0.0"])
def test_division_by_zero_is_undecided(source):
    ctx = scope(a=5, b=0)
    with pytest.raises(ZeroDivisionError):
        evaluate(source, ctx)
    assert value_of(source, ctx) is None
    assert holds(f"{source} > 1", ctx) is None


def test_value_of_is_a_float_or_none():
    assert value_of("a / b", scope(a=1, b=4)) == 0.25
    assert value_of("a + b", scope(a=1, b=4)) == 5.0
    assert isinstance(value_of("a + b", scope(a=1, b=4)), float)
    assert value_of("a > b", scope(a=5, b=4)) == 1.0
    assert value_of("a", scope(a=None)) is None
    assert value_of("a", scope()) is None
    assert value_of("a / b", scope(a=1, b=0)) is None
    assert value_of("a / b", scope(a=1)) is None
    assert value_of("None", scope()) is None


def test_holds_is_a_bool_or_none():
    assert holds("a", scope(a=3)) is True
    assert holds("a", scope(a=0)) is False
    assert holds("a", scope(a=[])) is False
    assert holds("a > 1", scope()) is None
    assert holds("not a", scope()) is None


@pytest.mark.parametrize("answers", [{}, {"a": None}])
def test_a_bare_missing_name_is_undecided(answers):
    assert holds("a", scope(**answers)) is None


# --------------------------------------------------------------------------- bugs found


@pytest.mark.parametrize("source", ["abs(a, b) > 0", "min(a) > 0", "max() > 0"])
def test_wrong_arity_is_rejected_when_compiling(source):
    with pytest.raises(ExpressionError):
        compile_expression(source)


@pytest.mark.parametrize("source", ["abs(a, b) > 0", "min(a) > 0"])
def test_wrong_arity_never_reaches_evaluation(source):
    with pytest.raises(ExpressionError):  # rejected when compiled, so the form loader refuses the form
        holds(source, scope(a=1, b=2))


def test_holds_never_raises_on_mixed_types():
    assert holds("a < 1", scope(a="ya")) in (True, False, None)


@pytest.mark.parametrize("source", ["-" * 5000 + "1", "1+" * 3000 + "1"])
def test_deep_nesting_is_an_expression_error(source):
    with pytest.raises(ExpressionError):
        compile_expression(source)


# --------------------------------------------------------------------------- properties

INTS = st.integers(-1000, 1000)
NAMES = ("a", "b", "c")


def _arith(depth: int = 3):
    leaf = st.one_of(st.sampled_from(NAMES), st.integers(-50, 50).map(str))

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda e: f"(-{e})"),
            inner.map(lambda e: f"abs({e})"),
            st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=2, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
        )

    return st.recursive(leaf, extend, max_leaves=6)


def _condition():
    comparison = st.tuples(_arith(), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _arith()).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    membership = st.tuples(
        _arith(), st.sampled_from(["in", "not in"]), st.lists(st.integers(-5, 5).map(str), max_size=3)
    ).map(lambda t: f"({t[0]} {t[1]} [{', '.join(t[2])}])")
    is_none = st.tuples(st.sampled_from((*NAMES, "prev.a", "prev.b")), st.sampled_from(["is", "is not"])).map(
        lambda t: f"({t[0]} {t[1]} None)"
    )
    answered = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(lambda n: f"answered({', '.join(n)})")
    leaf = st.one_of(comparison, membership, is_none, answered, st.just("(month == 8)"))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"(not {e})"),
        ),
        max_leaves=5,
    )


@FAST
@given(a=INTS, b=INTS)
def test_agrees_with_python_on_fixed_formulas(a, b):
    for source in [
        "a + b * 2 <= b",
        "a - b // 3 > a % 7 or b == 0",
        "abs(a - b) <= max(a, b) - min(a, b)",
        "not a < b and a != 0",
        "-a * (b + 1) >= a * b - 1",
        "a in [b, 1, 2] or b not in (a, 0)",
        "0 <= a < b <= 100",
    ]:
        assert evaluate(source, scope(a=a, b=b)) == eval(source, {}, {"a": a, "b": b})
    if b != 0:
        assert evaluate("a / b + a // b + a % b", scope(a=a, b=b)) == a / b + a // b + a % b
    else:
        assert value_of("a / b + a // b + a % b", scope(a=a, b=b)) is None


@FAST
@given(source=_arith(), a=INTS, b=INTS, c=INTS)
def test_agrees_with_python_on_random_arithmetic(source, a, b, c):
    values = {"a": a, "b": b, "c": c}
    try:
        expected = eval(source, {}, values)
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            evaluate(source, Scope(answers=values))
        assert value_of(source, Scope(answers=values)) is None
        return
    assert evaluate(source, Scope(answers=values)) == expected
    assert value_of(source, Scope(answers=values)) == float(expected)


@FAST
@given(source=_condition(), a=INTS, b=INTS, c=INTS)
def test_agrees_with_python_on_random_conditions(source, a, b, c):
    values = {"a": a, "b": b, "c": c}
    python_source = source.replace("prev.", "prev_")
    try:
        expected = eval(
            python_source,
            {"answered": lambda *v: all(x is not None for x in v)},
            {**values, "month": 8, "prev_a": 1, "prev_b": None},
        )
    except ZeroDivisionError:
        return
    ctx = Scope(answers=values, prev={"a": 1}, month=8)
    assert holds(source, ctx) is bool(expected)


@FAST
@given(x=st.sampled_from([None, 0, 1, 5]), y=st.sampled_from([None, 0, 1, 5]), op=st.sampled_from(["and", "or"]))
def test_and_or_follow_three_valued_logic(x, y, op):
    ctx = scope(x=x, y=y)
    left, right = holds("x > 0", ctx), holds("y > 0", ctx)
    combined = holds(f"x > 0 {op} y > 0", ctx)
    if op == "and":
        expected = False if False in (left, right) else (None if None in (left, right) else True)
    else:
        expected = True if True in (left, right) else (None if None in (left, right) else False)
    assert combined is expected
    negated = holds("not (x > 0)", ctx)
    assert negated is (None if left is None else not left)


ANSWER_VALUES = st.one_of(st.none(), st.integers(-20, 20), st.floats(-100, 100, allow_nan=False))


@FAST
@given(
    source=st.one_of(_arith(), _condition()),
    answers=st.dictionaries(st.sampled_from(NAMES), ANSWER_VALUES),
    prev=st.dictionaries(st.sampled_from(NAMES), ANSWER_VALUES),
    month=st.one_of(st.none(), st.integers(1, 12)),
)
def test_missing_values_never_escape_as_other_errors(source, answers, prev, month):
    ctx = Scope(answers=answers, prev=prev, month=month)
    with contextlib.suppress(Missing, ZeroDivisionError):
        evaluate(source, ctx)
    assert holds(source, ctx) in (True, False, None)
    value = value_of(source, ctx)
    assert value is None or isinstance(value, float)


@FAST
@given(st.text(max_size=40))
def test_any_text_compiles_or_is_an_expression_error(text):
    try:
        expression = compile_expression(text)
    except ExpressionError:
        return
    assert isinstance(expression, Expression)


TOKENS = st.sampled_from(
    [
        "a",
        "b",
        "prev",
        ".",
        "month",
        "(",
        ")",
        "[",
        "]",
        ",",
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "<",
        "<=",
        "==",
        "!=",
        "and",
        "or",
        "not",
        "in",
        "is",
        "None",
        "1",
        "0",
        "2.5",
        "'x'",
        "abs",
        "min",
        "max",
        "answered",
        "__class__",
        "lambda",
        ":",
        "=",
        "**",
        " ",
    ]
)


@FAST
@given(st.lists(TOKENS, min_size=1, max_size=12).map(" ".join))
def test_token_soup_compiles_or_is_an_expression_error(text):
    try:
        expression = compile_expression(text)
    except ExpressionError:
        return
    # what compiles only reads answers, prev.NAME and month
    assert all(name.isidentifier() for name in expression.names | expression.prev_names)


@FAST
@given(source=_condition(), answers=st.dictionaries(st.sampled_from(NAMES), st.integers(-20, 20)))
def test_compiled_names_are_exactly_what_evaluation_reads(source, answers):
    """Answers of names the expression does not mention never change its value."""
    expression = compile_expression(source)
    assume(expression.names)
    ctx = Scope(answers=answers, prev={"a": 1}, month=8)
    extra = Scope(answers={**answers, "zz_unused": 99}, prev={"a": 1, "zz_unused": 4}, month=8)
    assert holds(expression, ctx) is holds(expression, extra)
