"""The one engine that walks any form spec in a chat: ask, check, save, review, submit.

Where the person is lives in the `sessions` table and every answer in `draft_answers`, written
the moment it arrives; PTB's conversation state only routes updates. So a restart (even a
SIGKILL) loses nothing: the next message picks up from the database.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from domain import formflow
from domain.answers import AnswerError, display, parse_answer
from domain.forms import FormSpec, Question, QuestionType
from domain.periods import Period
from domain.texts import LANGUAGES, Html
from handlers.context import BotContext
from storage.reports import Draft, Session

ANSWERING = "answering"
END = ConversationHandler.END
MAX_WRONG_TRIES = 3
_LABEL_LIMIT = 48


@dataclass
class Run:
    """A person's form in progress, loaded fresh from the database for every update."""
    form: FormSpec
    draft: Draft
    session: Session
    context: formflow.Context
    title: str
    store: Any = None  # where answers are saved: None = storage.reports (household drafts have their own)

    @property
    def answers(self) -> dict[str, Any]:
        return self.draft.answers


class Finisher(Protocol):
    """What happens when a form of one kind is submitted (report, household). A finisher may also
    have ``on_answer(update, context, run, question, value)``: checks beyond the form's rules,
    returning the next state when it took over, None to let the answer through."""
    async def load(self, context: BotContext, session: Session) -> Run | None: ...
    async def submit(self, update: Update, context: BotContext, run: Run) -> Any: ...


FINISHERS: dict[str, Finisher] = {}
# Conversations with their own menus before the form (session mode "choose"), by session kind:
# handler(update, context, session). Reports use report.chosen.
MENUS: dict[str, Any] = {}


async def current_run(context: BotContext, user_id: int) -> Run | None:
    return await run_of(context, await context.services.storage.reports.session(user_id))


async def run_of(context: BotContext, session: Session | None) -> Run | None:
    """The form this session is in, loaded; None outside a form."""
    if session is None or session.kind not in FINISHERS or session.mode == "choose":
        return None
    return await FINISHERS[session.kind].load(context, session)


# -- asking -------------------------------------------------------------------------------------
async def ask(update: Update, context: BotContext, run: Run, prefix: str = "") -> str:
    """Send the question under the cursor (or the review), with a fresh nonce for its buttons."""
    session = replace(run.session, nonce=run.session.nonce + 1)
    await context.services.storage.reports.save_session(session)
    run.session = session
    return await show(update, context, run, prefix)


async def show(update: Update, context: BotContext, run: Run, prefix: str = "") -> str:
    """Send the question under the cursor (or the review) again; buttons already sent stay valid."""
    if run.session.cursor is None:
        text, keyboard = review(context, run)
    elif (warning := _waiting_warning(run)) is not None:  # still waiting for "yes, correct" / "change"
        text, keyboard = confirm_prompt(context, run, warning)
    else:
        text, keyboard = question_prompt(context, run, run.form.question(run.session.cursor))
    await context.say(update.effective_chat.id, Html(prefix + text), reply_markup=keyboard)
    return ANSWERING


def question_prompt(context: BotContext, run: Run, question: Question) -> tuple[str, InlineKeyboardMarkup | None]:
    lang, nonce = context.language, run.session.nonce
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    number = next((i for i, q in enumerate(relevant, 1) if q.id == question.id), len(relevant))
    section = run.form.section_of(question.id).title.get(lang)
    lines = [context.t("form.progress", section=section, number=number, total=len(relevant)),
             f"<b>{_escape(question.label.get(lang))}</b>"]
    if question.unit:
        lines.append(context.t("form.unit", unit=question.unit))
    if question.id in run.answers:
        lines.append(context.t("form.current", value=display(question, run.answers[question.id], lang)))
    if run.session.wrong_tries >= MAX_WRONG_TRIES:
        lines.append(_help(context, question))
    buttons = _answer_buttons(context, question, nonce, run.session.pending.get("selected", []))
    row = []
    if formflow.previous_question(run.form, run.answers, question.id, run.context):
        row.append(_button(context.t("button.back"), nonce, "b"))
    if not question.required:
        row.append(_button(context.t("button.skip"), nonce, "s"))
    if row:
        buttons.append(row)
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def _help(context: BotContext, question: Question) -> str:
    help_text = question.help.get(context.language) if question.help else context.t(f"form.hint.{question.type}")
    example = question.example or {"count": "12", "measure": "12,5", "date": "17-08-2025"}.get(question.type)
    text = context.t("form.help", help=help_text)
    return text + ("\n" + context.t("form.example", example=example) if example else "")


