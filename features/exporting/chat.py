"""/ekspor: choose the area (only what the person may export; a step with one choice is
skipped), then the months, and get the Excel summary as a document.

``/ekspor 2026-05 2026-10`` types the months (from-to) directly, at the start or instead of
pressing a months button. (A plain message is taken by the forms conversation, which is
registered first, so a typed range comes as the command's arguments.) Buttons carry
``x:<nonce>:<what>:<code>``; the nonce lives in ``user_data`` and changes with every step, so
buttons of older messages are answered with "no longer valid".
"""
from __future__ import annotations

import logging
import re
import tempfile
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from domain.models import User, Village
from domain.periods import Period, period_range
from domain.regions import within
from domain.texts import t
from exports import ExportTooLarge
from features.exporting.service import EmptySelection, OutOfScope, export_workbook, scope_label
from features.exporting.source import exportable_villages
from handlers.context import BotContext

log = logging.getLogger(__name__)
END = ConversationHandler.END
CHOOSING_AREA, CHOOSING_MONTHS = "export_area", "export_months"
STATE_KEY = "export"
ALL = "*"
DEPTH_VILLAGE = 4  # PP.KK.CC.DDDD
MAX_MONTHS = 36
MAX_BUTTONS = 90  # Telegram takes at most 100 buttons in a keyboard
MONTH_KEYS = {6: "export.months_6", 3: "export.months_3", 1: "export.months_1"}  # buttons, in order
MONTH_CHOICES = tuple(MONTH_KEYS)


def export_conversation() -> ConversationHandler:
    buttons = CallbackQueryHandler(chosen, pattern=r"^x:")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)  # callback handlers: per_message=False is wanted
        return ConversationHandler(
            entry_points=[CommandHandler("ekspor", start_export)],
            states={CHOOSING_AREA: [buttons], CHOOSING_MONTHS: [buttons]},
            fallbacks=[CommandHandler("ekspor", start_export), CommandHandler("batal", cancel), buttons],
            name="export", persistent=True, allow_reentry=True,
        )


# -- steps --------------------------------------------------------------------------------------
async def start_export(update: Update, context: BotContext) -> str | int:
    """/ekspor [FROM TO]; in the months step, /ekspor FROM TO gives the months for the chosen area."""
    message, args = update.effective_message, context.args or []
    previous = context.user_data.get(STATE_KEY) or {}
    periods = None
    if args:
        periods = _typed_periods(args)
        if periods is None:
            await message.reply_html(_bad_months(context))
            return CHOOSING_MONTHS if previous.get("step") == CHOOSING_MONTHS else END
        if previous.get("step") == CHOOSING_MONTHS and previous.get("area"):
            return await _build(update, context, {**previous, "periods": periods})
    villages = await exportable_villages(context.services.storage, context.account)
    if not villages:
        context.user_data.pop(STATE_KEY, None)
        await message.reply_html(context.t("export.nothing_in_scope"))
        return END
    state = {"nonce": int(previous.get("nonce", 0)) + 1, "periods": periods, "area": None}
    return await _offer_area(update, context, state, villages, None)


