"""The one router for conversations: where a person is comes from their ``sessions`` row, read
on every update, and nowhere else. An update of a person in a conversation goes to that kind's
menus or to the form engine; commands inside a form (/kembali, /lewati, /batal, /bantuan) are
answered here; everything else is left to the rest of the bot."""

from __future__ import annotations

from collections.abc import Sequence

from conversations import engine
from conversations.kinds import FormKind
from conversations.turn import Turn
from domain.roles import help_text
from storage.reports import Session

# Commands that leave a conversation as it is and are answered by the rest of the bot.
PASS_THROUGH = frozenset({"start", "bahasa"})


class Router:
    def __init__(self, kinds: Sequence[FormKind]):
        self.kinds = {kind.name: kind for kind in kinds}
        self.entry_commands = frozenset(command for kind in kinds for command in kind.entry_commands)

    async def session(self, turn: Turn) -> Session | None:
        """The person's conversation, if they may be in it. A kind no longer served, or a form
        of a person no longer registered (deactivated while it was open), ends here: this is
        the one read of where a person is, so nothing of a form reaches someone whose access
        has ended, whatever they send. (Their draft stays, for an admin.)"""
        session = await turn.services.storage.reports.session(turn.input.user_id)
        if session is None:
            return None
        kind = self.kinds.get(session.kind)
        if kind is None or (turn.person is None and not kind.for_guests):
            await self.end(turn)
            return None
        return session

    async def end(self, turn: Turn) -> None:
        await turn.services.storage.reports.end_session(turn.input.user_id)

    async def route(self, turn: Turn) -> bool:
        """Handle ``turn`` if the person is in a conversation; False leaves it to the rest."""
        session = await self.session(turn)
        if session is None:
            return False
        kind = self.kinds[session.kind]
        if turn.input.command is not None:
            return await self._command(turn, session, kind, turn.input.command)
        if session.mode == "choose":
            await kind.on_menu(turn, session)
            return True
        run = await kind.load(turn, session)
        if run is None:  # its draft is gone (sent on another device, or discarded)
            await self.end(turn)
            return False
        await engine.on_update(turn, run)
        return True

    async def _command(self, turn: Turn, session: Session, kind: FormKind, command: str) -> bool:
        if command in PASS_THROUGH or command in self.entry_commands:
            return False
        if command == "batal":
            await self.end(turn)
            await turn.chat.send(turn.t(kind.cancelled_key))
            return True
        if command in ("kembali", "lewati") and session.mode != "choose":
            run = await kind.load(turn, session)
            if run is None:
                await self.end(turn)
                return False
            await (engine.go_back if command == "kembali" else engine.skip)(turn, run)
            return True
        role = turn.person.role if turn.person else None
        await turn.chat.send(help_text(turn.language, role) if command == "bantuan" else turn.t("form.busy"))
        await self.show_again(turn, session)
        return True

    async def show_again(self, turn: Turn, session: Session) -> None:
        """Ask the question the person is at again (a menu stays as it was sent)."""
        if session.mode == "choose":
            return
        run = await self.kinds[session.kind].load(turn, session)
        if run is not None:
            await engine.ask(turn, run)

    async def busy(self, turn: Turn, kind_name: str) -> bool:
        """Another kind's conversation is open: say so, ask its question again, True."""
        session = await self.session(turn)
        if session is None or session.kind == kind_name:
            return False
        await turn.chat.send(turn.t("form.busy"))
        await self.show_again(turn, session)
        return True

    async def replay(self, turn: Turn) -> None:
        """An update that took effect came again and its replies may be lost: show what it
        completed, or where the person is now."""
        for kind in self.kinds.values():
            if (turn.person is not None or kind.for_guests) and await kind.replay(turn):
                return
        session = await self.session(turn)
        if session is None or session.mode == "choose":
            return
        run = await self.kinds[session.kind].load(turn, session)
        if run is not None:
            await engine.show(turn, run)
