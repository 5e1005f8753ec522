"""The composition root: settings -> storage -> Application with the kernel's handlers, each
feature's handlers and conversation kinds, and the scheduled jobs. Nothing imports this module
but the command line (app/cli.py)."""

from __future__ import annotations

import asyncio
import logging
import signal
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from conversations.router import Router
from features.backups.jobs import schedule_backups
from features.exporting import chat as exporting
from features.exporting.jobs import resume_unfinished
from features.households import chat as households
from features.partners import chat as partners
from features.people import chat as people
from features.people import registration
from features.reminders import chat as reminders
from features.reminders.jobs import schedule_reminders
from features.report import chat as report
from features.report import unlock
from handlers import common, errors
from handlers.context import ROUTER_KEY, SERVICES_KEY, BotContext
from handlers.forms import on_turn, route
from handlers.limits import TelegramLimiter
from handlers.menus import default_menus_in_background
from handlers.polling import Poller
from handlers.replay import skip_if_handled
from runtime.services import Services, open_services
from runtime.settings import Settings

log = logging.getLogger(__name__)
GATE_GROUP, REPLAY_GROUP, ROUTER_GROUP, MAIN_GROUP = -2, -1, 0, 1
# Every kind of conversation the router serves (where a person is: their sessions row).
KINDS = (report.REPORT, households.HOUSEHOLD, exporting.EXPORT, registration.REGISTRATION)


def build_application(services: Services, *, request=None) -> Application:
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_url)
        # No default parse_mode: PTB would add it to methods that do not take one. Texts are sent
        # with parse_mode=HTML explicitly (BotContext.say, reply_html).
        .defaults(
            Defaults(
                tzinfo=ZoneInfo(settings.default_timezone), link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(TelegramLimiter())
        .connection_pool_size(32)
        .pool_timeout(30)
        .connect_timeout(15)
        .read_timeout(30)
        .write_timeout(60)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.updater(None).build()  # app.polling.Poller fetches the updates
    application.bot_data[SERVICES_KEY] = services
    application.bot_data[ROUTER_KEY] = Router(KINDS)
    add_handlers(application)
    return application


def _command(name: str, callback) -> CommandHandler:
    """A command as sent; an edited one is not run again (the gate checks it like a command,
    then the catch-all says so)."""
    return CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE)


def add_handlers(application: Application) -> None:
    application.add_handler(TypeHandler(Update, common.gate), group=GATE_GROUP)
    application.add_handler(TypeHandler(Update, skip_if_handled), group=REPLAY_GROUP)
    application.add_handler(TypeHandler(Update, route), group=ROUTER_GROUP)
    for handler in (
        _command("start", on_turn(registration.start)),
        _command("lapor", on_turn(report.start_report)),
        CallbackQueryHandler(on_turn(report.open_from_reminder), pattern=r"^r:"),
        _command("rumahtangga", on_turn(households.start_households)),
        _command("ekspor", on_turn(exporting.start_export)),
        _command("bantuan", common.help_command),
        _command("bahasa", common.language_command),
        CallbackQueryHandler(common.language_chosen, pattern=r"^g:"),
        _command("undang", people.invite_command),
        _command("audit", people.audit_command),
        _command("buka", unlock.unlock_command),
        _command("pengingat", reminders.reminders_command),
        _command("tinjau", partners.review_command),
        _command("capaian", partners.progress_command),
        _command("mitra", partners.partners_command),
        CallbackQueryHandler(common.stale_button),
        MessageHandler(filters.ALL, common.fallback_message),
    ):
        application.add_handler(handler, group=MAIN_GROUP)
    application.add_handler(TypeHandler(Update, reminders.back_in_touch), group=MAIN_GROUP + 1)
    application.add_error_handler(errors.on_error)


async def serve(settings: Settings) -> None:
    """Run the bot with long polling until SIGINT/SIGTERM; storage opens first, closes last."""
    services = await open_services(settings, serving=True)  # DATA_KEY where the forms or the data need it
    try:
        application = build_application(services)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with application, default_menus_in_background(application.bot):  # retried, never fatal
            await application.start()
            schedule_reminders(application)  # reminders: first run now = catch-up
            schedule_backups(application)  # backups: daily at BACKUP_TIME, with retention
            resume_unfinished(application)  # exports cut off by a crash: sent again; stale temp files removed
            await services.storage.meta.set("bot_username", application.bot.username)
            await services.storage.updates.prune()
            log.info("Lapor Desa is running as @%s", application.bot.username)
            await Poller(application, services.storage).run(stop)
            await application.stop()
    finally:
        await services.storage.close()
