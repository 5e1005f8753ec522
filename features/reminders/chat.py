"""/pengingat: a person's own open deadlines (reporters), the village's missing reports
(perangkat desa), completeness and "/pengingat kirim" to start a reminder round now
(coordinators, admins). The reminder's "fill it in now" button is the report feature's."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode

from domain.clock import local_now
from domain.models import Village
from domain.roles import REPORTERS, Role
from domain.texts import Html, t
from features.reminders import messages, planner
from features.reminders.jobs import UNKNOWN_WAIT, RoundResult, run_round
from handlers.context import BotContext

log = logging.getLogger(__name__)
SEND_WORDS = ("kirim", "send")


# -- /pengingat ---------------------------------------------------------------------------------
async def reminders_command(update: Update, context: BotContext) -> None:
    args = [a.lower() for a in context.args or []]
    message = update.effective_message
    if args and args[0] in SEND_WORDS:
        await send_round(update, context)
    elif args:
        await message.reply_html(context.t("reminder.usage"))
    elif context.account.role in REPORTERS:
        text, markup = await own_deadlines(context)
        await message.reply_html(text, reply_markup=markup)
    elif context.account.role is Role.PERANGKAT_DESA:
        await message.reply_html(await village_status(context))
    else:
        await message.reply_html(await coordinator_status(context))


async def _villages(context: BotContext) -> list[Village]:
    account = context.account
    if account.is_admin:
        return await context.services.storage.areas.villages()
    return await context.services.storage.areas.villages([s.area_code for s in account.scope])


async def _submitted(context: BotContext, villages: list[Village]):
    now = context.services.clock.now()
    periods = {str(p) for v in villages for p in planner.candidate_periods(local_now(now, v.timezone).date())}
    return await context.services.storage.reminders.submissions(periods)


async def own_deadlines(context: BotContext):
    services, account = context.services, context.account
    villages = await _villages(context)
    posyandu = [p for v in villages for p in await services.storage.areas.posyandu_in(v.code)]
    items = planner.deadlines(
        services.clock.now(),
        account,
        villages,
        list(services.forms.values()),
        posyandu,
        await _submitted(context, villages),
    )
    return messages.render_deadlines(context.language, items, list(services.forms))


async def village_status(context: BotContext) -> Html:
    services = context.services
    villages = await _villages(context)
    if not villages:
        return context.t("reminder.no_village")
    submitted = await _submitted(context, villages)
    forms = planner.report_forms(services.forms.values())
    people = await services.storage.reminders.people()
    parts = []
    for village in villages[:5]:
        period = planner.season_period(local_now(services.clock.now(), village.timezone).date())
        places = await services.storage.areas.posyandu_in(village.code)
        due = min((f.schedule.due(period) for f in forms), default=period.next().day(1))
        missing = planner.missing_reports(forms, places, period, submitted, people)
        parts.append(messages.render_village_status(context.language, village, period, due, missing))
    return Html("\n\n".join(parts))


async def coordinator_status(context: BotContext) -> Html:
    services = context.services
    villages = await _villages(context)
    if not villages:
        return Html(context.t("reminder.no_village") + "\n\n" + context.t("reminder.send_hint"))
    submitted = await _submitted(context, villages)
    forms = planner.report_forms(services.forms.values())
    places = [p for p in await services.storage.reminders.posyandu() if p.village_code in {v.code for v in villages}]
    now = services.clock.now()
    rows = [
        planner.completeness(
            v,
            [p for p in places if p.village_code == v.code],
            forms,
            submitted,
            planner.season_period(local_now(now, v.timezone).date()),
        )
        for v in villages
    ]
    unreachable = planner.unreachable_in(villages, await services.storage.reminders.people())
    text = messages.completeness_text(context.language, rows, unreachable, context.t("reminder.status_header"))
    return Html(text + "\n\n" + context.t("reminder.send_hint"))


async def send_round(update: Update, context: BotContext) -> None:
    """/pengingat kirim: a reminder round now for the villages in scope; the result comes when done."""
    account = context.account
    if account.role not in (Role.KOORDINATOR, Role.ADMIN):
        await update.effective_message.reply_html(context.t("reminder.send_not_allowed"))
        return
    areas = None if account.is_admin else [s.area_code for s in account.scope]
    services, bot, chat_id, lang = context.services, context.bot, update.effective_chat.id, context.language

    async def go() -> None:
        result = await run_round(services, bot, villages=areas, manual=True)
        await bot.send_message(chat_id, round_text(lang, result), parse_mode=ParseMode.HTML)

    # In the background: a long round must not hold up everybody else's updates.
    context.application.create_task(go(), update=update)


def round_text(lang: str, result: RoundResult) -> Html:
    """What a round did, as the coordinator is told: sent, postponed, failed and uncertain."""
    text = t(
        lang,
        "reminder_round.done",
        sent=result.sent,
        skipped=result.skipped,
        failed=result.failed,
        unknown=result.unknown,
    )
    if result.retry:
        text = Html(text + "\n" + t(lang, "reminder.round_retry", count=result.retry))
    if result.unknown:
        minutes = int(UNKNOWN_WAIT.total_seconds() // 60)
        text = Html(text + "\n" + t(lang, "reminder_round.unknown", count=result.unknown, minutes=minutes))
    if result.quiet:
        start, end = (f"{moment:%H.%M}" if lang == "id" else f"{moment:%H:%M}" for moment in result.quiet)
        text = Html(text + "\n" + t(lang, "reminder.round_quiet", start=start, end=end))
    return text


# -- reachable again ----------------------------------------------------------------------------
async def back_in_touch(update: Update, context: BotContext) -> None:
    """Someone marked unreachable (they had blocked the bot) wrote again: reachable again."""
    account = context.account
    if account is not None and not account.reachable:
        await context.services.storage.users.set_reachable(account.telegram_id, True)
