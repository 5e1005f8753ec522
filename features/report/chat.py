"""/lapor: choose the form, period and posyandu, then the engine asks the questions; submit
makes the period's report or a new revision of it, and the person gets a short receipt."""
from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from conversations import engine
from conversations.engine import ANSWERING, END, Run
from domain import formflow
from domain.answers import display, format_number, format_percent
from domain.forms import FormSpec
from domain.models import Posyandu
from domain.periods import Period
from domain.texts import Html
from handlers.context import BotContext
from storage.reports import AlreadySubmitted, Session, SubmittedBy

CHOOSING = "choosing"


# -- choosing what to report --------------------------------------------------------------------
async def start_report(update: Update, context: BotContext) -> str | int:
    """/lapor: continue a draft, or pick form -> period -> posyandu (each skipped when only one)."""
    reports = context.services.storage.reports
    drafts = [d for d in await reports.drafts_of(update.effective_user.id) if d.form_id in context.services.forms]
    session = Session(telegram_id=update.effective_user.id, kind="report", draft_id=None, cursor=None,
                      mode="choose", wrong_tries=0, pending={}, nonce=_nonce(await reports.session(update.effective_user.id)))
    if drafts:
        await reports.save_session(session)
        buttons = [[_choice(session, "d", d.id, await _draft_label(context, d))] for d in drafts[:8]]
        buttons.append([_choice(session, "n", 0, context.t("report.new"))])
        await update.effective_message.reply_html(context.t("report.drafts"), reply_markup=InlineKeyboardMarkup(buttons))
        return CHOOSING
    return await _advance(update, context, session)


def _nonce(session: Session | None) -> int:
    return (session.nonce + 1) if session else 1


async def _draft_label(context: BotContext, draft) -> str:
    form = context.services.forms[draft.form_id]
    posyandu = await context.services.storage.areas.posyandu(draft.posyandu_id)
    return f"{form.title.get(context.language)} · {posyandu.name} · {Period.parse(draft.period).label(context.language)}"


def _choice(session: Session, what: str, value, label: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=f"l:{session.nonce}:{what}:{value}")


