"""/lapor: choose the form, period and posyandu, then the engine asks the questions; submit
makes the period's report or a new revision of it, and the person gets a short receipt.
A reminder's "fill it in now" button opens the report with everything already chosen."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from conversations import engine
from conversations.kinds import FormKind, Run
from conversations.turn import Button, Turn
from domain import formflow
from domain.answers import display, format_number, format_percent
from domain.callbacks import Callback, decode, encode
from domain.forms import FormSpec
from domain.models import Posyandu
from domain.periods import Period
from domain.texts import Html
from storage.areas import PosyanduNotFound
from storage.reports import AlreadySubmitted, Draft, Session, SubmittedBy

KIND = "report"


class ReportChoice(BaseModel):
    """What a person chose so far in /lapor's menus (session mode ``choose``)."""

    form: str | None = None
    posyandu: str | None = None
    period: str | None = None

    @classmethod
    def of(cls, session: Session) -> ReportChoice:
        return cls.model_validate(session.pending)


def _choosing(turn: Turn, nonce: int, choice: ReportChoice | None = None) -> Session:
    return Session(
        telegram_id=turn.input.user_id,
        kind=KIND,
        draft_id=None,
        cursor=None,
        mode="choose",
        wrong_tries=0,
        pending=(choice or ReportChoice()).model_dump(exclude_none=True),
        nonce=nonce,
    )


# -- choosing what to report --------------------------------------------------------------------
async def start_report(turn: Turn) -> None:
    """/lapor: continue a draft, or pick form -> period -> posyandu (each skipped when only one)."""
    reports = turn.services.storage.reports
    drafts = [d for d in await reports.drafts_of(turn.input.user_id) if d.form_id in turn.services.forms]
    current = await reports.session(turn.input.user_id)
    session = _choosing(turn, (current.nonce + 1) if current else 1)
    if drafts:
        await reports.save_session(session)
        buttons = [[_choice(session, "d", d.id, await _draft_label(turn, d))] for d in drafts[:8]]
        buttons.append([_choice(session, "n", 0, turn.t("report.new"))])
        await turn.chat.send(turn.t("report.drafts"), buttons)
        return
    await _advance(turn, session)


async def _draft_label(turn: Turn, draft: Draft) -> str:
    form = turn.services.forms[draft.form_id]
    posyandu = await turn.services.storage.areas.posyandu(draft.posyandu_id)
    return f"{form.title.get(turn.language)} · {posyandu.name} · {Period.parse(draft.period).label(turn.language)}"


def _choice(session: Session, what: str, value: str | int, label: str) -> Button:
    return Button(label[:60], encode("l", session.nonce, what, value))


async def chosen(turn: Turn, session: Session) -> None:
    button = decode(turn.input.button, "l")
    if button is None or button.nonce != session.nonce:
        await turn.chat.ack(turn.t("button.stale"))
        return
    await turn.chat.ack()
    await turn.chat.clear_buttons()
    if button.action == "d":
        return await _resume_draft(turn, session, button.id() or 0)
    choice = ReportChoice.of(session)
    if button.action in _CHOICE_FIELDS:
        choice = choice.model_copy(update={_CHOICE_FIELDS[button.action]: button.arg})
    await _advance(turn, _choosing(turn, session.nonce + 1, choice))


_CHOICE_FIELDS = {"f": "form", "y": "posyandu", "p": "period"}


async def _advance(turn: Turn, session: Session) -> None:
    services, account = turn.services, turn.account
    forms = services.report_forms(account.role)
    posyandu = await _posyandu_of(turn)
    if not forms or not posyandu:
        await turn.chat.send(turn.t("report.nothing_to_report"))
        return await turn.router.end(turn)
    choice = ReportChoice.of(session)
    form = _pick(choice.form, {f.id: f for f in forms})
    if form is None:
        return await _offer(
            turn, session, "report.choose_form", [(f.id, f.title.get(turn.language)) for f in forms], "f"
        )
    place = _pick(choice.posyandu, {str(p.id): p for p in posyandu})
    if place is None:
        return await _offer(turn, session, "report.choose_posyandu", [(str(p.id), p.name) for p in posyandu], "y")
    periods = await _open_periods(turn, form, place)
    if not periods:
        await turn.chat.send(turn.t("report.no_open_period"))
        return await turn.router.end(turn)
    period = _pick(choice.period, {str(p): p for p in periods})
    if period is None:
        options = [(str(p), await _period_label(turn, form, place, p)) for p in periods]
        return await _offer(turn, session, "report.choose_period", options, "p")
    await _open(turn, session, form, place, period)


