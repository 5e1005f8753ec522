"""The one engine that walks any form spec in a chat: ask, check, save, review, submit.

Where the person is lives in the `sessions` table and every answer in its draft, written the
moment it arrives; nothing is kept in memory between updates. The engine knows no feature and
no Telegram type: it gets a :class:`Turn` and answers through ``turn.chat``. What differs by kind
of form (where drafts live, extra checks, what submitting does) comes from its
:class:`~conversations.kinds.FormKind`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conversations.kinds import AnswerState, Run, Warning
from conversations.turn import Button, Keyboard, Turn
from domain import formflow
from domain.answers import Ambiguous, AnswerError, check_range, display, parse_answer, plain_number
from domain.callbacks import Callback, decode, encode
from domain.forms import Question, QuestionType
from domain.households import LOCATION_KEY, location_ok
from domain.texts import LANGUAGES, Html, escape

MAX_WRONG_TRIES = 3
_LABEL_LIMIT = 48
_BUTTON_LIMIT = 60


def _state(run: Run) -> AnswerState:
    return AnswerState.of(run.session)


def _with_state(run: Run, state: AnswerState, **changes: Any) -> None:
    run.session = replace(run.session, pending=state.dump(), **changes)


# -- asking -------------------------------------------------------------------------------------
async def ask(turn: Turn, run: Run, prefix: str = "") -> None:
    """Send the question under the cursor (or the review), with a fresh nonce for its buttons."""
    run.session = replace(run.session, nonce=run.session.nonce + 1)
    await turn.services.storage.reports.save_session(run.session)
    await show(turn, run, prefix)


async def show(turn: Turn, run: Run, prefix: str = "") -> None:
    """Send the question under the cursor (or the review) again; buttons already sent stay valid."""
    state = _state(run)
    if run.session.cursor is None:
        text, keyboard = review(turn, run)
    elif run.session.mode == "confirm" and state.warning is not None:  # waiting for "yes" / "change"
        text, keyboard = confirm_prompt(turn, run, state.warning)
    elif run.session.mode == "confirm" and state.choices is not None:  # "1.200": 1200 or 1,2?
        text, keyboard = number_prompt(turn, run, state.choices)
    else:
        text, keyboard = question_prompt(turn, run, run.form.question(run.session.cursor))
    await turn.chat.send(prefix + text, keyboard or None)


def question_prompt(turn: Turn, run: Run, question: Question) -> tuple[str, Keyboard]:
    lang, nonce = turn.language, run.session.nonce
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    number = next((i for i, q in enumerate(relevant, 1) if q.id == question.id), len(relevant))
    section = run.form.section_of(question.id).title.get(lang)
    lines = [
        turn.t("form.progress", section=section, number=number, total=len(relevant)),
        f"<b>{escape(question.label.get(lang))}</b>",
    ]
    if question.unit:
        lines.append(turn.t("form.unit", unit=question.unit))
    if question.id in run.answers:
        lines.append(turn.t("form.current", value=display(question, run.answers[question.id], lang)))
    if run.session.wrong_tries >= MAX_WRONG_TRIES:
        lines.append(_help(turn, question))
    buttons = _answer_buttons(turn, question, nonce, _state(run).selected)
    row = []
    if formflow.previous_question(run.form, run.answers, question.id, run.context):
        row.append(_button(turn.t("button.back"), nonce, "b"))
    if not question.required:
        row.append(_button(turn.t("button.skip"), nonce, "s"))
    if row:
        buttons.append(row)
    return "\n".join(lines), buttons


def _help(turn: Turn, question: Question) -> str:
    help_text = question.help.get(turn.language) if question.help else turn.t(f"form.hint.{question.type}")
    example = question.example or {"count": "12", "measure": "12,5", "date": "17-08-2025"}.get(question.type)
    text = turn.t("form.help", help=help_text)
    return text + ("\n" + turn.t("form.example", example=example) if example else "")


def _answer_buttons(turn: Turn, question: Question, nonce: int, selected: list[str] | None) -> Keyboard:
    lang = turn.language
    if question.type is QuestionType.YESNO:
        return [[_button(turn.t("button.yes"), nonce, "y"), _button(turn.t("button.no"), nonce, "n")]]
    if question.type is QuestionType.CHOICE:
        return [[_button(o.label.get(lang), nonce, "o", i)] for i, o in enumerate(question.options)]
    if question.type is QuestionType.MULTICHOICE:
        chosen = selected or []
        rows = [
            [_button(("☑ " if o.id in chosen else "☐ ") + o.label.get(lang), nonce, "t", i)]
            for i, o in enumerate(question.options)
        ]
        return [*rows, [_button(turn.t("button.done"), nonce, "d")]]
    return []


def review(turn: Turn, run: Run) -> tuple[str, Keyboard]:
    lang, nonce = turn.language, run.session.nonce
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    lines: list[str] = [turn.t("form.review_title", title=run.title)]
    for number, question in enumerate(relevant, 1):
        label = question.label.get(lang)
        label = label if len(label) <= _LABEL_LIMIT else label[: _LABEL_LIMIT - 1] + "…"
        lines.append(
            f"{number}. {escape(label)}: <b>{escape(display(question, run.answers.get(question.id), lang))}</b>"
        )
    lines.append(turn.t("form.review_hint"))
    numbers = [_button(str(n), nonce, "e", n - 1) for n in range(1, len(relevant) + 1)]
    rows = [numbers[i : i + 6] for i in range(0, len(numbers), 6)]
    rows.append([_button(turn.t("button.submit"), nonce, "k")])
    return "\n".join(lines), rows


def _button(label: str, nonce: int, action: str, arg: int | str = "") -> Button:
    return Button(label[:_BUTTON_LIMIT], encode("f", nonce, action, arg))


# -- answering ----------------------------------------------------------------------------------
async def accept(turn: Turn, run: Run, value: Any) -> None:
    """An answer to the question under the cursor: check rules, save, move on."""
    assert run.session.cursor is not None  # answers come only while a question is asked
    question = run.form.question(run.session.cursor)
    candidate = {**run.answers, question.id: value}
    state = _state(run)
    if value is not None:
        check = await run.kind.check_answer(turn, run, question, value)
        if check is True:  # the kind took over (it showed something else)
            return
        if isinstance(check, Warning) and check.id not in state.confirmed:
            return await ask_to_confirm(turn, run, value, check)
        broken = formflow.broken_rules(run.form, candidate, question.id, None, run.context)
        if hard := [r for r in broken if r.kind == "hard"]:
            return await wrong(turn, run, hard[0].message.get(turn.language))
        unconfirmed = [r for r in broken if r.kind == "soft" and r.id not in state.confirmed]
        if unconfirmed:
            rule = unconfirmed[0]
            warning = Warning(rule.id, {lang: rule.message.get(lang) for lang in LANGUAGES})
            return await ask_to_confirm(turn, run, value, warning)
    await _save_and_continue(turn, run, question, value, candidate)


async def _save_and_continue(turn: Turn, run: Run, question: Question, value: Any, candidate: dict[str, Any]) -> None:
    kept, removed = formflow.prune(run.form, candidate, run.context)
    next_q = formflow.next_question(run.form, kept, run.context)
    confirmed = _state(run).confirmed
    # The next question's nonce is saved with the answer: one transaction, then ``show``.
    session = replace(
        run.session,
        cursor=next_q.id if next_q else None,
        mode="ask",
        wrong_tries=0,
        pending=AnswerState().dump(),
        nonce=run.session.nonce + 1,
    )
    await run.kind.store(turn).save_answer(
        run.draft.id, question.id, value, confirmed=confirmed, removed=removed, session=session
    )
    run.draft = replace(run.draft, answers=kept)
    run.session = session
    prefix = turn.t("form.cleared", count=len(removed)) + "\n\n" if removed else ""
    await show(turn, run, prefix)


async def ask_to_confirm(turn: Turn, run: Run, value: Any, warning: Warning) -> None:
    """A soft rule (of the form, or the kind's own check) asks "are you sure?"; its message is
    kept with the session so the question can be shown again exactly."""
    state = _state(run).model_copy(update={"value": value, "rule": warning.id, "warning": warning.messages})
    _with_state(run, state, mode="confirm")
    await ask(turn, run)


def confirm_prompt(turn: Turn, run: Run, warning: dict[str, str]) -> tuple[str, Keyboard]:
    nonce = run.session.nonce
    keyboard = [[_button(turn.t("button.confirm"), nonce, "c"), _button(turn.t("button.change"), nonce, "x")]]
    return turn.t("form.soft_warning", message=warning.get(turn.language) or warning["id"]), keyboard


async def ask_which_number(turn: Turn, run: Run, value: Ambiguous) -> None:
    """A number that reads two ways ("1.200": 1200 in Indonesian, 1.2 in English): one button
    for each reading, the question kept; the readings wait in the session (mode confirm)."""
    state = _state(run).model_copy(update={"choices": list(value.choices), "warning": None, "rule": None})
    _with_state(run, state, mode="confirm")
    await ask(turn, run)


def number_prompt(turn: Turn, run: Run, choices: list[float]) -> tuple[str, Keyboard]:
    assert run.session.cursor is not None  # a number is asked about only while its question is
    question = run.form.question(run.session.cursor)
    unit = f" {question.unit}" if question.unit else ""
    labels = [plain_number(value, turn.language) + unit for value in choices]
    nonce = run.session.nonce
    keyboard = [[_button(label, nonce, "p", i) for i, label in enumerate(labels)]]
    thousands, decimal = labels
    text = f"<b>{escape(question.label.get(turn.language))}</b>\n\n" + turn.t(
        "numbers.which", thousands=thousands, decimal=decimal
    )
    return text, keyboard


async def wrong(turn: Turn, run: Run, message: str) -> None:
    """A clear message and the same question again; earlier answers stay. While a soft rule
    waits for confirmation, or a number for its reading, that is asked again (with its buttons)."""
    state = _state(run)
    if run.session.mode == "confirm" and (state.warning is not None or state.choices is not None):
        run.session = replace(run.session, wrong_tries=run.session.wrong_tries + 1)
    else:
        kept = AnswerState(selected=state.selected)
        _with_state(run, kept, wrong_tries=run.session.wrong_tries + 1, mode="ask")
    shown = message if isinstance(message, Html) else escape(message)
    await ask(turn, run, prefix=f"❗ {shown}\n\n")


async def on_text(turn: Turn, run: Run) -> None:
    text = turn.input.text or ""
    session = run.session
    if session.cursor is None:  # review: a number picks the answer to change
        return await _edit_by_number(turn, run, text.strip())
    state = _state(run)
    if session.mode == "confirm" and state.choices is None:  # a soft rule waits for its buttons
        return await wrong(turn, run, turn.t("form.use_buttons"))
    question = run.form.question(session.cursor)
    if question.type is QuestionType.MULTICHOICE and not text.strip():
        return await wrong(turn, run, turn.t("form.use_buttons"))
    try:
        value = parse_answer(question, text, run.today)
    except AnswerError as problem:
        return await wrong(turn, run, turn.t(problem.key, **problem.params))
    if isinstance(value, Ambiguous):
        return await ask_which_number(turn, run, value)
    if state.choices is not None:  # typed again instead of pressing: this is the answer
        _with_state(run, AnswerState(confirmed=state.confirmed), mode="ask")
    await accept(turn, run, value)


async def on_location(turn: Turn, run: Run) -> None:
    """A shared location, where the form accepts one: kept with the draft (optional)."""
    assert turn.input.location is not None
    latitude, longitude = turn.input.location
    if not location_ok(latitude, longitude):
        return await wrong(turn, run, turn.t("household.location_outside"))
    value = {"lat": round(latitude, 6), "lon": round(longitude, 6)}
    session = replace(run.session, wrong_tries=0)
    await run.kind.store(turn).save_answer(run.draft.id, LOCATION_KEY, value, session=session)
    run.draft = replace(run.draft, answers={**run.answers, LOCATION_KEY: value})
    run.session = session
    await ask(turn, run, turn.t("household.location_saved") + "\n\n")


async def _edit_by_number(turn: Turn, run: Run, text: str) -> None:
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    if text.isdecimal() and 1 <= int(text) <= len(relevant):
        return await _jump(turn, run, relevant[int(text) - 1].id)
    await wrong(turn, run, turn.t("form.review_pick", total=len(relevant)))


async def _jump(turn: Turn, run: Run, question_id: str | None) -> None:
    _with_state(run, AnswerState(), cursor=question_id, mode="ask", wrong_tries=0)
    await ask(turn, run)


async def on_button(turn: Turn, run: Run) -> None:
    button = decode(turn.input.button, "f")
    if button is None or button.nonce != run.session.nonce:
        await turn.chat.ack(turn.t("button.stale"))
        return
    await turn.chat.ack()
    if button.action == "t":  # a multiple-choice toggle updates the same message's buttons
        return await _toggle(turn, run, button)
    await turn.chat.clear_buttons()
    await _BUTTONS.get(button.action, _unknown_button)(turn, run, button)


async def _unknown_button(turn: Turn, run: Run, button: Callback) -> None:
    await ask(turn, run)


def _current(run: Run, kind: QuestionType) -> Question | None:
    question = run.form.question(run.session.cursor) if run.session.cursor else None
    return question if question is not None and question.type is kind else None


async def _yes(turn: Turn, run: Run, button: Callback) -> None:
    await (accept(turn, run, True) if _current(run, QuestionType.YESNO) else ask(turn, run))


async def _no(turn: Turn, run: Run, button: Callback) -> None:
    await (accept(turn, run, False) if _current(run, QuestionType.YESNO) else ask(turn, run))


async def _option(turn: Turn, run: Run, button: Callback) -> None:
    question = _current(run, QuestionType.CHOICE)
    index = button.index(len(question.options)) if question else None
    if question is None or index is None:
        return await ask(turn, run)
    await accept(turn, run, question.options[index].id)


async def _toggle(turn: Turn, run: Run, button: Callback) -> None:
    question = _current(run, QuestionType.MULTICHOICE)
    index = button.index(len(question.options)) if question else None
    if question is None or index is None:
        return await ask(turn, run)
    state = _state(run)
    selected = list(state.selected if state.selected is not None else run.answers.get(question.id) or [])
    option = question.options[index].id
    selected = [s for s in selected if s != option] if option in selected else [*selected, option]
    _with_state(run, state.model_copy(update={"selected": selected}))
    await turn.services.storage.reports.save_session(run.session)
    _, keyboard = question_prompt(turn, run, question)
    await turn.chat.set_buttons(keyboard)


async def _done(turn: Turn, run: Run, button: Callback) -> None:
    question = _current(run, QuestionType.MULTICHOICE)
    if question is None:
        return await ask(turn, run)
    state = _state(run)
    selected = state.selected if state.selected is not None else run.answers.get(question.id) or []
    if not selected and question.required:
        return await wrong(turn, run, turn.t("error.choose_at_least_one"))
    await accept(turn, run, [o.id for o in question.options if o.id in selected])


async def _confirm(turn: Turn, run: Run, button: Callback) -> None:
    state = _state(run)
    if run.session.mode != "confirm" or state.rule is None:
        return await ask(turn, run)
    confirmed = AnswerState(confirmed=[*state.confirmed, state.rule])
    _with_state(run, confirmed, mode="ask")
    await accept(turn, run, state.value)


async def _pick(turn: Turn, run: Run, button: Callback) -> None:
    """One reading of a number that reads two ways: range-checked now, then an answer."""
    state = _state(run)
    question = _current(run, QuestionType.MEASURE)
    index = button.index(len(state.choices)) if state.choices is not None else None
    if run.session.mode != "confirm" or state.choices is None or question is None or index is None:
        return await ask(turn, run)
    try:
        value = check_range(question, state.choices[index])
    except AnswerError as problem:  # the choice is asked again, with the reason
        return await wrong(turn, run, turn.t(problem.key, **problem.params))
    _with_state(run, AnswerState(confirmed=state.confirmed), mode="ask")
    await accept(turn, run, value)


async def _change(turn: Turn, run: Run, button: Callback) -> None:
    _with_state(run, AnswerState(), mode="ask")
    await ask(turn, run)


async def _edit(turn: Turn, run: Run, button: Callback) -> None:
    relevant = formflow.relevant_questions(run.form, run.answers, run.context)
    index = button.index(len(relevant))
    if run.session.cursor is not None or index is None:
        return await ask(turn, run)
    await _jump(turn, run, relevant[index].id)


async def go_back(turn: Turn, run: Run, button: Callback | None = None) -> None:
    previous = formflow.previous_question(run.form, run.answers, run.session.cursor, run.context)
    if previous is None:
        return await wrong(turn, run, turn.t("form.no_previous"))
    await _jump(turn, run, previous.id)


async def skip(turn: Turn, run: Run, button: Callback | None = None) -> None:
    if run.session.cursor is None:
        return await wrong(turn, run, turn.t("form.nothing_to_skip"))
    question = run.form.question(run.session.cursor)
    if question.required:
        return await wrong(turn, run, turn.t("form.required"))
    await accept(turn, run, None)


async def submit(turn: Turn, run: Run, button: Callback | None = None) -> None:
    if run.session.cursor is not None:
        return await ask(turn, run)
    missing = formflow.missing_required(run.form, run.answers, run.context)
    next_q = formflow.next_question(run.form, run.answers, run.context)
    broken = formflow.all_broken_rules(run.form, run.answers, "hard", run.context)
    if next_q or missing:
        return await _jump(turn, run, (next_q or missing[0]).id)
    if broken:
        return await wrong(turn, run, broken[0].message.get(turn.language))
    await run.kind.submit(turn, run)


_BUTTONS = {
    "y": _yes,
    "n": _no,
    "o": _option,
    "d": _done,
    "c": _confirm,
    "x": _change,
    "p": _pick,
    "e": _edit,
    "b": go_back,
    "s": skip,
    "k": submit,
}


async def start(turn: Turn, run: Run, prefix: str = "") -> None:
    """Into the form: at its first unanswered question (or the review when all are answered)."""
    next_q = formflow.next_question(run.form, run.answers, run.context)
    run.session = replace(run.session, cursor=next_q.id if next_q else None, mode="ask")
    await ask(turn, run, prefix)


async def on_update(turn: Turn, run: Run) -> None:
    """Anything the person did while in this form."""
    if turn.input.button is not None:
        return await on_button(turn, run)
    if turn.input.edited:
        return await wrong(turn, run, turn.t("form.edited"))
    if turn.input.text is not None and turn.input.command is None:
        return await on_text(turn, run)
    if turn.input.location is not None and run.accepts_location:
        return await on_location(turn, run)
    await wrong(turn, run, turn.t("form.text_expected"))