async def chosen(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    reports = context.services.storage.reports
    session = await reports.session(update.effective_user.id)
    parts = (query.data or "").split(":")
    if (session is None or session.mode != "choose" or len(parts) != 4 or parts[0] != "l"
            or parts[1] != str(session.nonce)):
        await context.answer_button(query, context.t("button.stale"))
        return CHOOSING if session and session.mode == "choose" else await resume(update, context)
    await context.answer_button(query)
    if query.message is not None and query.message.reply_markup is not None:
        await query.edit_message_reply_markup(None)
    what, value = parts[2], parts[3]
    if what == "d":
        return await _resume_draft(update, context, session, int(value) if value.isdecimal() else 0)
    pending = dict(session.pending)
    if what in ("f", "p", "y"):
        pending[what] = value
    return await _advance(update, context, replace(session, pending=pending, nonce=session.nonce + 1))


async def _advance(update: Update, context: BotContext, session: Session) -> str | int:
    services, account = context.services, context.account
    forms = services.report_forms(account.role)
    posyandu = await _posyandu_of(context)
    if not forms or not posyandu:
        await update.effective_message.reply_html(context.t("report.nothing_to_report"))
        return await _stop_choosing(context, session)
    form = _pick(session, "f", {f.id: f for f in forms})
    if form is None:
        return await _offer(update, context, session, "report.choose_form",
                            [(f.id, f.title.get(context.language)) for f in forms], "f")
    place = _pick(session, "y", {str(p.id): p for p in posyandu})
    if place is None:
        return await _offer(update, context, session, "report.choose_posyandu",
                            [(str(p.id), p.name) for p in posyandu], "y")
    periods = await _open_periods(context, form, place)
    if not periods:
        await update.effective_message.reply_html(context.t("report.no_open_period"))
        return await _stop_choosing(context, session)
    period = _pick(session, "p", {str(p): p for p in periods})
    if period is None:
        options = [(str(p), await _period_label(context, form, place, p)) for p in periods]
        return await _offer(update, context, session, "report.choose_period", options, "p")
    return await _open(update, context, session, form, place, period)


def _pick(session: Session, key: str, options: dict):
    """The chosen option, or the only one there is; None when the person must choose."""
    if key in session.pending:
        return options.get(session.pending[key])
    return next(iter(options.values())) if len(options) == 1 else None


async def _offer(update, context: BotContext, session: Session, prompt: str, options, key: str) -> str:
    await context.services.storage.reports.save_session(session)
    buttons = [[_choice(session, key, value, label)] for value, label in options]
    await context.say(update.effective_chat.id, context.t(prompt), reply_markup=InlineKeyboardMarkup(buttons))
    return CHOOSING


async def _stop_choosing(context: BotContext, session: Session) -> int:
    await context.services.storage.reports.end_session(session.telegram_id)
    return END


async def _posyandu_of(context: BotContext) -> list[Posyandu]:
    areas, account = context.services.storage.areas, context.account
    village = account.home_village
    if village is None:
        return []
    return [p for p in await areas.posyandu_in(village) if account.covers_posyandu(p)]


async def _open_periods(context: BotContext, form: FormSpec, place: Posyandu) -> list[Period]:
    today = await _local_today(context, place.village_code)
    periods = set(form.schedule.reportable(today))
    unlocked = await context.services.storage.reports.unlocked_periods(form.id, place.id)
    periods.update(Period.parse(p) for p in unlocked)
    return sorted(periods)


async def _local_today(context: BotContext, village_code: str):
    village = await context.services.storage.areas.village(village_code)
    zone = ZoneInfo(village.timezone) if village else context.services.default_zone
    return context.services.clock.now().astimezone(zone).date()


async def _period_label(context: BotContext, form: FormSpec, place: Posyandu, period: Period) -> str:
    info = await context.services.storage.reports.info(form.id, place.id, str(period))
    state = context.t("report.state_sent" if info else "report.state_open")
    return f"{period.label(context.language)} ({state})"


async def _open(update, context: BotContext, session: Session, form: FormSpec, place: Posyandu,
                period: Period) -> str:
    """Open (or continue) this person's draft; a submitted report becomes a prefilled revision."""
    reports = context.services.storage.reports
    latest = await reports.latest(form.id, place.id, str(period))
    draft = await reports.open_draft(form.id, place.id, str(period), update.effective_user.id, prefill=latest)
    session = replace(session, draft_id=draft.id, mode="ask", pending={})
    run = await _run(context, session, draft)
    next_q = formflow.next_question(form, draft.answers, run.context)
    run.session = replace(session, cursor=next_q.id if next_q else None)
    prefix = ""
    if latest is not None:
        info = await reports.info(form.id, place.id, str(period))
        prefix = context.t("report.revising", revision=info.revision) + "\n\n"
    elif draft.answers:
        prefix = context.t("report.continuing") + "\n\n"
    else:
        prefix = context.t("report.starting", title=run.title) + "\n\n"
    return await engine.ask(update, context, run, prefix)


async def _resume_draft(update, context: BotContext, session: Session, draft_id: int) -> str | int:
    reports = context.services.storage.reports
    draft = await reports.draft(draft_id)
    if draft is None or draft.telegram_id != update.effective_user.id or draft.form_id not in context.services.forms:
        return await _advance(update, context, replace(session, nonce=session.nonce + 1))
    form = context.services.forms[draft.form_id]
    place = await context.services.storage.areas.posyandu(draft.posyandu_id)
    return await _open(update, context, session, form, place, Period.parse(draft.period))


# -- the engine's hooks for reports -------------------------------------------------------------
async def _run(context: BotContext, session: Session, draft) -> Run:
    form = context.services.forms[draft.form_id]
    title, frame = await _frame(context, form, draft.posyandu_id, draft.period)
    return Run(form=form, draft=draft, session=session, context=frame, title=title)


async def _frame(context: BotContext, form: FormSpec, posyandu_id: int, period_text: str
                 ) -> tuple[str, formflow.Context]:
    """The title a report is shown under, and what its rules see (last month's values)."""
    period = Period.parse(period_text)
    place, previous = await context.services.storage.reports.posyandu_with_latest(form.id, posyandu_id,
                                                                                  str(period.prev()))
    title = f"{form.title.get(context.language)} · {place.name} · {period.label(context.language)}"
    return title, formflow.Context(prev=previous or {}, month=period.month)


class ReportFinisher:
    async def load(self, context: BotContext, session: Session) -> Run | None:
        draft = await context.services.storage.reports.draft(session.draft_id) if session.draft_id else None
        if draft is None or draft.form_id not in context.services.forms:
            await context.services.storage.reports.end_session(session.telegram_id)
            return None
        return await _run(context, session, draft)

    async def submit(self, update: Update, context: BotContext, run: Run) -> int | str:
        services, draft = context.services, run.draft
        place = await services.storage.areas.posyandu(draft.posyandu_id)
        period = Period.parse(draft.period)
        today = await _local_today(context, place.village_code)
        if not run.form.schedule.is_open(period, today) and not await services.storage.reports.unlocked(
                run.form.id, place.id, draft.period):
            await context.say(update.effective_chat.id, context.t("report.locked"))
            return ANSWERING
        answers, _ = formflow.prune(run.form, run.answers, run.context)
        try:
            result = await services.storage.reports.submit(draft, context.account, place.village_code, answers,
                                                            update_id=update.update_id)
        except AlreadySubmitted:
            return END
        await context.say(update.effective_chat.id, receipt(context, run.form, run.title, run.context, answers,
                                                            result.revision))
        return END


async def send_receipt_again(update: Update, context: BotContext, submitted: SubmittedBy) -> None:
    """The update that made this revision came again: its receipt may never have arrived."""
    form = context.services.forms.get(submitted.form_id)
    if form is None:
        return
    title, frame = await _frame(context, form, submitted.posyandu_id, submitted.period)
    await context.say(update.effective_chat.id,
                      receipt(context, form, title, frame, submitted.answers, submitted.revision))


def receipt(context: BotContext, form: FormSpec, title: str, frame: formflow.Context, answers: dict,
            revision: int) -> Html:
    lang, previous = context.language, frame.prev
    lines = [context.t("report.sent", title=title, revision=revision)]
    for question in (q for q in form.questions if q.key and q.id in answers):
        value, before = answers[question.id], previous.get(question.id)
        change = _change(value, before, lang) if isinstance(value, int | float) and before is not None else ""
        lines.append(f"• {question.label.get(lang)}: <b>{display(question, value, lang)}</b>{change}")
    now = formflow.derived_values(form, answers, frame)
    before = formflow.derived_values(form, previous, frame) if previous else {}
    for derived in formflow.key_derived(form):
        if now.get(derived.id) is None:
            continue
        change = ""
        if before.get(derived.id) is not None:
            points = (now[derived.id] - before[derived.id]) * 100
            change = " " + context.t("report.change_points", points=f"{points:+.1f}".replace(".", "," if lang != "en" else "."))
        lines.append(f"• {derived.label.get(lang)}: <b>{format_percent(now[derived.id], lang)}</b>{change}")
    return Html("\n".join(lines))


def _change(value: float, before: float, lang: str) -> str:
    difference = value - before
    if difference == 0:
        return " (=)"
    sign = "+" if difference > 0 else "−"
    return f" ({sign}{format_number(abs(difference)) if lang != 'en' else f'{abs(difference):g}'})"


engine.FINISHERS["report"] = ReportFinisher()


# -- routing inside the conversation ------------------------------------------------------------
async def resume(update: Update, context: BotContext) -> str | int:
    """Any update while (or as if) in a form: continue from the database, wherever PTB thinks we are."""
    from handlers.common import fallback_message, stale_button
    user_id = update.effective_user.id
    session = await context.services.storage.reports.session(user_id)
    if session is not None and session.mode == "choose" and session.kind in engine.MENUS:
        return await engine.MENUS[session.kind](update, context, session)
    if session is not None and session.mode == "choose":
        if update.callback_query:
            return await chosen(update, context)
        await update.effective_message.reply_html(context.t("report.use_buttons"))
        return CHOOSING
    run = await engine.run_of(context, session)
    if run is None:
        if update.callback_query:
            await stale_button(update, context)
        else:
            await fallback_message(update, context)
        return END
    if update.callback_query:
        return await engine.on_button(update, context, run)
    message = update.effective_message
    if update.edited_message:
        return await engine.wrong(update, context, run, context.t("form.edited"))
    if message.text and not message.text.startswith("/"):
        return await engine.on_text(update, context, run)
    if message.location and "location" in run.session.pending.get("accepts", []):
        return await engine.on_location(update, context, run)
    return await engine.wrong(update, context, run, context.t("form.text_expected"))


async def with_run(update: Update, context: BotContext, action) -> str | int:
    run = await engine.current_run(context, update.effective_user.id)
    if run is None:
        return await resume(update, context)
    return await action(update, context, run)


async def back_command(update: Update, context: BotContext) -> str | int:
    return await with_run(update, context, engine.go_back)


async def skip_command(update: Update, context: BotContext) -> str | int:
    return await with_run(update, context, engine.skip)


async def cancel_command(update: Update, context: BotContext) -> int:
    session = await context.services.storage.reports.session(update.effective_user.id)
    await context.services.storage.reports.end_session(update.effective_user.id)
    household = session is not None and session.kind == "household"
    await update.effective_message.reply_html(context.t("household.cancelled" if household else "form.cancelled"))
    return END


async def other_command(update: Update, context: BotContext) -> str | int:
    """A command of another conversation while a form is open: finish or cancel first."""
    from handlers.common import help_text
    session = await context.services.storage.reports.session(update.effective_user.id)
    if session is None:
        return await _as_if_no_form(update, context)
    if update.effective_message.text.split()[0][1:].split("@")[0] == "bantuan":
        await update.effective_message.reply_html(help_text(context))
    else:
        await update.effective_message.reply_html(context.t("form.busy"))
    if session.mode == "choose":
        return CHOOSING
    run = await engine.current_run(context, update.effective_user.id)
    return await engine.ask(update, context, run) if run else END


async def _as_if_no_form(update: Update, context: BotContext) -> int:
    """PTB's routing state still says a form is open, but the database says none is (it was sent,
    or the state is older than a crash): handle the command as the rest of the bot would."""
    from app.application import MAIN_GROUP
    for handler in context.application.handlers.get(MAIN_GROUP, []):
        if getattr(handler, "name", None) == "forms":
            continue
        check = handler.check_update(update)
        if check is not None and check is not False:
            await handler.handle_update(update, context.application, check, context)
            break
    return END
