"""/rumahtangga: add a household, or find one (KK number, the head's name, RT/RW list), look at
it, change only the fields that need changing (the engine's review), save a new version; mark it
moved or dissolved. The menus run in session mode "choose" with ``h:`` buttons; the form itself
is the engine's, with answers in the (encrypted) household drafts."""
from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from conversations import engine
from conversations.engine import END, Run
from domain import formflow
from domain.answers import display
from domain.households import (
    KK_QUESTION,
    LOCATION_KEY,
    NIK_QUESTION,
    PAGE_SIZE,
    SEX_QUESTION,
    Status,
    identity_visible,
    last4,
    may_edit,
    may_open,
    nik_is_female,
    outside_regency,
    sensitive_ids,
)
from domain.identity import IdentityError, parse_kk
from domain.roles import Role
from domain.texts import Html, escape, t
from features.report.chat import CHOOSING
from handlers.context import BotContext
from storage.households import AlreadySaved, DuplicateKK, Household
from storage.reports import Session

KIND = "household"
_STATUS_ACTIONS = {"m": Status.MOVED, "d": Status.DISSOLVED, "a": Status.ACTIVE}


# -- entry --------------------------------------------------------------------------------------
async def start_households(update: Update, context: BotContext) -> str | int:
    from features.report.chat import other_command
    reports, user_id = context.services.storage.reports, update.effective_user.id
    session = await reports.session(user_id)
    if session is not None and session.kind != KIND:
        return await other_command(update, context)  # a monthly report is open: finish or cancel it first
    if not context.services.storage.households.enabled or context.services.household_form() is None:
        await update.effective_message.reply_html(context.t("household.not_configured"))
        return END
    village = await _village_for(context)
    if village is None:
        await update.effective_message.reply_html(context.t("household.which_village"))
        return END
    session = Session(telegram_id=user_id, kind=KIND, draft_id=None, cursor=None, mode="choose", wrong_tries=0,
                      pending={"step": "menu", "village": village}, nonce=(session.nonce + 1) if session else 1)
    return await _menu(update, context, session)


async def _village_for(context: BotContext) -> str | None:
    """Cadres and midwives: their village. Admins and coordinators: the code typed after the
    command, or the only village of their scope."""
    account, areas = context.account, context.services.storage.areas
    if account.role in (Role.KADER, Role.BIDAN):
        return account.home_village
    typed = (context.args or [None])[0]
    if typed:
        return typed if await areas.village(typed) and may_open(account, typed) else None
    villages = [v for v in await areas.villages() if may_open(account, v.code)]
    return villages[0].code if len(villages) == 1 else None


def _button(session: Session, label: str, action: str, arg: str | int = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=f"h:{session.nonce}:{action}:{arg}")


