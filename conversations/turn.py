"""What one update is to a form, in plain values: what the person did, who they are, and a chat
to answer in. The Telegram kernel (handlers/forms.py) makes a Turn from a PTB update; the form
engine, the router and the features' dialogues see only this, so they know no Telegram type and
a second chat channel needs only another adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from domain.models import User
from domain.roles import Role
from domain.texts import Html, t
from runtime.services import Services

if TYPE_CHECKING:
    from conversations.router import Router


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data, made by conversations.callbacks


Keyboard = list[list[Button]]


class Chat(Protocol):
    """Where the answers to a turn go."""

    async def send(self, text: str, buttons: Keyboard | None = None) -> None:
        """Send an HTML message (catalogue texts are HTML with escaped parameters)."""

    async def ack(self, notice: str | None = None, alert: bool = False) -> None:
        """Acknowledge the button pressed (with a short notice); nothing for a typed message."""

    async def clear_buttons(self) -> None:
        """Take the buttons off the message whose button was pressed (they were used)."""

    async def set_buttons(self, buttons: Keyboard) -> None:
        """Replace the buttons of the message whose button was pressed (a multiple-choice toggle)."""

    async def send_file(self, path: Path, caption: str | None = None) -> None:
        """Send a file as a document (an export), with an HTML caption."""

    async def set_commands(self, role: Role | None, language: str) -> None:
        """Show this person the commands of their role (a convenience: never fails the turn)."""

    def start_task(self, work: Any, name: str) -> None:
        """Run ``work`` (a coroutine) in the background, as part of this update (an export)."""


@dataclass
class Input:
    """What the person did: typed text, a command, a button, a location, or an edit."""

    update_id: int
    user_id: int
    text: str | None = None  # a message's text, commands included
    command: str | None = None  # "kembali" for "/kembali@bot x"
    args: list[str] = field(default_factory=list)
    button: str | None = None  # callback data of the button pressed
    location: tuple[float, float] | None = None
    edited: bool = False  # an edited message (never taken as an answer)
    full_name: str = ""


@dataclass
class Turn:
    input: Input
    chat: Chat
    services: Services
    router: Router
    person: User | None = None
    language: str = "id"

    def t(self, key: str, **params: Any) -> Html:
        """A text from the catalogue in this person's language."""
        return t(self.language, key, **params)

    @property
    def account(self) -> User:
        """The registered person (the gate has let only registered people into a form)."""
        assert self.person is not None
        return self.person
