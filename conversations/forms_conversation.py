"""The one ConversationHandler for guided forms (monthly reports; households plug in the same way)."""
from __future__ import annotations

import warnings

from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from conversations.engine import ANSWERING
from features.report import chat as report

NOT_EDITED = ~filters.UpdateType.EDITED


def forms_conversation(extra_entry_points: list = ()) -> ConversationHandler:
    """Commands route explicitly; everything else goes through `report.resume`, which reads the
    person's position from the database, so a lost or stale PTB state does no harm."""
    anything = MessageHandler((filters.ALL & ~filters.COMMAND) | filters.UpdateType.EDITED_MESSAGE, report.resume)
    buttons = CallbackQueryHandler(report.resume, pattern=r"^[fhl]:")  # h: household menus
    with warnings.catch_warnings():
        # Callback and message handlers together: per_message=False is what we want.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("lapor", report.start_report), *extra_entry_points, buttons, anything],
            states={
                report.CHOOSING: [CallbackQueryHandler(report.chosen, pattern=r"^l:"), buttons, anything],
                ANSWERING: [CommandHandler("kembali", report.back_command),
                            CommandHandler("lewati", report.skip_command), buttons, anything],
            },
            fallbacks=[CommandHandler("batal", report.cancel_command),
                       CommandHandler("lapor", report.start_report), *extra_entry_points,
                       MessageHandler(filters.COMMAND & ~filters.Regex(r"^/(bahasa|start)\b"), report.other_command)],
            name="forms", persistent=True, allow_reentry=True,
        )
