"""Plausible answers to a report form, for the demo's history. Pure: no Telegram, no SQL.

Each answer is drawn near the question's own example (the form author's idea of a typical
value), or near last month's answer when there is one, and then checked against the form's
rules the way the conversation checks a person's answer: a value that breaks a hard rule is
never kept, and one that breaks a soft rule only when nothing else fits.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from domain import formflow
from domain.forms import FormSpec, Question, QuestionType
from domain.periods import Period

DEFAULT_SCALE = 20.0
YES_SHARE = 0.8


def plausible_answers(
    form: FormSpec, period: Period, rng: random.Random, prev: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A complete set of answers for ``form`` on ``period`` that breaks no hard rule."""
    context = formflow.Context(prev=dict(prev or {}), month=period.month)
    answers: dict[str, Any] = {}
    while (question := formflow.next_question(form, answers, context)) is not None:
        answers[question.id] = _pick(form, question, answers, context, period, rng)
    return answers


def _pick(
    form: FormSpec,
    question: Question,
    answers: dict[str, Any],
    context: formflow.Context,
    period: Period,
    rng: random.Random,
) -> Any:
    fallback, chosen = None, False
    for candidate in _candidates(question, context.prev.get(question.id), period, rng):
        trial = {**answers, question.id: candidate}
        if formflow.broken_rules(form, trial, question.id, "hard", context):
            continue
        if not formflow.broken_rules(form, trial, question.id, "soft", context):
            return candidate
        if not chosen:
            fallback, chosen = candidate, True
    return fallback if chosen or not question.required else _last_resort(question)


def _candidates(question: Question, previous: Any, period: Period, rng: random.Random) -> Iterator[Any]:
    kind = question.type
    if kind in (QuestionType.COUNT, QuestionType.MEASURE):
        yield from _numbers(question, previous, rng)
    elif kind is QuestionType.YESNO:
        first = rng.random() < YES_SHARE
        yield from (first, not first)
    elif kind is QuestionType.CHOICE:
        yield from rng.sample([o.id for o in question.options], len(question.options))
    elif kind is QuestionType.MULTICHOICE:
        ids = [o.id for o in question.options]
        for _ in range(6):
            yield sorted(rng.sample(ids, rng.randint(1, min(3, len(ids)))), key=ids.index)
        yield from ([i] for i in ids)
    elif kind is QuestionType.DATE:
        yield period.day(rng.randint(5, 20)).isoformat()
    else:  # text: notes are left empty, as most people do
        if not question.required:
            yield None
        yield question.example or "-"


def _numbers(question: Question, previous: Any, rng: random.Random) -> Iterator[float | int]:
    whole = question.type is QuestionType.COUNT
    scale = float(previous) if isinstance(previous, (int, float)) else _example(question)
    spread = 0.1 if isinstance(previous, (int, float)) else 0.3
    tries = [scale * rng.uniform(1 - spread, 1 + spread) for _ in range(4)]
    tries += [scale * f for f in (0.75, 0.5, 0.3, 0.15, 0.05, 0, 1.5, 2, 3)]
    tries += [rng.uniform(0, 3 * scale + 5) for _ in range(10)]
    for value in tries:
        value = _clamp(question, round(value) if whole else round(value, 1))
        if value is not None:
            yield value


def _example(question: Question) -> float:
    try:
        return float((question.example or "").replace(",", ".").split()[0])
    except (ValueError, IndexError):
        return DEFAULT_SCALE


def _clamp(question: Question, value: float) -> float | None:
    lower, upper = question.lower, question.max
    if lower is not None and value < lower:
        return None
    if upper is not None and value > upper:
        return None
    return value


def _last_resort(question: Question) -> Any:
    if question.type is QuestionType.COUNT:
        return int(question.lower or 0)
    if question.type is QuestionType.YESNO:
        return True
    return None


def submission_day(due: date, rng: random.Random, late_share: float = 0.2) -> date:
    """When a report was sent: a few days before the due date, or now and then a few days late."""
    if rng.random() < late_share:
        return due + timedelta(days=rng.randint(1, 7))
    return due - timedelta(days=rng.randint(0, 4))
