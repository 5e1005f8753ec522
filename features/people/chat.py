"""Admin chat commands: /undang (invitations) and /audit (recent audit entries)."""

from __future__ import annotations

from telegram import Update

from domain.problems import AdminProblem
from domain.roles import Role
from domain.texts import Html
from features.people.service import deep_link, invitation_scope
from handlers.context import BotContext


async def invite_command(update: Update, context: BotContext) -> None:
    """/undang ROLE AREA [POSYANDU_ID] [JUMLAH]"""
    args = context.args or []
    message = update.effective_message
    try:
        role, scope_args = Role(args[0].lower()), args[1:]
    except (IndexError, ValueError):
        await message.reply_html(context.t("invite.usage"))
        return
    area = scope_args[0] if scope_args else None
    numbers = [int(a) for a in scope_args[1:] if a.isdecimal()]
    posyandu = numbers[:1] if role is Role.KADER else []
    count = min((numbers[1:] if role is Role.KADER else numbers)[:1] or [1], [20])[0]
    storage = context.services.storage
    try:
        scope = await invitation_scope(
            storage,
            role,
            [area] if area and area.count(".") == 3 else [],
            area if area and area.count(".") < 3 else None,
            posyandu,
        )
    except AdminProblem as problem:
        await message.reply_html(
            context.t("invite.problem", problem=problem.text(context.language)) + "\n" + context.t("invite.usage")
        )
        return
    codes = await storage.users.create_invitations(role, scope, count=count, created_by=update.effective_user.id)
    lines = [f"<code>{code}</code>  {deep_link(context.bot.username, code)}" for code in codes]
    await message.reply_html(
        context.t("invite.created", role=context.t(f"role.{role.value}"), count=len(codes))
        + "\n"
        + Html("\n".join(lines))
    )


async def audit_command(update: Update, context: BotContext) -> None:
    entries = await context.services.storage.audit.recent(limit=20)
    zone = context.services.default_zone
    lines = [
        context.t(
            "audit.line",
            at=e.at.astimezone(zone).strftime("%d/%m %H.%M"),
            action=e.action,
            actor=e.actor_id or "cli",
            role=e.actor_role or "",
            subject=e.subject,
        )
        for e in entries
    ]
    await update.effective_message.reply_html(context.t("audit.title") + "\n" + "\n".join(lines or ["—"]))