def _pick(chosen: str | None, options: dict[str, Any]) -> Any:
    """The chosen option, or the only one there is; None when the person must choose."""
    if chosen is not None:
        return options.get(chosen)
    return next(iter(options.values())) if len(options) == 1 else None


async def _offer(turn: Turn, session: Session, prompt: str, options: list[tuple[str, str]], key: str) -> None:
    await turn.services.storage.reports.save_session(session)
    await turn.chat.send(turn.t(prompt), [[_choice(session, key, value, label)] for value, label in options])


async def _posyandu_of(turn: Turn) -> list[Posyandu]:
    account = turn.account
    village = account.home_village
    if village is None:
        return []
    return [p for p in await turn.services.storage.areas.posyandu_in(village) if account.covers_posyandu(p)]


async def _open_periods(turn: Turn, form: FormSpec, place: Posyandu) -> list[Period]:
    today = await turn.services.today_in(place.village_code)
    periods = set(form.schedule.reportable(today))
    unlocked = await turn.services.storage.reports.unlocked_periods(form.id, place.id)
    periods.update(Period.parse(p) for p in unlocked)
    return sorted(periods)


async def _period_label(turn: Turn, form: FormSpec, place: Posyandu, period: Period) -> str:
    info = await turn.services.storage.reports.info(form.id, place.id, str(period))
    state = turn.t("report.state_sent" if info else "report.state_open")
    return f"{period.label(turn.language)} ({state})"


async def _open(turn: Turn, session: Session, form: FormSpec, place: Posyandu, period: Period) -> None:
    """Open (or continue) this person's draft; a submitted report becomes a prefilled revision."""
    reports = turn.services.storage.reports
    latest = await reports.latest(form.id, place.id, str(period))
    draft = await reports.open_draft(form.id, place.id, str(period), turn.input.user_id, prefill=latest)
    session = replace(session, draft_id=draft.id, mode="ask", pending={})
    run = await _run(turn, session, draft)
    if latest is not None:
        info = await reports.info(form.id, place.id, str(period))
        prefix = turn.t("report.revising", revision=info.revision if info else 1)
    elif draft.answers:
        prefix = turn.t("report.continuing")
    else:
        prefix = turn.t("report.starting", title=run.title)
    await engine.start(turn, run, prefix + "\n\n")


async def _resume_draft(turn: Turn, session: Session, draft_id: int) -> None:
    reports = turn.services.storage.reports
    draft = await reports.draft(draft_id)
    if draft is None or draft.telegram_id != turn.input.user_id or draft.form_id not in turn.services.forms:
        return await _advance(turn, replace(session, nonce=session.nonce + 1))
    form = turn.services.forms[draft.form_id]
    place = await turn.services.storage.areas.posyandu(draft.posyandu_id)
    await _open(turn, session, form, place, Period.parse(draft.period))


# -- the reminder's button ----------------------------------------------------------------------
async def open_from_reminder(turn: Turn) -> None:
    """r:FORM_INDEX:POSYANDU_ID:YYYY-MM -> the report flow with everything preselected."""
    services, account = turn.services, turn.person
    target = await _reminder_target(turn, decode(turn.input.button, "r"))
    if target is None or account is None:
        return await turn.chat.ack(turn.t("button.stale"))
    form, place, period = target
    today = await services.today_in(place.village_code)
    if today > form.schedule.locks_after(period) and not await services.storage.reports.unlocked(
        form.id, place.id, str(period)
    ):
        return await turn.chat.ack(turn.t("reminder.locked"), alert=True)
    await turn.chat.ack()
    current = await services.storage.reports.session(account.telegram_id)
    choice = ReportChoice(form=form.id, posyandu=str(place.id), period=str(period))
    await _advance(turn, _choosing(turn, (current.nonce + 1) if current else 1, choice))


async def _reminder_target(turn: Turn, button: Callback | None) -> tuple[FormSpec, Posyandu, Period] | None:
    account, forms = turn.person, list(turn.services.forms.values())
    if (
        button is None
        or account is None
        or button.nonce >= len(forms)
        or (posyandu_id := button.id(button.action)) is None
    ):
        return None
    form = forms[button.nonce]
    try:
        place = await turn.services.storage.areas.posyandu(posyandu_id)
        period = Period.parse(button.arg)
    except (PosyanduNotFound, ValueError):
        return None
    if form.kind != "report" or account.role not in form.roles or not account.covers_posyandu(place):
        return None
    return form, place, period