def _answer_buttons(context: BotContext, question: Question, nonce: int, selected: list[str]) -> list[list]:
    lang = context.language
    if question.type is QuestionType.YESNO:
        return [[_button(context.t("button.yes"), nonce, "y"), _button(context.t("button.no"), nonce, "n")]]
    if question.type is QuestionType.CHOICE:
        return [[_button(o.label.get(lang), nonce, "o", i)] for i, o in enumerate(question.options)]
    if question.type is QuestionType.MULTICHOICE:
        rows = [[_button(("☑ " if o.id in selected else "☐ ") + o.label.get(lang), nonce, "t", i)]
                for i, o in enumerate(question.options)]
        return rows + [[_button(context.t("button.done"), nonce, "d")]]
    return []


def review(context: BotContext, run: Run) -> tuple[str, InlineKeyboardMarkup]:
    lang, nonce = context.language, run.session.nonce
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    lines = [context.t("form.review_title", title=run.title)]
    for number, question in enumerate(relevant, 1):
        label = question.label.get(lang)
        label = label if len(label) <= _LABEL_LIMIT else label[: _LABEL_LIMIT - 1] + "…"
        lines.append(f"{number}. {_escape(label)}: <b>{_escape(display(question, run.answers.get(question.id), lang))}</b>")
    lines.append(context.t("form.review_hint"))
    numbers = [_button(str(n), nonce, "e", n - 1) for n in range(1, len(relevant) + 1)]
    rows = [numbers[i:i + 6] for i in range(0, len(numbers), 6)]
    rows.append([_button(context.t("button.submit"), nonce, "k")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _button(label: str, nonce: int, action: str, arg: int | str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=f"f:{nonce}:{action}:{arg}")


def _escape(text: str) -> str:
    from domain.texts import escape
    return escape(text)


# -- answering ----------------------------------------------------------------------------------
async def accept(update: Update, context: BotContext, run: Run, value: Any) -> str:
    """An answer to the question under the cursor: check rules, save, move on."""
    question = run.form.question(run.session.cursor)
    candidate = {**run.answers, question.id: value}
    hook = getattr(FINISHERS.get(run.session.kind), "on_answer", None)
    if value is not None and hook is not None:
        taken = await hook(update, context, run, question, value)
        if taken is not None:
            return taken
    if value is not None:
        broken = formflow.broken_rules(run.form, candidate, question.id, None, run.context)
        if hard := [r for r in broken if r.kind == "hard"]:
            return await wrong(update, context, run, hard[0].message.get(context.language))
        unconfirmed = [r for r in broken
                       if r.kind == "soft" and r.id not in run.session.pending.get("confirmed", [])]
        if unconfirmed:
            return await ask_to_confirm(update, context, run, value, unconfirmed[0])
    return await _save_and_continue(update, context, run, question, value, candidate)


async def _save_and_continue(update, context, run: Run, question: Question, value: Any, candidate: dict) -> str:
    kept, removed = formflow.prune(run.form, candidate, run.context)
    next_q = formflow.next_question(run.form, kept, run.context)
    # The next question's nonce is saved with the answer: one transaction, then ``show``.
    session = replace(run.session, cursor=next_q.id if next_q else None, mode="ask", wrong_tries=0, pending={},
                      nonce=run.session.nonce + 1)
    await (run.store or context.services.storage.reports).save_answer(
        run.draft.id, question.id, value, confirmed=run.session.pending.get("confirmed", []),
        removed=removed, session=session)
    run.draft = replace(run.draft, answers=kept)
    run.session = session
    prefix = context.t("form.cleared", count=len(removed)) + "\n\n" if removed else ""
    return await show(update, context, run, prefix)


async def ask_to_confirm(update, context, run: Run, value: Any, rule) -> str:
    """A soft rule (of the form, or a finisher's own check) asks "are you sure?"; its message is
    kept with the session so the question can be shown again exactly."""
    warning = {lang: rule.message.get(lang) for lang in LANGUAGES}
    pending = {**run.session.pending, "value": value, "rule": rule.id, "warning": warning}
    run.session = replace(run.session, mode="confirm", pending=pending)
    return await ask(update, context, run)


def _waiting_warning(run: Run) -> dict[str, str] | None:
    """The soft-rule message the person is asked to confirm, if the session is waiting for that."""
    return run.session.pending.get("warning") if run.session.mode == "confirm" else None


def confirm_prompt(context: BotContext, run: Run, warning: dict[str, str]) -> tuple[str, InlineKeyboardMarkup]:
    nonce = run.session.nonce
    keyboard = InlineKeyboardMarkup([[_button(context.t("button.confirm"), nonce, "c"),
                                      _button(context.t("button.change"), nonce, "x")]])
    return context.t("form.soft_warning", message=warning.get(context.language) or warning["id"]), keyboard


async def wrong(update: Update, context: BotContext, run: Run, message: str) -> str:
    """A clear message and the same question again; earlier answers stay. While a soft rule
    waits for confirmation, the confirmation is asked again (with its buttons)."""
    if _waiting_warning(run) is not None:
        run.session = replace(run.session, wrong_tries=run.session.wrong_tries + 1)
    else:
        run.session = replace(run.session, wrong_tries=run.session.wrong_tries + 1, mode="ask",
                              pending={k: v for k, v in run.session.pending.items() if k == "selected"})
    return await ask(update, context, run, prefix=f"❗ {_escape(message) if not isinstance(message, Html) else message}\n\n")


async def on_text(update: Update, context: BotContext, run: Run) -> str:
    text = update.effective_message.text or ""
    session = run.session
    if session.cursor is None:  # review: a number picks the answer to change
        return await _edit_by_number(update, context, run, text.strip())
    if session.mode == "confirm":
        return await wrong(update, context, run, context.t("form.use_buttons"))
    question = run.form.question(session.cursor)
    if question.type is QuestionType.MULTICHOICE and not text.strip():
        return await wrong(update, context, run, context.t("form.use_buttons"))
    try:
        today = context.services.clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()
        value = parse_answer(question, text, today)
    except AnswerError as problem:
        return await wrong(update, context, run, context.t(problem.key, **problem.params))
    return await accept(update, context, run, value)


async def on_location(update: Update, context: BotContext, run: Run) -> str:
    """A shared Telegram location, where the form accepts one: kept with the draft (optional)."""
    from domain.households import LOCATION_KEY, location_ok
    location = update.effective_message.location
    if not location_ok(location.latitude, location.longitude):
        return await wrong(update, context, run, context.t("household.location_outside"))
    value = {"lat": round(location.latitude, 6), "lon": round(location.longitude, 6)}
    session = replace(run.session, wrong_tries=0)
    await (run.store or context.services.storage.reports).save_answer(run.draft.id, LOCATION_KEY, value,
                                                                      session=session)
    run.draft = replace(run.draft, answers={**run.answers, LOCATION_KEY: value})
    run.session = session
    return await ask(update, context, run, context.t("household.location_saved") + "\n\n")


async def _edit_by_number(update, context, run: Run, text: str) -> str:
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    if text.isdecimal() and 1 <= int(text) <= len(relevant):
        return await _jump(update, context, run, relevant[int(text) - 1].id)
    return await wrong(update, context, run, context.t("form.review_pick", total=len(relevant)))


async def _jump(update, context, run: Run, question_id: str | None) -> str:
    run.session = replace(run.session, cursor=question_id, mode="ask", wrong_tries=0, pending={})
    return await ask(update, context, run)


async def on_button(update: Update, context: BotContext, run: Run) -> str | int | None:
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 4 or parts[0] != "f" or parts[1] != str(run.session.nonce):
        await context.answer_button(query, context.t("button.stale"))
        return ANSWERING
    await context.answer_button(query)
    action, arg = parts[2], parts[3]
    if action == "t":  # a multiple-choice toggle updates the same message's buttons
        return await _toggle(update, context, run, arg)
    if query.message is not None and query.message.reply_markup is not None:
        await query.edit_message_reply_markup(None)
    return await _BUTTONS.get(action, _unknown_button)(update, context, run, arg)


async def _unknown_button(update, context, run, arg) -> str:
    return await ask(update, context, run)


async def _yes_no(update, context, run: Run, value: bool) -> str:
    question = run.form.question(run.session.cursor) if run.session.cursor else None
    if question is None or question.type is not QuestionType.YESNO:
        return await ask(update, context, run)
    return await accept(update, context, run, value)


async def _option(update, context, run: Run, arg: str) -> str:
    question = run.form.question(run.session.cursor) if run.session.cursor else None
    if question is None or question.type is not QuestionType.CHOICE or not _index_ok(arg, question.options):
        return await ask(update, context, run)
    return await accept(update, context, run, question.options[int(arg)].id)


async def _toggle(update, context, run: Run, arg: str) -> str:
    question = run.form.question(run.session.cursor) if run.session.cursor else None
    if question is None or question.type is not QuestionType.MULTICHOICE or not _index_ok(arg, question.options):
        return await ask(update, context, run)
    selected = list(run.session.pending.get("selected", run.answers.get(question.id) or []))
    option = question.options[int(arg)].id
    selected = [s for s in selected if s != option] if option in selected else selected + [option]
    run.session = replace(run.session, pending={**run.session.pending, "selected": selected})
    await context.services.storage.reports.save_session(run.session)
    _, keyboard = question_prompt(context, run, question)
    await update.callback_query.edit_message_reply_markup(keyboard)
    return ANSWERING


async def _done(update, context, run: Run, arg: str) -> str:
    question = run.form.question(run.session.cursor) if run.session.cursor else None
    if question is None or question.type is not QuestionType.MULTICHOICE:
        return await ask(update, context, run)
    selected = run.session.pending.get("selected", run.answers.get(question.id) or [])
    if not selected and question.required:
        return await wrong(update, context, run, context.t("error.choose_at_least_one"))
    return await accept(update, context, run, [o.id for o in question.options if o.id in selected])


async def _confirm(update, context, run: Run, arg: str) -> str:
    if run.session.mode != "confirm":
        return await ask(update, context, run)
    pending = run.session.pending
    run.session = replace(run.session, mode="ask",
                          pending={"confirmed": [*pending.get("confirmed", []), pending["rule"]]})
    return await accept(update, context, run, pending["value"])


async def _change(update, context, run: Run, arg: str) -> str:
    run.session = replace(run.session, mode="ask", pending={})
    return await ask(update, context, run)


async def _edit(update, context, run: Run, arg: str) -> str:
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    if run.session.cursor is not None or not _index_ok(arg, relevant):
        return await ask(update, context, run)
    return await _jump(update, context, run, relevant[int(arg)].id)


async def go_back(update, context, run: Run, arg: str = "") -> str:
    previous = formflow.previous_question(run.form, run.answers, run.session.cursor, run.context)
    if previous is None:
        return await wrong(update, context, run, context.t("form.no_previous"))
    return await _jump(update, context, run, previous.id)


async def skip(update, context, run: Run, arg: str = "") -> str:
    if run.session.cursor is None:
        return await wrong(update, context, run, context.t("form.nothing_to_skip"))
    question = run.form.question(run.session.cursor)
    if question.required:
        return await wrong(update, context, run, context.t("form.required"))
    return await accept(update, context, run, None)


async def submit(update, context, run: Run, arg: str = "") -> str | int:
    if run.session.cursor is not None:
        return await ask(update, context, run)
    missing = formflow.missing_required(run.form, run.answers, run.context)
    next_q = formflow.next_question(run.form, run.answers, run.context)
    broken = formflow.all_broken_rules(run.form, run.answers, "hard", run.context)
    if next_q or missing:
        return await _jump(update, context, run, (next_q or missing[0]).id)
    if broken:
        return await wrong(update, context, run, broken[0].message.get(context.language))
    return await FINISHERS[run.session.kind].submit(update, context, run)


def _index_ok(arg: str, items) -> bool:
    return arg.isdecimal() and int(arg) < len(items)


_BUTTONS = {
    "y": lambda u, c, r, a: _yes_no(u, c, r, True),
    "n": lambda u, c, r, a: _yes_no(u, c, r, False),
    "o": _option, "d": _done, "c": _confirm, "x": _change, "e": _edit,
    "b": go_back, "s": skip, "k": submit,
}


def period_label(period: str, lang: str) -> str:
    return Period.parse(period).label(lang)
