"""A real PTB 22 Application runs against the double unchanged."""

import html

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.set_my_commands(
        [BotCommand("start", "Mulai"), BotCommand("laporan", "Unduh laporan")],
        scope=BotCommandScopeChat(update.effective_chat.id),
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ya", callback_data="ya"),
                InlineKeyboardButton("Tidak", callback_data="tidak"),
            ]
        ]
    )
    await update.message.reply_text("Selamat datang! Lanjut?", reply_markup=keyboard)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(
        f"<b>Anda menulis:</b> {html.escape(update.message.text)}", parse_mode=ParseMode.HTML
    )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Dicatat")
    await query.edit_message_text(f"Pilihan: {query.data}")


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_document(b"id,nama\n1,Siti\n", filename="laporan.csv", caption="Laporan")


async def download(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.message.document.get_file()
    content = await file.download_as_bytearray()
    await update.message.reply_text(f"Terima {len(content)} byte")


async def test_application_runs_against_the_double(server):
    siti = server.user(1001, "Siti")
    app = ApplicationBuilder().token("123:ABC").base_url(server.base_url).base_file_url(server.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("laporan", report))
    app.add_handler(CallbackQueryHandler(answer))
    app.add_handler(MessageHandler(filters.Document.ALL, download))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        siti.send("/start")
        welcome = await siti.await_text("Selamat datang")
        assert welcome.button_texts == ["Ya", "Tidak"]
        assert [c["command"] for c in server.commands_for(1001)] == ["start", "laporan"]

        siti.press("Tidak")
        edited = await siti.await_text("Pilihan: tidak")
        assert edited.message_id == welcome.message_id and edited.buttons == []
        assert siti.callback_answers[0]["text"] == "Dicatat"

        siti.send("<script> & co")
        echoed = await siti.await_text("Anda menulis")
        assert echoed.text == "Anda menulis: <script> & co"
        assert echoed.entities == [{"type": "bold", "offset": 0, "length": 13}]

        siti.send("/laporan")
        sent = await siti.await_for(lambda m: m.document is not None)
        assert sent.caption == "Laporan"
        assert server.documents(1001) == [("laporan.csv", b"id,nama\n1,Siti\n")]

        siti.send_document("foto.txt", b"12345")
        await siti.await_text("Terima 5 byte")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert server.violations == []
    assert server.pending_updates == []
