"""Walking a form: which question comes next, what no longer applies, which rules break.

Pure functions over a form spec and a dict of answers (question id -> value; a key whose
value is None was skipped). The conversations use them; so do the tests, without Telegram.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.expressions import Scope, holds, value_of
from domain.forms import Derived, FormSpec, Question, Rule

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Context:
    """What rules may look at besides this report's answers."""

    prev: Mapping[str, Any] = field(default_factory=dict)  # last month's answers
    month: int | None = None


def _scope(answers: Answers, context: Context) -> Scope:
    return Scope(answers=answers, prev=context.prev, month=context.month)


def _rule_scope(form: FormSpec, answers: Answers, context: Context) -> Scope:
    """Rules may use derived indicators too (e.g. a rate), so they see those values as well."""
    values = {**answers, **derived_values(form, answers, context)} if form.derived else answers
    return _scope(values, context)


def is_relevant(question: Question, answers: Answers, context: Context = Context()) -> bool:
    if question.relevant is None:
        return True
    return holds(question.relevant, _scope(answers, context)) is True


def relevant_questions(form: FormSpec, answers: Answers, context: Context = Context()) -> list[Question]:
    return [q for q in form.questions if is_relevant(q, answers, context)]


def next_question(form: FormSpec, answers: Answers, context: Context = Context()) -> Question | None:
    """The first relevant question not answered or skipped yet; None when the form is complete."""
    return next((q for q in relevant_questions(form, answers, context) if q.id not in answers), None)


def previous_question(
    form: FormSpec, answers: Answers, current: str | None, context: Context = Context()
) -> Question | None:
    """The relevant question before ``current`` (None: before the review, i.e. the last one)."""
    relevant = relevant_questions(form, answers, context)
    ids = [q.id for q in relevant]
    if current is None or current not in ids:
        position = len(relevant) if current is None else _insert_position(form, ids, current)
    else:
        position = ids.index(current)
    return relevant[position - 1] if position > 0 else None


def _insert_position(form: FormSpec, relevant_ids: list[str], current: str) -> int:
    order = form.index(current)
    return sum(1 for qid in relevant_ids if form.index(qid) < order)


def prune(form: FormSpec, answers: Answers, context: Context = Context()) -> tuple[dict[str, Any], list[str]]:
    """Drop answers of questions that no longer apply. One forward pass is enough because a
    `relevant` condition may only look at earlier questions (the form loader checks that)."""
    kept: dict[str, Any] = {}
    removed: list[str] = []
    for question in form.questions:
        if question.id not in answers:
            continue
        if is_relevant(question, kept, context):
            kept[question.id] = answers[question.id]
        else:
            removed.append(question.id)
    return kept, removed


def rules_about(form: FormSpec, question_id: str) -> list[Rule]:
    return [r for r in form.rules if question_id in form.rule_inputs[r.id]]


def broken_rules(
    form: FormSpec, answers: Answers, question_id: str, kind: str | None, context: Context = Context()
) -> list[Rule]:
    """Rules of ``kind`` (None: of every kind) about ``question_id`` that the answers break.
    A rule whose inputs are not all answered yet does not apply."""
    about = [r for r in rules_about(form, question_id) if kind is None or r.kind == kind]
    if not about:
        return []
    scope = _rule_scope(form, answers, context)
    return [r for r in about if holds(r.check, scope) is False]


def all_broken_rules(form: FormSpec, answers: Answers, kind: str = "hard", context: Context = Context()) -> list[Rule]:
    scope = _rule_scope(form, answers, context)
    return [r for r in form.rules if r.kind == kind and holds(r.check, scope) is False]


def missing_required(form: FormSpec, answers: Answers, context: Context = Context()) -> list[Question]:
    return [q for q in relevant_questions(form, answers, context) if q.required and answers.get(q.id) in (None, [])]


def is_complete(form: FormSpec, answers: Answers, context: Context = Context()) -> bool:
    return next_question(form, answers, context) is None and not missing_required(form, answers, context)


def derived_values(form: FormSpec, answers: Answers, context: Context = Context()) -> dict[str, float | None]:
    """Every derived indicator's value (None when an input is missing or a denominator is 0).
    A formula may use derived indicators defined before it."""
    values: dict[str, Any] = dict(answers)
    result: dict[str, float | None] = {}
    for derived in form.derived:
        result[derived.id] = value_of(derived.formula, _scope(values, context))
        values[derived.id] = result[derived.id]
    return result


def key_derived(form: FormSpec) -> list[Derived]:
    return [d for d in form.derived if d.key]


def changed_answers(old: Answers, new: Answers) -> dict[str, tuple[Any, Any]]:
    """question id -> (old, new) for every answer that differs (added, removed or changed)."""
    return {k: (old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}
