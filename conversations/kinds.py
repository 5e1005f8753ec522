"""The typed seam between the form engine and the features: a kind of conversation (a monthly
report, a household, the export dialogue, registration) says where its drafts live, what it
checks beyond the form's rules, what submitting does and how its menus answer. The composition
root registers each kind with the router; the engine and router never import a feature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from conversations.turn import Turn
from domain import formflow
from domain.forms import FormSpec, Question
from storage.reports import Session


class Draft(Protocol):
    """A form's saved answers (storage.reports.Draft, storage.households.HouseholdDraft)."""

    id: int
    answers: dict[str, Any]


class AnswerStore(Protocol):
    async def save_answer(
        self,
        draft_id: int,
        question_id: str,
        value: Any,
        *,
        confirmed: Sequence[str] = (),
        removed: Sequence[str] = (),
        session: Session | None = None,
    ) -> None:
        """Store one answer and move the session on, in one transaction."""


@dataclass(frozen=True)
class Warning:
    """A soft check to confirm ("are you sure?"): a form rule's, or a kind's own."""

    id: str
    messages: dict[str, str]  # language -> text


class AnswerState(BaseModel):
    """What a session in a form keeps beside its cursor (modes ``ask`` and ``confirm``)."""

    model_config = ConfigDict(extra="ignore")

    selected: list[str] | None = None  # multiple choice: ticked so far, before "done"
    confirmed: list[str] = []  # soft rules confirmed for the question under the cursor
    value: Any = None  # mode confirm: the answer waiting for "yes, correct"
    rule: str | None = None  # mode confirm: the rule that asked
    warning: dict[str, str] | None = None  # mode confirm: its message, by language
    # mode confirm, instead of a warning: the two readings of a number typed "1.200"
    # (thousands, decimal), one a button each; the question stays under the cursor
    choices: list[float] | None = None

    @classmethod
    def of(cls, session: Session) -> AnswerState:
        return cls.model_validate(session.pending)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True)


@dataclass
class Run:
    """A person's form in progress, loaded fresh from the database for every update."""

    form: FormSpec
    draft: Any  # a Draft (a dataclass: the engine replaces its answers)
    session: Session
    context: formflow.Context
    title: str
    kind: FormKind
    today: date  # in the form's village: dates typed are checked against it
    accepts_location: bool = False

    @property
    def answers(self) -> dict[str, Any]:
        answers: dict[str, Any] = self.draft.answers
        return answers


class FormKind:
    """One kind of conversation. Subclasses set ``name`` (the session kind) and override what
    they need; the defaults suit a kind without that piece."""

    name: ClassVar[str]
    cancelled_key: ClassVar[str] = "form.cancelled"  # said on /batal
    entry_commands: ClassVar[tuple[str, ...]] = ()  # commands that (re)open it; its feature handles them
    # Whether a person who is not (or no longer) registered may be in it. Only registration is;
    # the router ends any other kind's session of such a person before it answers anything.
    for_guests: ClassVar[bool] = False

    def store(self, turn: Turn) -> AnswerStore:
        """Where this kind's answers are saved."""
        return turn.services.storage.reports

    async def load(self, turn: Turn, session: Session) -> Run | None:
        """The form this session is in, or None (then the session is over)."""
        return None

    async def on_menu(self, turn: Turn, session: Session) -> None:
        """An update while the session is in one of this kind's menus (mode ``choose``)."""
        if turn.input.button is not None:
            await turn.chat.ack(turn.t("button.stale"))

    async def check_answer(self, turn: Turn, run: Run, question: Question, value: Any) -> Warning | bool | None:
        """Checks beyond the form's rules: a Warning to confirm, True when the kind took over
        (it showed something else), None to let the answer through."""
        return None

    async def submit(self, turn: Turn, run: Run) -> None:
        """The reviewed form is sent."""

    async def replay(self, turn: Turn) -> bool:
        """This update came again after its replies were lost: show what it completed (a
        receipt); False when it completed nothing of this kind."""
        return False
