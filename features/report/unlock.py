"""Coordinator commands outside conversations: /buka reopens a locked report."""

from __future__ import annotations

from telegram import Update

from domain.periods import Period
from handlers.context import BotContext
from storage.areas import PosyanduNotFound

UNLOCK_DAYS = 7


async def unlock_command(update: Update, context: BotContext) -> None:
    """/buka POSYANDU_ID YYYY-MM [FORM_ID] — reopen for 7 days (all report forms when none given)."""
    args, message = context.args or [], update.effective_message
    services = context.services
    try:
        posyandu = await services.storage.areas.posyandu(int(args[0]))
        period = Period.parse(args[1])
    except (IndexError, ValueError, PosyanduNotFound):
        await message.reply_html(context.t("unlock.usage"))
        return
    if not context.account.covers_posyandu(posyandu):
        await message.reply_html(context.t("unlock.not_in_scope"))
        return
    forms = [f for f in services.forms.values() if f.kind == "report" and (len(args) < 3 or f.id == args[2])]
    if not forms:
        await message.reply_html(context.t("unlock.usage"))
        return
    for form in forms:
        until = await services.storage.reports.unlock(
            form.id, posyandu.id, str(period), context.account, days=UNLOCK_DAYS
        )
    local = until.astimezone(services.default_zone)
    await message.reply_html(
        context.t(
            "unlock.done",
            posyandu=posyandu.name,
            period=period.label(context.language),
            until=local.strftime("%d/%m/%Y %H.%M"),
            count=len(forms),
        )
    )