async def chosen(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    state = context.user_data.get(STATE_KEY)
    parts = (query.data or "").split(":", 3)
    what, value = (parts[2], parts[3]) if len(parts) == 4 else ("", "")
    if (not state or parts[1:2] != [str(state.get("nonce"))] or what not in ("d", "a", "m")
            or (what == "m" and not _month_choice(state, value))):  # old, or data the bot never sent
        await context.answer_button(query, context.t("button.stale"))
        return state["step"] if state and state.get("step") else END
    await context.answer_button(query)
    if query.message is not None and query.message.reply_markup is not None:
        await query.edit_message_reply_markup(None)
    state = {**state, "nonce": state["nonce"] + 1}
    villages = await exportable_villages(context.services.storage, context.account)
    if what == "d":
        return await _offer_area(update, context, state, villages, value)
    if what == "a":
        if value != ALL and not _inside(villages, value):
            await context.say(update.effective_chat.id, context.t("export.not_allowed"))
            return _end(context)
        state["area"] = value
        if state.get("periods"):
            return await _build(update, context, state)
        return await _offer_months(update, context, state, villages)
    current = await _this_month(context, villages)  # what == "m", checked above
    state["periods"] = [str(current.shift(1 - int(value))), str(current)]
    return await _build(update, context, state)


def _month_choice(state: dict, value: str) -> bool:
    return bool(state.get("area")) and value.isdecimal() and int(value) in MONTH_CHOICES


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop(STATE_KEY, None)
    await update.effective_message.reply_html(context.t("export.cancelled"))
    return END


def _end(context: BotContext) -> int:
    context.user_data.pop(STATE_KEY, None)
    return END


# -- the area -----------------------------------------------------------------------------------
async def _offer_area(update: Update, context: BotContext, state: dict, villages: list[Village],
                      code: str | None) -> str | int:
    """Buttons for ``code`` (None: everything in scope): all of it, or one of its parts. Levels
    with a single part are passed through; a single village is chosen without asking."""
    inside = [v for v in villages if code is None or within(code, v.code)]
    if not inside:
        await context.say(update.effective_chat.id, context.t("export.not_allowed"))
        return _end(context)
    depth = 0 if code is None else code.count(".") + 1
    parts = sorted({_prefix(v.code, depth + 1) for v in inside})
    while len(parts) == 1 and depth + 1 < DEPTH_VILLAGE:  # one part: no need to ask
        code, depth = parts[0], depth + 1
        parts = sorted({_prefix(v.code, depth + 1) for v in inside})
    if len(parts) == 1:  # one village
        state["area"] = parts[0]
        if state.get("periods"):
            return await _build(update, context, state)
        return await _offer_months(update, context, state, villages)
    nonce = state["nonce"]
    everything = ALL if code is None else code
    label = context.t("export.all_mine") if everything == ALL else context.t(
        "export.all_of", area=_area_name(context, inside, everything))
    rows = [[InlineKeyboardButton(label[:60], callback_data=f"x:{nonce}:a:{everything}")]]
    buttons = []
    for part in parts[:MAX_BUTTONS]:
        action = "a" if depth + 1 == DEPTH_VILLAGE else "d"
        buttons.append(InlineKeyboardButton(_area_name(context, inside, part)[:60],
                                            callback_data=f"x:{nonce}:{action}:{part}"))
    rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    _save(context, state, CHOOSING_AREA)
    await context.say(update.effective_chat.id, context.t("export.choose_area"), InlineKeyboardMarkup(rows))
    return CHOOSING_AREA


def _prefix(code: str, depth: int) -> str:
    return ".".join(code.split(".")[:depth])


def _inside(villages: list[Village], code: str) -> list[Village]:
    return [v for v in villages if within(code, v.code)]


def _area_name(context: BotContext, villages: list[Village], code: str) -> str:
    """A readable name of an area code (its villages carry the names of their areas)."""
    if code == ALL:
        return context.t("export.everywhere")
    village = next(v for v in villages if within(code, v.code))
    depth = code.count(".") + 1
    if depth == 1:
        return context.t("export.province", name=village.province_name)
    if depth == 2:
        return village.regency_name
    if depth == 3:
        return context.t("export.district", name=village.district_name)
    return context.t("export.village", name=village.name)


# -- the months ---------------------------------------------------------------------------------
async def _offer_months(update: Update, context: BotContext, state: dict, villages: list[Village]) -> str:
    nonce = state["nonce"]
    current = await _this_month(context, villages)
    rows = [[InlineKeyboardButton(context.t(MONTH_KEYS[count]), callback_data=f"x:{nonce}:m:{count}")]
            for count in MONTH_CHOICES]
    area = _area_name(context, villages, state["area"])
    text = (context.t("export.choose_months", area=area) + "\n\n"
            + context.t("export.typed_hint", first=str(current.shift(-5)), last=str(current)))
    _save(context, state, CHOOSING_MONTHS)
    await context.say(update.effective_chat.id, text, InlineKeyboardMarkup(rows))
    return CHOOSING_MONTHS


async def _this_month(context: BotContext, villages: list[Village]) -> Period:
    account = context.account
    home = next((v for v in villages if account and v.code == account.home_village), None)
    zone = ZoneInfo(home.timezone) if home else context.services.default_zone
    return Period.of(context.services.clock.now().astimezone(zone).date())


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


def _bad_months(context: BotContext) -> str:
    current = Period.of(context.services.clock.now().astimezone(context.services.default_zone).date())
    return context.t("export.bad_months", max=MAX_MONTHS, first=str(current.shift(-5)), last=str(current))


def _save(context: BotContext, state: dict, step: str) -> None:
    context.user_data[STATE_KEY] = {**state, "step": step}


# -- building and sending -----------------------------------------------------------------------
async def _build(update: Update, context: BotContext, state: dict) -> int:
    """Say it is being made, and make and send it in the background: the bot stays responsive."""
    context.user_data.pop(STATE_KEY, None)
    villages = await exportable_villages(context.services.storage, context.account)
    area = state["area"]
    codes = [v.code for v in villages] if area == ALL else [v.code for v in _inside(villages, area)]
    if not codes:
        label = ""
    elif area == ALL:
        label = await scope_label(context.services, codes, context.language)
    else:
        label = _area_name(context, villages, area)
    first, last = state["periods"]
    periods = [str(p) for p in period_range(Period.parse(first), Period.parse(last))]
    chat_id = update.effective_chat.id
    await context.say(chat_id, context.t("export.building", area=label, first=_month(context, first),
                                         last=_month(context, last)))
    context.application.create_task(
        _deliver(context, context.account, context.language, chat_id, codes, periods, label, area), update=update,
        name=f"export:{chat_id}")
    return END


async def _deliver(context: BotContext, account: User, language: str, chat_id: int, codes: list[str],
                   periods: list[str], label: str, area: str) -> None:
    bot, services = context.bot, context.services
    months = {"area": label, "first": Period.parse(periods[0]).label(language),
              "last": Period.parse(periods[-1]).label(language)}

    async def say(key: str, **params) -> None:
        await bot.send_message(chat_id, t(language, key, **params), parse_mode=ParseMode.HTML)

    with tempfile.TemporaryDirectory(prefix="lapordesa-send-") as folder:
        name = f"lapordesa_{_slug(label or area)}_{periods[0]}_{periods[-1]}.xlsx"
        try:
            result = await export_workbook(services, account, periods, codes, Path(folder) / name, scope=label)
        except EmptySelection:
            await say("export.empty", **months)
            return
        except ExportTooLarge:
            await say("export.too_large")
            return
        except OutOfScope:
            await say("export.not_allowed")
            return
        except Exception:
            log.exception("export failed")
            await say("export.failed")
            return
        notes = []
        if result.split:
            notes.append(t(language, "export.split", count=len(result.files)))
        if result.zipped:
            notes.append(t(language, "export.zipped"))
        caption = "\n\n".join([t(language, "export.caption", **months), *notes])
        for index, file in enumerate(result.files):
            with file.open("rb") as content:
                await bot.send_document(chat_id, content, filename=file.name, parse_mode=ParseMode.HTML,
                                        caption=caption if index == 0 else None, write_timeout=300)


def _month(context: BotContext, period: str) -> str:
    return Period.parse(period).label(context.language)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "rekap"