# -- the report kind ----------------------------------------------------------------------------
async def _run(turn: Turn, session: Session, draft: Draft) -> Run:
    form = turn.services.forms[draft.form_id]
    title, frame, village = await _frame(turn, form, draft.posyandu_id, draft.period)
    return Run(
        form=form,
        draft=draft,
        session=session,
        context=frame,
        title=title,
        kind=REPORT,
        today=await turn.services.today_in(village),
    )


async def _frame(turn: Turn, form: FormSpec, posyandu_id: int, period_text: str) -> tuple[str, formflow.Context, str]:
    """The title a report is shown under, what its rules see (last month's values), its village."""
    period = Period.parse(period_text)
    place, previous = await turn.services.storage.reports.posyandu_with_latest(form.id, posyandu_id, str(period.prev()))
    title = f"{form.title.get(turn.language)} · {place.name} · {period.label(turn.language)}"
    return title, formflow.Context(prev=previous or {}, month=period.month), place.village_code


class ReportKind(FormKind):
    name = KIND
    entry_commands = ("lapor",)

    async def load(self, turn: Turn, session: Session) -> Run | None:
        reports = turn.services.storage.reports
        draft = await reports.draft(session.draft_id) if session.draft_id else None
        if draft is None or draft.form_id not in turn.services.forms:
            return None
        return await _run(turn, session, draft)

    async def on_menu(self, turn: Turn, session: Session) -> None:
        if turn.input.button is not None:
            return await chosen(turn, session)
        await turn.chat.send(turn.t("report.use_buttons"))

    async def submit(self, turn: Turn, run: Run) -> None:
        services, draft = turn.services, run.draft
        place = await services.storage.areas.posyandu(draft.posyandu_id)
        period = Period.parse(draft.period)
        if not run.form.schedule.is_open(period, run.today) and not await services.storage.reports.unlocked(
            run.form.id, place.id, draft.period
        ):
            return await turn.chat.send(turn.t("report.locked"))
        answers, _ = formflow.prune(run.form, run.answers, run.context)
        try:
            result = await services.storage.reports.submit(
                draft, turn.account, place.village_code, answers, update_id=turn.input.update_id
            )
        except AlreadySubmitted:
            return
        await turn.chat.send(receipt(turn, run.form, run.title, run.context, answers, result.revision))

    async def replay(self, turn: Turn) -> bool:
        """The update that made a revision came again: its receipt may never have arrived."""
        submitted = await turn.services.storage.reports.submitted_by_update(turn.input.update_id)
        if submitted is None:
            return False
        await send_receipt_again(turn, submitted)
        return True


REPORT = ReportKind()


async def send_receipt_again(turn: Turn, submitted: SubmittedBy) -> None:
    form = turn.services.forms.get(submitted.form_id)
    if form is None:
        return
    title, frame, _ = await _frame(turn, form, submitted.posyandu_id, submitted.period)
    await turn.chat.send(receipt(turn, form, title, frame, submitted.answers, submitted.revision))


def receipt(
    turn: Turn, form: FormSpec, title: str, frame: formflow.Context, answers: dict[str, Any], revision: int
) -> Html:
    lang, previous = turn.language, frame.prev
    lines = [turn.t("report.sent", title=title, revision=revision)]
    for question in (q for q in form.questions if q.key and q.id in answers):
        value, before = answers[question.id], previous.get(question.id)
        change = _change(value, before, lang) if isinstance(value, int | float) and before is not None else ""
        lines.append(f"• {question.label.get(lang)}: <b>{display(question, value, lang)}</b>{change}")
    now = formflow.derived_values(form, answers, frame)
    before_values = formflow.derived_values(form, previous, frame) if previous else {}
    for derived in formflow.key_derived(form):
        if now.get(derived.id) is None:
            continue
        change = ""
        if before_values.get(derived.id) is not None:
            points = (now[derived.id] - before_values[derived.id]) * 100
            shown = f"{points:+.1f}".replace(".", "," if lang != "en" else ".")
            change = " " + turn.t("report.change_points", points=shown)
        lines.append(f"• {derived.label.get(lang)}: <b>{format_percent(now[derived.id], lang)}</b>{change}")
    return Html("\n".join(lines))


def _change(value: float, before: float, lang: str) -> str:
    difference = value - before
    if difference == 0:
        return " (=)"
    sign = "+" if difference > 0 else "−"
    return f" ({sign}{format_number(abs(difference)) if lang != 'en' else f'{abs(difference):g}'})"
