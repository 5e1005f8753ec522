"""/ekspor: choose the area (only what the person may export; a step with one choice is
skipped), then the months, and get the Excel summary as a document.

``/ekspor 2026-05 2026-10`` types the months (from-to) directly, at the start or instead of
pressing a months button. The steps are a conversation like the forms: where the person is lives
in their ``sessions`` row (kind ``export``), so the buttons still work after a restart. Buttons
carry ``x:<nonce>:<what>:<code>``; the nonce changes with every step, so buttons of older messages
are answered with "no longer valid".
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace

from pydantic import BaseModel

from conversations.kinds import FormKind
from conversations.turn import Button, Keyboard, Turn
from domain.callbacks import decode, encode
from domain.clock import local_today
from domain.models import Village
from domain.periods import Period, period_range
from domain.regions import within
from features.exporting import jobs
from features.exporting.service import scope_label
from features.exporting.source import exportable_villages
from storage.export_jobs import ExportRequest
from storage.reports import Session

log = logging.getLogger(__name__)
KIND = "export"
AREA, MONTHS = "area", "months"
ALL = "*"
DEPTH_VILLAGE = 4  # PP.KK.CC.DDDD
MAX_MONTHS = 36
MAX_BUTTONS = 90  # Telegram takes at most 100 buttons in a keyboard
MONTH_KEYS = {6: "export.months_6", 3: "export.months_3", 1: "export.months_1"}  # buttons, in order
MONTH_CHOICES = tuple(MONTH_KEYS)


class ExportChoice(BaseModel):
    """What the person chose so far (the session's pending state)."""

    step: str = AREA
    area: str | None = None
    periods: list[str] | None = None


class ExportKind(FormKind):
    name = KIND
    cancelled_key = "export.cancelled"
    entry_commands = ("ekspor",)

    async def on_menu(self, turn: Turn, session: Session) -> None:
        if turn.input.button is not None:
            return await chosen(turn, session)
        choice = ExportChoice.model_validate(session.pending)
        periods = _typed_periods((turn.input.text or "").split()) if not turn.input.edited else None
        if choice.step == MONTHS and choice.area and periods:  # months typed instead of a button
            return await _build(turn, choice.model_copy(update={"periods": periods}))
        await turn.chat.send(turn.t("export.use_buttons") if choice.step == AREA else _bad_months(turn))


EXPORT = ExportKind()


def _session(turn: Turn, nonce: int, choice: ExportChoice) -> Session:
    return Session(
        telegram_id=turn.input.user_id,
        kind=KIND,
        draft_id=None,
        cursor=None,
        mode="choose",
        wrong_tries=0,
        pending=choice.model_dump(exclude_none=True),
        nonce=nonce,
    )


async def _villages(turn: Turn) -> list[Village]:
    return await exportable_villages(turn.services.storage, turn.person)


# -- steps --------------------------------------------------------------------------------------
async def start_export(turn: Turn) -> None:
    """/ekspor [FROM TO]; in the months step, /ekspor FROM TO gives the months for the chosen area."""
    args = turn.input.args
    current = await turn.router.session(turn)
    previous = ExportChoice.model_validate(current.pending) if current and current.kind == KIND else None
    periods = None
    if args:
        periods = _typed_periods(args)
        if periods is None:
            return await turn.chat.send(_bad_months(turn))
        if previous is not None and previous.step == MONTHS and previous.area:
            return await _build(turn, previous.model_copy(update={"periods": periods}))
    villages = await _villages(turn)
    if not villages:
        await turn.router.end(turn)
        return await turn.chat.send(turn.t("export.nothing_in_scope"))
    nonce = (current.nonce + 1) if current else 1
    await _offer_area(turn, _session(turn, nonce, ExportChoice(periods=periods)), villages, None)


async def chosen(turn: Turn, session: Session) -> None:
    button = decode(turn.input.button, "x")
    choice = ExportChoice.model_validate(session.pending)
    if (
        button is None
        or button.nonce != session.nonce
        or button.action not in ("d", "a", "m")
        or (button.action == "m" and not _month_choice(choice, button.arg))
    ):  # old, or never sent
        return await turn.chat.ack(turn.t("button.stale"))
    await turn.chat.ack()
    await turn.chat.clear_buttons()
    session = replace(session, nonce=session.nonce + 1)
    villages = await _villages(turn)
    what, value = button.action, button.arg
    if what == "d":
        return await _offer_area(turn, session, villages, value)
    if what == "a":
        if value != ALL and not _inside(villages, value):
            await turn.router.end(turn)
            return await turn.chat.send(turn.t("export.not_allowed"))
        choice = choice.model_copy(update={"area": value})
        if choice.periods:
            return await _build(turn, choice)
        return await _offer_months(turn, session, choice, villages)
    current = await _this_month(turn, villages)  # what == "m", checked above
    await _build(turn, choice.model_copy(update={"periods": [str(current.shift(1 - int(value))), str(current)]}))


def _month_choice(choice: ExportChoice, value: str) -> bool:
    return bool(choice.area) and value.isdecimal() and len(value) < 3 and int(value) in MONTH_CHOICES


# -- the area -----------------------------------------------------------------------------------
async def _offer_area(turn: Turn, session: Session, villages: list[Village], code: str | None) -> None:
    """Buttons for ``code`` (None: everything in scope): all of it, or one of its parts. Levels
    with a single part are passed through; a single village is chosen without asking."""
    inside = [v for v in villages if code is None or within(code, v.code)]
    choice = ExportChoice.model_validate(session.pending)
    if not inside:
        await turn.router.end(turn)
        return await turn.chat.send(turn.t("export.not_allowed"))
    depth = 0 if code is None else code.count(".") + 1
    parts = sorted({_prefix(v.code, depth + 1) for v in inside})
    while len(parts) == 1 and depth + 1 < DEPTH_VILLAGE:  # one part: no need to ask
        code, depth = parts[0], depth + 1
        parts = sorted({_prefix(v.code, depth + 1) for v in inside})
    if len(parts) == 1:  # one village
        choice = choice.model_copy(update={"area": parts[0]})
        if choice.periods:
            return await _build(turn, choice)
        return await _offer_months(turn, session, choice, villages)
    nonce = session.nonce
    everything = ALL if code is None else code
    label = (
        turn.t("export.all_mine")
        if everything == ALL
        else turn.t("export.all_of", area=_area_name(turn, inside, everything))
    )
    rows: Keyboard = [[Button(label[:60], encode("x", nonce, "a", everything))]]
    buttons = []
    for part in parts[:MAX_BUTTONS]:
        action = "a" if depth + 1 == DEPTH_VILLAGE else "d"
        buttons.append(Button(_area_name(turn, inside, part)[:60], encode("x", nonce, action, part)))
    rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await _save(turn, session, choice.model_copy(update={"step": AREA}))
    await turn.chat.send(turn.t("export.choose_area"), rows)


def _prefix(code: str, depth: int) -> str:
    return ".".join(code.split(".")[:depth])


def _inside(villages: list[Village], code: str) -> list[Village]:
    return [v for v in villages if within(code, v.code)]


def _area_name(turn: Turn, villages: list[Village], code: str) -> str:
    """A readable name of an area code (its villages carry the names of their areas)."""
    if code == ALL:
        return turn.t("export.everywhere")
    village = next(v for v in villages if within(code, v.code))
    depth = code.count(".") + 1
    if depth == 1:
        return turn.t("export.province", name=village.province_name)
    if depth == 2:
        return village.regency_name
    if depth == 3:
        return turn.t("export.district", name=village.district_name)
    return turn.t("export.village", name=village.name)


# -- the months ---------------------------------------------------------------------------------
async def _offer_months(turn: Turn, session: Session, choice: ExportChoice, villages: list[Village]) -> None:
    nonce = session.nonce
    current = await _this_month(turn, villages)
    rows = [[Button(turn.t(MONTH_KEYS[count]), encode("x", nonce, "m", count))] for count in MONTH_CHOICES]
    area = _area_name(turn, villages, choice.area or ALL)
    text = (
        turn.t("export.choose_months", area=area)
        + "\n\n"
        + turn.t("export.typed_hint", first=str(current.shift(-5)), last=str(current))
    )
    await _save(turn, session, choice.model_copy(update={"step": MONTHS}))
    await turn.chat.send(text, rows)


async def _this_month(turn: Turn, villages: list[Village]) -> Period:
    account = turn.person
    home = next((v for v in villages if account and v.code == account.home_village), None)
    return Period.of(await turn.services.today_in(home.code if home else None))


def _typed_periods(args: list[str]) -> list[str] | None:
    """``FROM TO`` (or one month), also written ``FROM - TO``; None when not two months in order."""
    words = [w for w in " ".join(args).replace("–", " ").replace("—", " ").split() if w != "-"]
    if len(words) not in (1, 2):
        return None
    try:
        first, last = Period.parse(words[0]), Period.parse(words[-1])
        months = period_range(first, last)
    except ValueError:
        return None
    return [str(first), str(last)] if len(months) <= MAX_MONTHS else None


def _bad_months(turn: Turn) -> str:
    current = Period.of(local_today(turn.services.clock, turn.services.settings.default_timezone))
    return turn.t("export.bad_months", max=MAX_MONTHS, first=str(current.shift(-5)), last=str(current))


async def _save(turn: Turn, session: Session, choice: ExportChoice) -> None:
    await turn.services.storage.reports.save_session(replace(session, pending=choice.model_dump(exclude_none=True)))


# -- building and sending -----------------------------------------------------------------------
async def _build(turn: Turn, choice: ExportChoice) -> None:
    """Say it is being made, and make and send it in the background: the bot stays responsive."""
    await turn.router.end(turn)
    villages = await _villages(turn)
    area = choice.area or ALL
    codes = [v.code for v in villages] if area == ALL else [v.code for v in _inside(villages, area)]
    if not codes:
        label = ""
    elif area == ALL:
        label = await scope_label(turn.services, codes, turn.language)
    else:
        label = html.unescape(_area_name(turn, villages, area))  # plain text, like scope_label's
    first, last = choice.periods or [str(Period.of(await turn.services.today_in(None)))] * 2
    request = ExportRequest(
        telegram_id=turn.input.user_id,
        chat_id=turn.input.user_id,  # a private chat's id is its person's
        language=turn.language,
        area=area,
        label=label,
        villages=tuple(codes),
        first_period=first,
        last_period=last,
    )
    job = await jobs.record(turn.services, request)  # before anything is said: a crash from here on is resumed
    await turn.chat.send(turn.t("export.building", area=label, first=_month(turn, first), last=_month(turn, last)))
    turn.chat.start_task(jobs.deliver(turn.services, turn.chat, job, turn.account), name=f"export:{turn.input.user_id}")


def _month(turn: Turn, period: str) -> str:
    return Period.parse(period).label(turn.language)
