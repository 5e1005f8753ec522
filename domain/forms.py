"""Form specifications: the report and household forms are data (YAML in forms/), checked here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.expressions import ExpressionError, compile_expression
from domain.periods import Schedule
from domain.roles import Role

_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Texts(Spec):
    """A text in Bahasa Indonesia with its English translation."""

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


class QuestionType(StrEnum):
    COUNT = "count"  # whole number
    MEASURE = "measure"  # decimal with a unit
    YESNO = "yesno"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    TEXT = "text"
    DATE = "date"


class Option(Spec):
    id: str
    label: Texts

    _check_id = field_validator("id")(lambda v: _valid_id(v))


class Question(Spec):
    id: str
    type: QuestionType
    label: Texts
    help: Texts | None = None
    example: str | None = None
    unit: str | None = None
    required: bool = True
    min: float | None = None
    max: float | None = None
    max_length: int = Field(default=200, ge=1, le=1000)
    format: Literal["nik", "kk", "rtrw", "name"] | None = None  # extra checks for text answers
    options: tuple[Option, ...] = ()
    relevant: str | None = None
    key: bool = False  # a headline figure: shown in receipts and summaries
    sensitive: bool = False  # personal data: encrypted at rest, never logged

    _check_id = field_validator("id")(lambda v: _valid_id(v))
    _check_relevant = field_validator("relevant")(lambda v: _valid_expression(v))

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        has_options = self.type in (QuestionType.CHOICE, QuestionType.MULTICHOICE)
        if has_options and len(self.options) < 2:
            raise ValueError("a choice question needs at least two options")
        if not has_options and self.options:
            raise ValueError(f"a {self.type} question takes no options")
        if len({o.id for o in self.options}) != len(self.options):
            raise ValueError("option ids must be unique")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        if self.format and self.type is not QuestionType.TEXT:
            raise ValueError("format applies to text questions only")
        if self.type is QuestionType.COUNT and self.min is not None and self.min < 0:
            raise ValueError("a count cannot go below 0")
        return self

    @property
    def lower(self) -> float | None:
        """Effective lower bound: counts are never negative."""
        if self.type is QuestionType.COUNT:
            return max(self.min or 0, 0)
        return self.min

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Section(Spec):
    id: str
    title: Texts
    questions: tuple[Question, ...] = Field(min_length=1)


class Rule(Spec):
    """A condition across answers. Hard rules block the answer; soft rules ask to confirm."""

    id: str
    kind: Literal["hard", "soft"]
    check: str
    message: Texts

    _check_id = field_validator("id")(lambda v: _valid_id(v))
    _check_expr = field_validator("check")(lambda v: _valid_expression(v))


class Derived(Spec):
    """An indicator computed from answers (e.g. D/S), in one place for receipts and exports."""

    id: str
    label: Texts
    formula: str
    format: Literal["percent", "number"] = "percent"
    key: bool = False
    help: Texts | None = None

    _check_id = field_validator("id")(lambda v: _valid_id(v))
    _check_expr = field_validator("formula")(lambda v: _valid_expression(v))


class Reminders(Spec):
    days_before_due: tuple[int, ...] = (3, 1, 0)
    time: str = "08:00"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
        if not match:
            raise ValueError("time is written HH:MM")
        return value


class FormSpec(Spec):
    id: str
    kind: Literal["report", "household"] = "report"
    title: Texts
    roles: tuple[Role, ...] = Field(min_length=1)
    period: Literal["monthly"] = "monthly"
    open_day: int = Field(default=1, ge=1, le=28)
    due_day: int = Field(default=5, ge=1, le=28)
    lock_day: int = Field(default=15, ge=1, le=28)
    reminders: Reminders = Reminders()
    sections: tuple[Section, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()
    derived: tuple[Derived, ...] = ()

    _check_id = field_validator("id")(lambda v: _valid_id(v))

    @model_validator(mode="after")
    def _consistent(self) -> FormSpec:
        ids = [q.id for q in self.questions]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"question ids used twice: {', '.join(sorted(duplicates))}")
        if self.lock_day < self.due_day:
            raise ValueError("lock_day comes before due_day")
        known = set(ids) | {d.id for d in self.derived}
        for what, source in self._expressions():
            unknown = (compile_expression(source).names | compile_expression(source).prev_names) - known
            if unknown:
                raise ValueError(f"{what} uses unknown answer(s): {', '.join(sorted(unknown))}")
        self._check_relevant_order()
        return self

    def _expressions(self) -> Iterator[tuple[str, str]]:
        for q in self.questions:
            if q.relevant:
                yield f"question {q.id}: relevant", q.relevant
        for r in self.rules:
            yield f"rule {r.id}", r.check
        for d in self.derived:
            yield f"derived {d.id}", d.formula

    def _check_relevant_order(self) -> None:
        seen: set[str] = set()
        for q in self.questions:
            if q.relevant:
                later = compile_expression(q.relevant).names - seen
                if later:
                    raise ValueError(
                        f"question {q.id}: relevant may only use earlier answers, not {', '.join(sorted(later))}"
                    )
            seen.add(q.id)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    @cached_property
    def rule_inputs(self) -> dict[str, frozenset[str]]:
        """Rule id -> the answers its check reads, derived indicators expanded into theirs."""
        return {r.id: self._inputs_of(compile_expression(r.check).names) for r in self.rules}

    def _inputs_of(self, names: frozenset[str]) -> frozenset[str]:
        """The answers an expression over ``names`` reads, with derived indicators expanded."""
        derived = {d.id: d for d in self.derived}
        result: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in derived:
                pending.extend(compile_expression(derived.pop(name).formula).names)
            else:
                result.add(name)
        return frozenset(result)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def index(self, question_id: str) -> int:
        return [q.id for q in self.questions].index(question_id)

    def section_of(self, question_id: str) -> Section:
        return next(s for s in self.sections if any(q.id == question_id for q in s.questions))

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.open_day, self.due_day, self.lock_day)


class FormError(Exception):
    """A form file is broken; the message names the file, the place and the problem."""


def _valid_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a valid id (lowercase letters, digits, _; max 40)")
    return value


def _valid_expression(value: str | None) -> str | None:
    if value is not None:
        try:
            compile_expression(value)
        except ExpressionError as exc:
            raise ValueError(str(exc)) from None
    return value


def load_form(path: Path) -> FormSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:  # UnicodeDecodeError: not saved as UTF-8
        raise FormError(f"{path.name}: cannot read the file: {exc}") from None
    try:
        return FormSpec.model_validate(data)
    except ValidationError as exc:
        raise FormError(f"{path.name}: {_describe(exc, data)}") from None


def _describe(exc: ValidationError, data: object) -> str:
    """First error, with the question id it concerns when there is one."""
    error = exc.errors()[0]
    location, node = [], data
    for part in error["loc"]:
        try:
            node = node[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(node, dict) and "id" in node and part != "options":
            location.append(f"{'question' if 'type' in node else 'item'} {node['id']}")
        elif isinstance(part, str):
            location.append(part)
    where = " > ".join(location) or "form"
    return f"{where}: {error['msg']}"


def load_forms(directory: Path) -> dict[str, FormSpec]:
    """All forms in the directory, by id. Raises FormError on the first broken file."""
    forms: dict[str, FormSpec] = {}
    for path in sorted(directory.glob("*.yaml")):
        form = load_form(path)
        if form.id in forms:
            raise FormError(f"{path.name}: form id {form.id!r} is used by another file")
        forms[form.id] = form
    if not forms:
        raise FormError(f"{directory}: no form files (*.yaml) found")
    return forms
