"""Composition: settings -> storage -> Application with handlers, persistence and jobs."""
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

from domain.clock import Clock, SystemClock
from domain.forms import load_forms
from features.backups.jobs import schedule_backups  # backups
from features.partners import chat as partner_handlers
from features.people import chat as admin
from features.reminders import chat as reminder_handlers
from features.reminders.jobs import schedule_reminders  # reminders
from features.report import unlock as coordination
from handlers import common, errors
from handlers.context import SERVICES_KEY, BotContext
from handlers.limits import TelegramLimiter
from handlers.menus import set_default_menus
from handlers.polling import Poller
from runtime.services import Services
from runtime.settings import Settings
from storage import Storage
from storage.persistence import SqlitePersistence

log = logging.getLogger(__name__)
GATE_GROUP, REPLAY_GROUP, MAIN_GROUP = -2, -1, 0


async def open_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Forms are checked before the database is touched: a broken form stops the start."""
    forms = load_forms(settings.forms_dir)
    clock = clock or SystemClock()
    data_key = settings.data_key.get_secret_value() if settings.data_key else None  # households
    storage = await Storage.open(settings.database_path, clock, data_key=data_key)
    try:
        if storage.households.enabled:  # households: refuse a key that does not open the stored data
            await storage.households.check_key()
    except BaseException:
        await storage.close()
        raise
    return Services(settings=settings, storage=storage, forms=forms, clock=clock)


def build_application(services: Services, *, request=None) -> Application:
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_url)
        # No default parse_mode: PTB would add it to methods that do not take one. Texts are sent
        # with parse_mode=HTML explicitly (BotContext.say, reply_html).
        .defaults(Defaults(tzinfo=ZoneInfo(settings.default_timezone),
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=BotContext))
        .persistence(SqlitePersistence(services.storage.db, update_interval=settings.persistence_interval))
        .rate_limiter(TelegramLimiter())
        .connection_pool_size(32).pool_timeout(30).connect_timeout(15).read_timeout(30).write_timeout(60)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.updater(None).build()  # app.polling.Poller fetches the updates
    application.bot_data[SERVICES_KEY] = services
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    from conversations.forms_conversation import forms_conversation
    from features.exporting.chat import export_conversation  # exports
    from features.households.chat import start_households  # households
    from features.people.registration import registration_conversation
    from handlers.replay import skip_if_handled

    application.add_handler(TypeHandler(Update, common.gate), group=GATE_GROUP)
    application.add_handler(TypeHandler(Update, skip_if_handled), group=REPLAY_GROUP)
    for handler in (
        registration_conversation(),
        forms_conversation([reminder_handlers.report_button_handler(),  # reminders: button entry
                            CommandHandler("rumahtangga", start_households)]),  # households: /rumahtangga
        export_conversation(),  # exports: /ekspor
        CommandHandler("bantuan", common.help_command),
        CommandHandler("bahasa", common.language_command),
        CallbackQueryHandler(common.language_chosen, pattern=r"^lang:"),
        CommandHandler("undang", admin.invite_command),
        CommandHandler("audit", admin.audit_command),
        CommandHandler("buka", coordination.unlock_command),
        CommandHandler("pengingat", reminder_handlers.reminders_command),  # reminders
        CommandHandler("tinjau", partner_handlers.review_command),  # partners: review of reports
        CommandHandler("capaian", partner_handlers.progress_command),  # partners: progress against target
        CommandHandler("mitra", partner_handlers.partners_command),  # partners: admin
        CallbackQueryHandler(common.stale_button),
        MessageHandler(filters.ALL, common.fallback_message),
    ):
        application.add_handler(handler, group=MAIN_GROUP)
    application.add_handler(TypeHandler(Update, reminder_handlers.back_in_touch), group=MAIN_GROUP + 1)  # reminders
    application.add_error_handler(errors.on_error)


async def serve(settings: Settings) -> None:
    """Run the bot with long polling until SIGINT/SIGTERM; storage opens first, closes last."""
    services = await open_services(settings)
    try:
        application = build_application(services)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with application:  # initialize (reads persistence) ... shutdown (flushes it)
            await set_default_menus(application.bot)
            await application.start()
            schedule_reminders(application)  # reminders: first run now = catch-up
            schedule_backups(application)  # backups: daily at BACKUP_TIME, with retention
            await services.storage.meta.set("bot_username", application.bot.username)
            await services.storage.updates.prune()
            log.info("Lapor Desa is running as @%s", application.bot.username)
            await Poller(application, services.storage).run(stop)
            await application.stop()
    finally:
        await services.storage.close()