async def _show(update, context: BotContext, session: Session, text: str, rows: list[list]) -> str:
    session = replace(session, nonce=session.nonce + 1, mode="choose")
    rows = [[_button(session, *spec) for spec in row] for row in rows]
    await context.services.storage.reports.save_session(session)
    await context.say(update.effective_chat.id, text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    return CHOOSING


async def _menu(update, context: BotContext, session: Session, prefix: str = "") -> str:
    village = session.pending["village"]
    account, lang = context.account, context.language
    rows = []
    if may_edit(account, village):
        if await context.services.storage.households.draft_of(account.telegram_id):
            rows.append([(t(lang, "household.continue"), "cont")])
        rows.append([(t(lang, "household.add"), "new")])
    rows.append([(t(lang, "household.find_kk"), "kk")])
    if identity_visible(account, village):
        rows.append([(t(lang, "household.find_name"), "nm")])
    rows.append([(t(lang, "household.find_area"), "ar")])
    place = await context.services.storage.areas.village(village)
    text = prefix + context.t("household.menu", village=place.name if place else village)
    return await _show(update, context, replace(session, pending={"step": "menu", "village": village}), text, rows)


# -- the menus' updates -------------------------------------------------------------------------
async def on_menu(update: Update, context: BotContext, session: Session) -> str | int:
    """Buttons and typed text while the person is in a household menu (engine.MENUS)."""
    village = session.pending.get("village")
    if village is None or not may_open(context.account, village):
        await context.services.storage.reports.end_session(session.telegram_id)
        return END
    if update.callback_query:
        return await _on_button(update, context, session)
    text = (update.effective_message.text or "").strip() if update.effective_message else ""
    step = session.pending.get("step")
    if text and not text.startswith("/") and step in _TYPED:
        return await _TYPED[step](update, context, session, text)
    await update.effective_message.reply_html(context.t("household.use_buttons"))
    return CHOOSING


async def _on_button(update: Update, context: BotContext, session: Session) -> str | int:
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 4 or parts[0] != "h" or parts[1] != str(session.nonce):
        await context.answer_button(query, context.t("button.stale"))
        return CHOOSING
    await context.answer_button(query)
    if query.message is not None and query.message.reply_markup is not None:
        await query.edit_message_reply_markup(None)
    action, arg = parts[2], parts[3]
    handler = _ACTIONS.get(action)
    if handler is None:
        return await _menu(update, context, session)
    return await handler(update, context, session, arg)


async def _ask_typed(update, context, session: Session, step: str) -> str:
    session = replace(session, pending={"step": step, "village": session.pending["village"]})
    return await _show(update, context, session, context.t(f"household.ask_{step}"),
                       [[(t(context.language, "household.to_menu"), "menu")]])


async def _typed_kk(update, context: BotContext, session: Session, text: str) -> str:
    try:
        kk = parse_kk(text)
    except IdentityError as problem:
        await update.effective_message.reply_html(context.t(f"error.kk_{problem.reason}"))
        return CHOOSING
    household = await context.services.storage.households.find_by_kk(session.pending["village"], kk)
    if household is None:
        return await _menu(update, context, session, context.t("household.not_found") + "\n\n")
    return await _card(update, context, session, household)


async def _typed_name(update, context: BotContext, session: Session, text: str) -> str:
    village = session.pending["village"]
    if not identity_visible(context.account, village):
        return await _menu(update, context, session)
    found = await context.services.storage.households.find_by_name(village, text)
    if not found:
        return await _menu(update, context, session, context.t("household.not_found") + "\n\n")
    return await _list(update, context, session, found, context.t("household.found", count=len(found)), [])


_AREA = re.compile(r"^(?:(\d{1,3})\s*[/ .-]\s*)?(\d{1,3})$")


async def _typed_area(update, context: BotContext, session: Session, text: str) -> str:
    """"4/13" = RT 4 of RW 13, "13" = all of RW 13, "*" = the whole village."""
    match = _AREA.match(text)
    if text.lower() in ("*", "semua", "all"):
        rt = rw = None
    elif match:
        rt, rw = (f"{int(match[1]):03d}" if match[1] else None), f"{int(match[2]):03d}"
    else:
        await update.effective_message.reply_html(context.t("household.bad_area"))
        return CHOOSING
    session = replace(session, pending={**session.pending, "rt": rt, "rw": rw})
    return await _page(update, context, session, "0")


_TYPED = {"kk": _typed_kk, "name": _typed_name, "area": _typed_area}


async def _page(update, context: BotContext, session: Session, arg: str) -> str:
    offset = int(arg) if arg.isdecimal() else 0
    pending = session.pending
    found, total = await context.services.storage.households.in_area(
        pending["village"], pending.get("rw"), pending.get("rt"), offset)
    if not total:
        return await _menu(update, context, session, context.t("household.not_found") + "\n\n")
    paging = []
    if offset > 0:
        paging.append((t(context.language, "household.previous"), "pg", max(0, offset - PAGE_SIZE)))
    if offset + PAGE_SIZE < total:
        paging.append((t(context.language, "household.next"), "pg", offset + PAGE_SIZE))
    header = context.t("household.page", first=offset + 1, last=offset + len(found), total=total)
    return await _list(update, context, session, found, header, paging)


async def _list(update, context: BotContext, session: Session, found: list[Household], header: str,
                paging: list) -> str:
    village = session.pending["village"]
    visible = identity_visible(context.account, village)
    rows = [[(_label(context, h, visible), "o", h.id)] for h in found]
    if paging:
        rows.append(paging)
    rows.append([(t(context.language, "household.to_menu"), "menu")])
    return await _show(update, context, replace(session, pending={**session.pending, "step": "list"}), header, rows)


def _label(context: BotContext, household: Household, visible: bool) -> str:
    who = household.head if visible else f"{household.pseudonym} KK {last4(household.kk)}"
    status = "" if household.status is Status.ACTIVE else f" ({t(context.language, f'household.status_{household.status}')})"
    return f"{who} · RT {household.rt}/RW {household.rw}{status}"


# -- one household ------------------------------------------------------------------------------
async def _open(update, context: BotContext, session: Session, arg: str) -> str:
    household = await context.services.storage.households.get(int(arg)) if arg.isdecimal() else None
    if household is None or household.village_code != session.pending["village"]:
        return await _menu(update, context, session)
    return await _card(update, context, session, household)


async def _card(update, context: BotContext, session: Session, household: Household, prefix: str = "") -> str:
    lang, account, village = context.language, context.account, household.village_code
    form = context.services.household_form()
    answers = household.answers
    if identity_visible(account, village):
        who = context.t("household.card_identity", name=household.head or "—", kk=household.kk or "—",
                        nik=answers.get(NIK_QUESTION) or "—")
    else:
        who = context.t("household.card_pseudonym", pseudonym=household.pseudonym, kk=last4(household.kk))
    counts = ", ".join(f"{form.question(q).label.get(lang).split('(')[0].rstrip(' ?')}: "
                       f"{display(form.question(q), answers.get(q), lang)}"
                       for q in ("jumlah_anggota", "jumlah_balita", "jumlah_ibu_hamil") if q in answers)
    versions = await context.services.storage.households.versions(household.id)
    zone = context.services.default_zone
    history = "\n".join(context.t("household.version_line", version=v["version"],
                                  at=_local(v["saved_at"], zone), role=t(lang, f"role.{v['saved_role']}"),
                                  changed=", ".join(v["changed"]) or "—") for v in versions[-3:])
    text = prefix + "\n".join([
        who, context.t("household.card_place", rt=household.rt, rw=household.rw,
                       dusun=answers.get("dusun") or "—"),
        escape(counts),
        context.t("household.card_status", status=t(lang, f"household.status_{household.status}"),
                  pseudonym=household.pseudonym,
                  location=t(lang, "household.location_yes" if household.location else "household.location_no")),
        Html(history)])
    rows = []
    if may_edit(account, village):
        if household.status is Status.ACTIVE:
            rows.append([(t(lang, "household.edit"), "ed", household.id)])
            rows.append([(t(lang, "household.mark_moved"), "st", f"{household.id}.m"),
                         (t(lang, "household.mark_dissolved"), "st", f"{household.id}.d")])
        else:
            rows.append([(t(lang, "household.mark_active"), "st", f"{household.id}.a")])
    rows.append([(t(lang, "household.to_menu"), "menu")])
    pending = {"step": "card", "village": village, "household": household.id}
    return await _show(update, context, replace(session, pending=pending), text, rows)


def _local(saved_at: str, zone) -> str:
    from domain.clock import from_iso
    return from_iso(saved_at).astimezone(zone).strftime("%d/%m/%Y %H.%M")


async def _ask_status(update, context: BotContext, session: Session, arg: str) -> str:
    household_id, _, action = arg.partition(".")
    if action not in _STATUS_ACTIONS or not household_id.isdecimal():
        return await _menu(update, context, session)
    status = _STATUS_ACTIONS[action]
    rows = [[(t(context.language, "household.status_confirm"), "sy", arg),
             (t(context.language, "household.status_cancel"), "o", household_id)]]
    return await _show(update, context, session, context.t("household.status_question",
                                                             status=t(context.language, f"household.status_{status}")),
                       rows)


async def _set_status(update, context: BotContext, session: Session, arg: str) -> str:
    household_id, _, action = arg.partition(".")
    households = context.services.storage.households
    household = await households.get(int(household_id)) if household_id.isdecimal() else None
    if household is None or action not in _STATUS_ACTIONS or not may_edit(context.account, household.village_code):
        return await _menu(update, context, session)
    try:
        await households.set_status(household.id, _STATUS_ACTIONS[action], context.account, update.update_id)
    except AlreadySaved:
        return CHOOSING
    household = await households.get(household.id)
    return await _card(update, context, session, household, context.t("household.status_saved") + "\n\n")


# -- into the form ------------------------------------------------------------------------------
async def _new(update, context: BotContext, session: Session, arg: str) -> str | int:
    return await _into_form(update, context, session, None)


async def _edit(update, context: BotContext, session: Session, arg: str) -> str | int:
    household = await context.services.storage.households.get(int(arg)) if arg.isdecimal() else None
    if household is None or household.village_code != session.pending["village"]:
        return await _menu(update, context, session)
    return await _into_form(update, context, session, household)


async def _into_form(update, context: BotContext, session: Session, household: Household | None) -> str | int:
    village = session.pending["village"]
    if not may_edit(context.account, village):
        return await _menu(update, context, session)
    draft = await context.services.storage.households.open_draft(context.account.telegram_id, village, household)
    prefix = context.t("household.editing" if household else "household.starting") + "\n\n"
    return await _to_engine(update, context, session, draft, prefix)


async def _continue(update, context: BotContext, session: Session, arg: str) -> str | int:
    draft = await context.services.storage.households.draft_of(context.account.telegram_id)
    if draft is None or not may_edit(context.account, draft.village_code):
        return await _menu(update, context, session)
    return await _to_engine(update, context, session, draft, context.t("report.continuing") + "\n\n")


async def _to_engine(update, context: BotContext, session: Session, draft, prefix: str) -> str:
    run = _run(context, replace(session, mode="ask", pending={}), draft)
    next_q = formflow.next_question(run.form, run.answers, run.context)
    run.session = replace(run.session, cursor=next_q.id if next_q else None)
    return await engine.ask(update, context, run, prefix)


async def _duplicate_open(update, context: BotContext, session: Session, arg: str) -> str:
    await context.services.storage.households.discard_draft(context.account.telegram_id)
    return await _open(update, context, session, arg)


async def _duplicate_change(update, context: BotContext, session: Session, arg: str) -> str | int:
    draft = await context.services.storage.households.draft_of(context.account.telegram_id)
    if draft is None:
        return await _menu(update, context, session)
    run = _run(context, replace(session, mode="ask", pending={}, cursor=KK_QUESTION), draft)
    return await engine.ask(update, context, run)


async def _to_menu(update, context, session: Session, arg: str) -> str:
    return await _menu(update, context, session)


_ACTIONS = {
    "menu": _to_menu, "new": _new, "cont": _continue, "ed": _edit, "o": _open, "pg": _page,
    "kk": lambda u, c, s, a: _ask_typed(u, c, s, "kk"), "nm": lambda u, c, s, a: _ask_typed(u, c, s, "name"),
    "ar": lambda u, c, s, a: _ask_typed(u, c, s, "area"), "st": _ask_status, "sy": _set_status,
    "dupo": _duplicate_open, "dupc": _duplicate_change,
}


# -- the engine's hooks for households ----------------------------------------------------------
def _run(context: BotContext, session: Session, draft) -> Run:
    form = context.services.household_form()
    session = replace(session, pending={**session.pending, "accepts": ["location"]})
    title = form.title.get(context.language)
    return Run(form=form, draft=draft, session=session, context=formflow.Context(), title=title,
               store=context.services.storage.households)


def _warning(rule_id: str, key: str):
    """A soft check that is not a form rule (it needs the village): confirmed like one."""
    return SimpleNamespace(id=rule_id, message=SimpleNamespace(get=lambda lang: t(lang, key)))


class HouseholdFinisher:
    async def load(self, context: BotContext, session: Session) -> Run | None:
        households = context.services.storage.households
        draft = await households.draft_of(session.telegram_id) if households.enabled else None
        if draft is None or context.services.household_form() is None:
            await context.services.storage.reports.end_session(session.telegram_id)
            return None
        return _run(context, session, draft)

    async def on_answer(self, update: Update, context: BotContext, run: Run, question, value) -> str | None:
        village, confirmed = run.draft.village_code, run.session.pending.get("confirmed", [])
        if question.id == KK_QUESTION:
            existing = await context.services.storage.households.find_by_kk(village, value)
            if existing is not None and existing.id != run.draft.household_id:
                return await _offer_duplicate(update, context, run, existing)
        warning = None
        if question.id in (KK_QUESTION, NIK_QUESTION) and outside_regency(value, village):
            warning = _warning(f"{question.id}_wilayah", f"household.warn_area_{question.id}")
        nik = run.answers.get(NIK_QUESTION)
        if question.id == SEX_QUESTION and nik and nik_is_female(nik) != (value == "p"):
            warning = _warning("nik_jenis_kelamin", "household.warn_sex")
        if warning is not None and warning.id not in confirmed:
            return await engine.ask_to_confirm(update, context, run, value, warning)
        return None

    async def submit(self, update: Update, context: BotContext, run: Run) -> int | str:
        draft, account = run.draft, context.account
        if not may_edit(account, draft.village_code):
            await context.services.storage.reports.end_session(account.telegram_id)
            return END
        answers, _ = formflow.prune(run.form, run.answers, run.context)
        location = run.answers.get(LOCATION_KEY)
        households = context.services.storage.households
        if draft.household_id is not None:
            current = await households.get(draft.household_id)
            if current is not None and current.answers == answers and current.location == location:
                await households.discard_draft(account.telegram_id)
                await context.services.storage.reports.end_session(account.telegram_id)
                await context.say(update.effective_chat.id, context.t("household.unchanged"))
                return END
        try:
            saved = await households.save(draft, account, answers, sensitive_ids(run.form), location,
                                          update_id=update.update_id)
        except AlreadySaved:
            return END
        except DuplicateKK as duplicate:
            return await _offer_duplicate(update, context, run, await households.get(duplicate.household_id))
        key = "household.saved_changes" if saved.version > 1 else "household.saved_new"
        await context.say(update.effective_chat.id, context.t(key, pseudonym=saved.pseudonym, version=saved.version,
                                                              count=len(saved.changed)))
        return END


async def _offer_duplicate(update, context: BotContext, run: Run, existing: Household) -> str:
    session = replace(run.session, mode="choose", cursor=None,
                      pending={"step": "dup", "village": run.draft.village_code})
    visible = identity_visible(context.account, existing.village_code)
    text = context.t("household.duplicate", household=_label(context, existing, visible))
    rows = [[(t(context.language, "household.duplicate_open"), "dupo", existing.id)],
            [(t(context.language, "household.duplicate_change"), "dupc")]]
    return await _show(update, context, session, text, rows)


engine.FINISHERS[KIND] = HouseholdFinisher()
engine.MENUS[KIND] = on_menu
