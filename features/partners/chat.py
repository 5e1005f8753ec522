"""/tinjau (review a submitted report), /capaian (progress against target this month) and the
admin command /mitra (partners, programmes, memberships, roles, coordinators)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import Update
from telegram.error import TelegramError

from domain.answers import format_number, format_percent
from domain.partners import PARTNER_ROLES, PARTNER_TYPES, label
from domain.periods import Period
from domain.problems import AdminProblem
from domain.texts import Html, t
from exports.model import Generator, IndicatorKind, ProgressStatus, Selection
from features.exporting.source import StorageExportSource, exportable_villages
from features.partners.service import assign_coordinator, join, leave, save_partner, save_programme, set_role
from handlers.context import BotContext
from storage.areas import PosyanduNotFound
from storage.reviews import NOTE_LIMIT, OwnRevision

log = logging.getLogger(__name__)
CORRECTION_DAYS = 7
VERDICTS = {
    "ok": "verified",
    "benar": "verified",
    "verified": "verified",
    "perbaiki": "needs_correction",
    "fix": "needs_correction",
}
MAX_LINES = 10
MAX_NOTE = NOTE_LIMIT  # a longer note is refused (asked again), never cut or lost on the way


# -- /tinjau ------------------------------------------------------------------------------------
async def review_command(update: Update, context: BotContext) -> None:
    """/tinjau POSYANDU_ID YYYY-MM [FORM] ok|perbaiki [NOTE]"""
    args, message, services = context.args or [], update.effective_message, context.services
    try:
        posyandu = await services.storage.areas.posyandu(int(args[0]))
        period = Period.parse(args[1])
        rest = args[2:]
        form_id = rest.pop(0) if rest and rest[0].lower() not in VERDICTS else None
        state = VERDICTS[rest.pop(0).lower()]
    except (IndexError, ValueError, KeyError, PosyanduNotFound):
        await message.reply_html(context.t("review.usage"))
        return
    note = " ".join(rest).strip()
    if not context.account.covers_posyandu(posyandu):
        await message.reply_html(context.t("review.not_in_scope"))
        return
    if state == "needs_correction" and not note:
        await message.reply_html(context.t("review.need_note"))
        return
    if len(note) > MAX_NOTE:
        await message.reply_html(context.t("review_checks.note_too_long", length=len(note), limit=MAX_NOTE))
        return
    reports = services.storage.reports
    submitted = [
        f.id
        for f in services.forms.values()
        if f.kind == "report" and (form_id in (None, f.id)) and await reports.info(f.id, posyandu.id, str(period))
    ]
    if not submitted:
        await message.reply_html(
            context.t("review.no_report", posyandu=posyandu.name, period=period.label(context.language))
        )
        return
    if len(submitted) > 1:
        await message.reply_html(context.t("review.which_form", forms=", ".join(submitted)))
        return
    form = services.forms[submitted[0]]
    try:
        review = await services.storage.reviews.review(form.id, posyandu.id, str(period), state, note, context.account)
    except OwnRevision as own:
        await message.reply_html(context.t("review_checks.own_revision", revision=own.revision))
        return
    if review is None:  # (gone since it was looked up: reports are never deleted, but be plain)
        await message.reply_html(
            context.t("review.no_report", posyandu=posyandu.name, period=period.label(context.language))
        )
        return
    until = None
    if state == "needs_correction":  # the cadre can revise even when the month is locked
        until = await reports.unlock(form.id, posyandu.id, str(period), context.account, days=CORRECTION_DAYS)
    params = dict(
        form=form.title.get(context.language),
        posyandu=posyandu.name,
        period=period.label(context.language),
        revision=review.revision,
    )
    told = await _tell_reporter(context, review.submitted_by, form, posyandu.name, period, state, note, until)
    outcome = context.t("review_checks.reporter_told" if told else "review_checks.reporter_not_told")
    await message.reply_html(context.t(_REVIEW_DONE[state], **params) + "\n" + outcome)


_REVIEW_DONE = {"verified": "review.verified", "needs_correction": "review.needs_correction"}


async def _tell_reporter(
    context: BotContext,
    telegram_id: int,
    form,
    posyandu: str,
    period: Period,
    state: str,
    note: str,
    until: datetime | None,
) -> bool:
    """Whether the reporter got the message (not when deactivated, blocked or gone)."""
    person = await context.services.storage.users.get(telegram_id)
    if person is None:
        return False
    lang = person.language
    params = dict(form=form.title.get(lang), posyandu=posyandu, period=period.label(lang))
    if state == "verified":
        text = t(lang, "review.told_verified", **params)
    else:
        local = until.astimezone(context.services.default_zone).strftime("%d/%m/%Y")
        text = t(lang, "review.told_fix", note=note, until=local, **params)
    try:
        await context.say(telegram_id, text)
    except TelegramError as exc:  # blocked or gone: the review stands, the reviewer is told
        log.info("could not tell the reporter about a review: %s", exc)
        return False
    return True


# -- /capaian -----------------------------------------------------------------------------------
async def progress_command(update: Update, context: BotContext) -> None:
    """/capaian [YYYY-MM]: progress against target for the villages in scope (default: this month)."""
    args, message, services = context.args or [], update.effective_message, context.services
    try:
        period = (
            Period.parse(args[0]) if args else Period.of(services.clock.now().astimezone(services.default_zone).date())
        )
    except ValueError:
        await message.reply_html(context.t("progress.usage"))
        return
    villages = await exportable_villages(services.storage, context.account)
    if not villages:
        await message.reply_html(context.t("progress.no_villages"))
        return
    selection = Selection(
        periods=(str(period),),
        scope_label="",
        language=context.language,
        generated_at=services.clock.now().replace(tzinfo=None),
        generated_by=Generator(context.account.role.value, ""),
    )
    source = await StorageExportSource.load(
        services.storage, services.forms, selection, [v.code for v in villages], viewer=context.account
    )
    rows = await asyncio.to_thread(lambda: list(source.mel().progress()))
    if not rows:
        await message.reply_html(context.t("progress.no_targets"))
        return
    await message.reply_html(progress_text(context.language, period, villages, rows, source.indicators()))


def progress_text(lang: str, period: Period, villages, rows, indicators) -> Html:
    names = {v.code: v.name for v in villages}
    catalogue = {i.id: i for i in indicators}
    counts = {status: sum(1 for r in rows if r.status is status) for status in ProgressStatus}
    lines = [
        t(lang, "progress.title", period=period.label(lang), villages=len(villages)),
        t(
            lang,
            "progress.counts",
            on_track=counts[ProgressStatus.ON_TRACK],
            behind=counts[ProgressStatus.BEHIND],
            no_data=counts[ProgressStatus.NO_DATA],
        ),
    ]
    shown = 0
    for status, title in (
        (ProgressStatus.BEHIND, "progress.behind_title"),
        (ProgressStatus.NO_DATA, "progress.no_data_title"),
    ):
        chosen = [r for r in rows if r.status is status]
        if not chosen:
            continue
        lines += ["", t(lang, title)]
        for row in chosen[: max(0, MAX_LINES - shown)]:
            indicator = catalogue.get(row.indicator_id)
            name = indicator.label if indicator else row.indicator_id
            shown += 1
            if status is ProgressStatus.NO_DATA:
                lines.append(t(lang, "progress.no_data_line", village=names.get(row.village_code), indicator=name))
                continue
            show = _shower(indicator, lang)
            lines.append(
                t(
                    lang,
                    "progress.behind_line",
                    village=names.get(row.village_code),
                    indicator=name,
                    actual=show(row.actual),
                    expected=show(row.expected),
                    target=show(row.target),
                    target_month=Period.parse(row.target_month).label(lang),
                )
            )
    hidden = counts[ProgressStatus.BEHIND] + counts[ProgressStatus.NO_DATA] - shown
    if hidden > 0:
        lines.append(t(lang, "progress.more", count=hidden))
    return Html("\n".join(lines))


def _shower(indicator, lang: str):
    if indicator is not None and indicator.kind is IndicatorKind.PERCENT:
        return lambda value: format_percent(value, lang)
    return lambda value: "—" if value is None else format_number(value)


# -- /mitra (admin) -----------------------------------------------------------------------------
async def partners_command(update: Update, context: BotContext) -> None:
    args, message = context.args or [], update.effective_message
    storage, actor = context.services.storage, update.effective_user.id
    action, rest = (args[0].lower(), args[1:]) if args else ("", [])
    try:
        if action == "":
            await message.reply_html(await _listing(context))
            return
        if action == "tambah" and len(rest) >= 3:
            await save_partner(storage, rest[0], rest[1], " ".join(rest[2:]), actor)
        elif action == "program" and len(rest) >= 2:
            await save_programme(storage, context.services.forms, rest[0], " ".join(rest[1:]), None, actor)
        elif action == "formulir" and len(rest) >= 2:
            programme = await storage.partners.programme(rest[0].lower())
            if programme is None:
                raise AdminProblem("admin.programme_unknown", code=rest[0])
            await save_programme(storage, context.services.forms, programme.code, programme.name, rest[1:], actor)
        elif action == "gabung" and len(rest) == 3:
            await join(storage, rest[0], rest[1], rest[2], actor)
        elif action == "keluar" and len(rest) == 2:
            await leave(storage, rest[0], rest[1], actor)
        elif action in ("peran", "hapusperan") and len(rest) in (3, 4):
            if not await set_role(
                storage,
                rest[0],
                rest[1],
                rest[2].lower(),
                rest[3] if len(rest) == 4 else None,
                remove=action == "hapusperan",
                actor_id=actor,
            ):
                await message.reply_html(context.t("partners.unchanged"))
                return
        elif action == "koordinator" and len(rest) >= 2 and rest[0].isdecimal():
            await assign_coordinator(storage, int(rest[0]), None if rest[1] == "-" else rest[1], rest[2:], actor)
        else:
            await message.reply_html(
                context.t("partners.usage", types=", ".join(PARTNER_TYPES), roles=", ".join(PARTNER_ROLES))
            )
            return
    except AdminProblem as problem:
        await message.reply_html(context.t("partners.problem", problem=problem.text(context.language)))
        return
    await message.reply_html(context.t("partners.done"))


async def _listing(context: BotContext) -> Html:
    storage, lang = context.services.storage, context.language
    roles = await storage.partners.roles()
    members = await storage.partners.memberships()
    none = context.t("partners.none")
    lines = [context.t("partners.partners_title")]
    for p in await storage.partners.partners():
        count = len({r.village_code for r in roles if r.partner_code == p.code})
        lines.append(
            context.t(
                "partners.partner_line",
                code=p.code,
                name=p.name,
                type=label(PARTNER_TYPES, p.type, lang),
                villages=count,
            )
        )
    lines += ["", context.t("partners.programmes_title")]
    for p in await storage.partners.programmes():
        count = sum(1 for m in members if m.programme_code == p.code)
        lines.append(
            context.t(
                "partners.programme_line", code=p.code, name=p.name, villages=count, forms=", ".join(p.forms) or none
            )
        )
    lines += ["", context.t("partners.usage", types=", ".join(PARTNER_TYPES), roles=", ".join(PARTNER_ROLES))]
    return Html("\n".join(lines))
