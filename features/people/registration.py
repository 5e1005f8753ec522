"""/start: registering with an invitation code (typed, or from a t.me deep link). While the bot
waits for the code, the person's ``sessions`` row says so (kind ``registration``)."""

from __future__ import annotations

from conversations.kinds import FormKind
from conversations.turn import Turn
from domain.roles import help_text
from storage.reports import Session
from storage.users import Outcome

KIND = "registration"


class RegistrationKind(FormKind):
    name = KIND
    cancelled_key = "start.cancelled"
    entry_commands = ("start",)
    for_guests = True  # the person typing an invitation code is not registered yet

    async def on_menu(self, turn: Turn, session: Session) -> None:
        """Waiting for the code: a typed text is tried; anything else asks again, gently."""
        if turn.input.text and not turn.input.edited:
            return await _try_code(turn, turn.input.text)
        if turn.input.button is None and not turn.input.edited:
            await turn.chat.send(turn.t("start.ask_code"))


REGISTRATION = RegistrationKind()


async def start(turn: Turn) -> None:
    if turn.person is not None:
        return await turn.chat.send(
            turn.t("start.welcome_back", name=turn.person.name) + "\n\n" + help_text(turn.language, turn.person.role)
        )
    if turn.input.args:
        return await _try_code(turn, turn.input.args[0])
    await _wait_for_code(turn)
    await turn.chat.send(turn.t("start.ask_code"))


async def _wait_for_code(turn: Turn) -> None:
    current = await turn.services.storage.reports.session(turn.input.user_id)
    await turn.services.storage.reports.save_session(
        Session(
            telegram_id=turn.input.user_id,
            kind=KIND,
            draft_id=None,
            cursor=None,
            mode="choose",
            wrong_tries=0,
            pending={},
            nonce=(current.nonce + 1) if current else 1,
        )
    )


async def _try_code(turn: Turn, code: str) -> None:
    services = turn.services
    result = await services.storage.users.register(turn.input.user_id, turn.input.full_name, code[:64])
    if result.outcome is Outcome.REGISTERED:
        await turn.router.end(turn)
        turn.person = result.user
        await turn.chat.set_commands(result.user.role, turn.language)
        return await turn.chat.send(await _welcome(turn) + "\n\n" + help_text(turn.language, result.user.role))
    if result.outcome is Outcome.LIMITED:
        await turn.router.end(turn)
        local = result.retry_at.astimezone(services.default_zone)
        return await turn.chat.send(turn.t("start.limited", time=local.strftime("%H.%M")))
    await _wait_for_code(turn)
    await turn.chat.send(turn.t(f"start.code_{result.outcome.value}") + "\n" + turn.t("start.try_again"))


async def _welcome(turn: Turn) -> str:
    account = turn.account
    areas = turn.services.storage.areas
    places = []
    for entry in account.scope:
        name = await areas.area_name(entry.area_code) or entry.area_code
        if entry.posyandu_id:
            name = f"{(await areas.posyandu(entry.posyandu_id)).name}, {name}"
        places.append(name)
    return turn.t(
        "start.registered",
        name=account.name,
        role=turn.t(f"role.{account.role.value}"),
        places=", ".join(places) or "—",
    )
