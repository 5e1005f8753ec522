"""/rumahtangga: add a household, or find one (KK number, the head's name, RT/RW list), look at
it, change only the fields that need changing (the engine's review), save a new version; mark it
moved or dissolved. The menus run in session mode "choose" with ``h:`` buttons; the form itself
is the engine's, with answers in the (encrypted) household drafts."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from conversations import engine
from conversations.kinds import FormKind, Run, Warning
from conversations.turn import Button, Turn
from domain import formflow
from domain.answers import display
from domain.callbacks import Callback, decode, encode
from domain.clock import from_iso
from domain.households import (
    KK_QUESTION,
    LOCATION_KEY,
    NIK_QUESTION,
    PAGE_SIZE,
    SEX_QUESTION,
    Status,
    identity_visible,
    last4,
    may_edit,
    may_open,
    nik_is_female,
    outside_regency,
    sensitive_ids,
)
from domain.identity import IdentityError, parse_kk
from domain.roles import Role
from domain.texts import LANGUAGES, Html, escape, t
from storage.households import AlreadySaved, DuplicateKK, Household
from storage.reports import Session

KIND = "household"


class HouseholdMenu(BaseModel):
    """Where a person is in the household menus (the session's pending state, mode ``choose``)."""

    step: str = "menu"  # menu | kk | name | area | list | card | dup
    village: str = ""
    household: int | None = None  # the card shown
    rt: str | None = None  # the RT/RW list asked for
    rw: str | None = None

    def dump(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def _menu_state(session: Session) -> HouseholdMenu:
    return HouseholdMenu.model_validate(session.pending)


_STATUS_ACTIONS = {"m": Status.MOVED, "d": Status.DISSOLVED, "a": Status.ACTIVE}


# -- entry --------------------------------------------------------------------------------------
async def start_households(turn: Turn) -> None:
    if await turn.router.busy(turn, KIND):  # a monthly report is open: finish or cancel it first
        return
    reports, user_id = turn.services.storage.reports, turn.input.user_id
    session = await reports.session(user_id)
    if not turn.services.storage.households.enabled or turn.services.household_form() is None:
        await turn.chat.send(turn.t("household.not_configured"))
        return
    village = await _village_for(turn)
    if village is None:
        await turn.chat.send(turn.t("household.which_village"))
        return
    session = Session(
        telegram_id=user_id,
        kind=KIND,
        draft_id=None,
        cursor=None,
        mode="choose",
        wrong_tries=0,
        pending=HouseholdMenu(village=village).dump(),
        nonce=(session.nonce + 1) if session else 1,
    )
    return await _menu(turn, session)


async def _village_for(turn: Turn) -> str | None:
    """Cadres and midwives: their village. Admins and coordinators: the code typed after the
    command, or the only village of their scope."""
    account, areas = turn.account, turn.services.storage.areas
    if account.role in (Role.KADER, Role.BIDAN):
        return account.home_village
    typed = (turn.input.args or [None])[0]
    if typed:
        return typed if await areas.village(typed) and may_open(account, typed) else None
    villages = [v for v in await areas.villages() if may_open(account, v.code)]
    return villages[0].code if len(villages) == 1 else None


def _id(text: str) -> int | None:
    """A number from button data, within bounds (forged data may carry anything)."""
    return Callback("h", 0, "", text).id()


def _button(session: Session, label: str, action: str, arg: str | int = "") -> Button:
    return Button(label[:60], encode("h", session.nonce, action, arg))


async def _show(turn: Turn, session: Session, text: str, rows: list[list]) -> None:
    session = replace(session, nonce=session.nonce + 1, mode="choose")
    rows = [[_button(session, *spec) for spec in row] for row in rows]
    await turn.services.storage.reports.save_session(session)
    await turn.chat.send(text, rows)
    return


async def _menu(turn: Turn, session: Session, prefix: str = "") -> None:
    village = _menu_state(session).village
    account, lang = turn.account, turn.language
    rows = []
    if may_edit(account, village):
        if await turn.services.storage.households.draft_of(account.telegram_id):
            rows.append([(t(lang, "household.continue"), "cont")])
        rows.append([(t(lang, "household.add"), "new")])
    rows.append([(t(lang, "household.find_kk"), "kk")])
    if identity_visible(account, village):
        rows.append([(t(lang, "household.find_name"), "nm")])
    rows.append([(t(lang, "household.find_area"), "ar")])
    place = await turn.services.storage.areas.village(village)
    text = prefix + turn.t("household.menu", village=place.name if place else village)
    return await _show(turn, replace(session, pending=HouseholdMenu(village=village).dump()), text, rows)


# -- the menus' updates -------------------------------------------------------------------------
async def on_menu(turn: Turn, session: Session) -> None:
    """Buttons and typed text while the person is in a household menu (engine.MENUS)."""
    village = _menu_state(session).village
    if not village or not may_open(turn.account, village):
        await turn.services.storage.reports.end_session(session.telegram_id)
        return
    if turn.input.button is not None:
        return await _on_button(turn, session)
    text = (turn.input.text or "").strip() if turn.input.command is None and not turn.input.edited else ""
    step = _menu_state(session).step
    if text and not text.startswith("/") and step in _TYPED:
        return await _TYPED[step](turn, session, text)
    await turn.chat.send(turn.t("household.use_buttons"))
    return


async def _on_button(turn: Turn, session: Session) -> None:
    button = decode(turn.input.button, "h")
    if button is None or button.nonce != session.nonce:
        await turn.chat.ack(turn.t("button.stale"))
        return
    await turn.chat.ack()
    await turn.chat.clear_buttons()
    action, arg = button.action, button.arg
    handler = _ACTIONS.get(action)
    if handler is None:
        return await _menu(turn, session)
    return await handler(turn, session, arg)


async def _ask_typed(turn, session: Session, step: str) -> None:
    session = replace(session, pending=HouseholdMenu(step=step, village=_menu_state(session).village).dump())
    return await _show(
        turn, session, turn.t(f"household.ask_{step}"), [[(t(turn.language, "household.to_menu"), "menu")]]
    )


async def _typed_kk(turn: Turn, session: Session, text: str) -> None:
    try:
        kk = parse_kk(text)
    except IdentityError as problem:
        await turn.chat.send(turn.t(f"error.kk_{problem.reason}"))
        return
    household = await turn.services.storage.households.find_by_kk(_menu_state(session).village, kk)
    if household is None:
        return await _menu(turn, session, turn.t("household.not_found") + "\n\n")
    return await _card(turn, session, household)


async def _typed_name(turn: Turn, session: Session, text: str) -> None:
    village = _menu_state(session).village
    if not identity_visible(turn.account, village):
        return await _menu(turn, session)
    found = await turn.services.storage.households.find_by_name(village, text)
    if not found:
        return await _menu(turn, session, turn.t("household.not_found") + "\n\n")
    return await _list(turn, session, found, turn.t("household.found", count=len(found)), [])


_AREA = re.compile(r"^(?:(\d{1,3})\s*[/ .-]\s*)?(\d{1,3})$")


async def _typed_area(turn: Turn, session: Session, text: str) -> None:
    """ "4/13" = RT 4 of RW 13, "13" = all of RW 13, "*" = the whole village."""
    match = _AREA.match(text)
    if text.lower() in ("*", "semua", "all"):
        rt = rw = None
    elif match:
        rt, rw = (f"{int(match[1]):03d}" if match[1] else None), f"{int(match[2]):03d}"
    else:
        await turn.chat.send(turn.t("household.bad_area"))
        return
    session = replace(session, pending=_menu_state(session).model_copy(update={"rt": rt, "rw": rw}).dump())
    return await _page(turn, session, "0")


_TYPED = {"kk": _typed_kk, "name": _typed_name, "area": _typed_area}


async def _page(turn: Turn, session: Session, arg: str) -> None:
    offset = _id(arg) or 0
    state = _menu_state(session)
    found, total = await turn.services.storage.households.in_area(state.village, state.rw, state.rt, offset)
    if not total:
        return await _menu(turn, session, turn.t("household.not_found") + "\n\n")
    paging = []
    if offset > 0:
        paging.append((t(turn.language, "household.previous"), "pg", max(0, offset - PAGE_SIZE)))
    if offset + PAGE_SIZE < total:
        paging.append((t(turn.language, "household.next"), "pg", offset + PAGE_SIZE))
    header = turn.t("household.page", first=offset + 1, last=offset + len(found), total=total)
    return await _list(turn, session, found, header, paging)


async def _list(turn: Turn, session: Session, found: list[Household], header: str, paging: list) -> None:
    village = _menu_state(session).village
    visible = identity_visible(turn.account, village)
    rows = [[(_label(turn, h, visible), "o", h.id)] for h in found]
    if paging:
        rows.append(paging)
    rows.append([(t(turn.language, "household.to_menu"), "menu")])
    listed = _menu_state(session).model_copy(update={"step": "list"})
    return await _show(turn, replace(session, pending=listed.dump()), header, rows)


def _label(turn: Turn, household: Household, visible: bool) -> str:
    who = household.head if visible else f"{household.pseudonym} KK {last4(household.kk)}"
    status = (
        "" if household.status is Status.ACTIVE else f" ({t(turn.language, f'household.status_{household.status}')})"
    )
    return f"{who} · RT {household.rt}/RW {household.rw}{status}"


# -- one household ------------------------------------------------------------------------------
async def _open(turn: Turn, session: Session, arg: str) -> None:
    household = await turn.services.storage.households.get(household_id) if (household_id := _id(arg)) else None
    if household is None or household.village_code != _menu_state(session).village:
        return await _menu(turn, session)
    return await _card(turn, session, household)


async def _card(turn: Turn, session: Session, household: Household, prefix: str = "") -> None:
    lang, account, village = turn.language, turn.account, household.village_code
    form = turn.services.household_form()
    answers = household.answers
    if identity_visible(account, village):
        who = turn.t(
            "household.card_identity",
            name=household.head or "—",
            kk=household.kk or "—",
            nik=answers.get(NIK_QUESTION) or "—",
        )
    else:
        who = turn.t("household.card_pseudonym", pseudonym=household.pseudonym, kk=last4(household.kk))
    counts = ", ".join(
        f"{form.question(q).label.get(lang).split('(')[0].rstrip(' ?')}: "
        f"{display(form.question(q), answers.get(q), lang)}"
        for q in ("jumlah_anggota", "jumlah_balita", "jumlah_ibu_hamil")
        if q in answers
    )
    versions = await turn.services.storage.households.versions(household.id)
    zone = turn.services.default_zone
    history = "\n".join(
        turn.t(
            "household.version_line",
            version=v["version"],
            at=_local(v["saved_at"], zone),
            role=t(lang, f"role.{v['saved_role']}"),
            changed=", ".join(v["changed"]) or "—",
        )
        for v in versions[-3:]
    )
    text = prefix + "\n".join(
        [
            who,
            turn.t("household.card_place", rt=household.rt, rw=household.rw, dusun=answers.get("dusun") or "—"),
            escape(counts),
            turn.t(
                "household.card_status",
                status=t(lang, f"household.status_{household.status}"),
                pseudonym=household.pseudonym,
                location=t(lang, "household.location_yes" if household.location else "household.location_no"),
            ),
            Html(history),
        ]
    )
    rows = []
    if may_edit(account, village):
        if household.status is Status.ACTIVE:
            rows.append([(t(lang, "household.edit"), "ed", household.id)])
            rows.append(
                [
                    (t(lang, "household.mark_moved"), "st", f"{household.id}.m"),
                    (t(lang, "household.mark_dissolved"), "st", f"{household.id}.d"),
                ]
            )
        else:
            rows.append([(t(lang, "household.mark_active"), "st", f"{household.id}.a")])
    rows.append([(t(lang, "household.to_menu"), "menu")])
    card = HouseholdMenu(step="card", village=village, household=household.id)
    return await _show(turn, replace(session, pending=card.dump()), text, rows)


def _local(saved_at: str, zone) -> None:
    return from_iso(saved_at).astimezone(zone).strftime("%d/%m/%Y %H.%M")


async def _ask_status(turn: Turn, session: Session, arg: str) -> None:
    household_id, _, action = arg.partition(".")
    if action not in _STATUS_ACTIONS or not _id(household_id):
        return await _menu(turn, session)
    status = _STATUS_ACTIONS[action]
    rows = [
        [
            (t(turn.language, "household.status_confirm"), "sy", arg),
            (t(turn.language, "household.status_cancel"), "o", household_id),
        ]
    ]
    return await _show(
        turn, session, turn.t("household.status_question", status=t(turn.language, f"household.status_{status}")), rows
    )


async def _set_status(turn: Turn, session: Session, arg: str) -> None:
    household_id, _, action = arg.partition(".")
    households = turn.services.storage.households
    household = await households.get(number) if (number := _id(household_id)) else None
    if household is None or action not in _STATUS_ACTIONS or not may_edit(turn.account, household.village_code):
        return await _menu(turn, session)
    try:
        await households.set_status(household.id, _STATUS_ACTIONS[action], turn.account, turn.input.update_id)
    except AlreadySaved:
        return
    household = await households.get(household.id)
    return await _card(turn, session, household, turn.t("household.status_saved") + "\n\n")


# -- into the form ------------------------------------------------------------------------------
async def _new(turn: Turn, session: Session, arg: str) -> None:
    return await _into_form(turn, session, None)


async def _edit(turn: Turn, session: Session, arg: str) -> None:
    household = await turn.services.storage.households.get(household_id) if (household_id := _id(arg)) else None
    if household is None or household.village_code != _menu_state(session).village:
        return await _menu(turn, session)
    return await _into_form(turn, session, household)


async def _into_form(turn: Turn, session: Session, household: Household | None) -> None:
    village = _menu_state(session).village
    if not may_edit(turn.account, village):
        return await _menu(turn, session)
    draft = await turn.services.storage.households.open_draft(turn.account.telegram_id, village, household)
    prefix = turn.t("household.editing" if household else "household.starting") + "\n\n"
    return await _to_engine(turn, session, draft, prefix)


async def _continue(turn: Turn, session: Session, arg: str) -> None:
    draft = await turn.services.storage.households.draft_of(turn.account.telegram_id)
    if draft is None or not may_edit(turn.account, draft.village_code):
        return await _menu(turn, session)
    return await _to_engine(turn, session, draft, turn.t("report.continuing") + "\n\n")


async def _to_engine(turn: Turn, session: Session, draft: Any, prefix: str) -> None:
    await engine.start(turn, await _run(turn, replace(session, mode="ask", pending={}), draft), prefix)


async def _duplicate_open(turn: Turn, session: Session, arg: str) -> None:
    await turn.services.storage.households.discard_draft(turn.account.telegram_id)
    return await _open(turn, session, arg)


async def _duplicate_change(turn: Turn, session: Session, arg: str) -> None:
    draft = await turn.services.storage.households.draft_of(turn.account.telegram_id)
    if draft is None:
        return await _menu(turn, session)
    run = await _run(turn, replace(session, mode="ask", pending={}, cursor=KK_QUESTION), draft)
    return await engine.ask(turn, run)


async def _to_menu(turn: Turn, session: Session, arg: str) -> None:
    return await _menu(turn, session)


_ACTIONS = {
    "menu": _to_menu,
    "new": _new,
    "cont": _continue,
    "ed": _edit,
    "o": _open,
    "pg": _page,
    "kk": lambda turn, s, a: _ask_typed(turn, s, "kk"),
    "nm": lambda turn, s, a: _ask_typed(turn, s, "name"),
    "ar": lambda turn, s, a: _ask_typed(turn, s, "area"),
    "st": _ask_status,
    "sy": _set_status,
    "dupo": _duplicate_open,
    "dupc": _duplicate_change,
}


# -- the household kind -------------------------------------------------------------------------
async def _run(turn: Turn, session: Session, draft: Any) -> Run:
    form = turn.services.household_form()
    assert form is not None
    return Run(
        form=form,
        draft=draft,
        session=session,
        context=formflow.Context(),
        title=form.title.get(turn.language),
        kind=HOUSEHOLD,
        today=await turn.services.today_in(draft.village_code),
        accepts_location=True,
    )


def _warning(rule_id: str, key: str) -> Warning:
    """A soft check that is not a form rule (it needs the village): confirmed like one."""
    return Warning(rule_id, {lang: t(lang, key) for lang in LANGUAGES})


class HouseholdKind(FormKind):
    name = KIND
    cancelled_key = "household.cancelled"
    entry_commands = ("rumahtangga",)

    def store(self, turn: Turn) -> Any:
        return turn.services.storage.households

    async def load(self, turn: Turn, session: Session) -> Run | None:
        households = turn.services.storage.households
        draft = await households.draft_of(session.telegram_id) if households.enabled else None
        if draft is None or turn.services.household_form() is None:
            return None
        return await _run(turn, session, draft)

    async def on_menu(self, turn: Turn, session: Session) -> None:
        await on_menu(turn, session)

    async def check_answer(self, turn: Turn, run: Run, question: Any, value: Any) -> Warning | bool | None:
        village = run.draft.village_code
        if question.id == KK_QUESTION:
            existing = await turn.services.storage.households.find_by_kk(village, value)
            if existing is not None and existing.id != run.draft.household_id:
                await _offer_duplicate(turn, run, existing)
                return True
        warning = None
        if question.id in (KK_QUESTION, NIK_QUESTION) and outside_regency(value, village):
            warning = _warning(f"{question.id}_wilayah", f"household.warn_area_{question.id}")
        nik = run.answers.get(NIK_QUESTION)
        if question.id == SEX_QUESTION and nik and nik_is_female(nik) != (value == "p"):
            warning = _warning("nik_jenis_kelamin", "household.warn_sex")
        return warning

    async def submit(self, turn: Turn, run: Run) -> None:
        draft, account = run.draft, turn.account
        if not may_edit(account, draft.village_code):
            await turn.services.storage.reports.end_session(account.telegram_id)
            return
        answers, _ = formflow.prune(run.form, run.answers, run.context)
        location = run.answers.get(LOCATION_KEY)
        households = turn.services.storage.households
        if draft.household_id is not None:
            current = await households.get(draft.household_id)
            if current is not None and current.answers == answers and current.location == location:
                await households.discard_draft(account.telegram_id)
                await turn.services.storage.reports.end_session(account.telegram_id)
                await turn.chat.send(turn.t("household.unchanged"))
                return
        try:
            saved = await households.save(
                draft, account, answers, sensitive_ids(run.form), location, update_id=turn.input.update_id
            )
        except AlreadySaved:
            return
        except DuplicateKK as duplicate:
            return await _offer_duplicate(turn, run, await households.get(duplicate.household_id))
        key = "household.saved_changes" if saved.version > 1 else "household.saved_new"
        await turn.chat.send(turn.t(key, pseudonym=saved.pseudonym, version=saved.version, count=len(saved.changed)))


HOUSEHOLD = HouseholdKind()


async def _offer_duplicate(turn: Turn, run: Run, existing: Household) -> None:
    session = replace(
        run.session,
        mode="choose",
        cursor=None,
        pending=HouseholdMenu(step="dup", village=run.draft.village_code).dump(),
    )
    visible = identity_visible(turn.account, existing.village_code)
    text = turn.t("household.duplicate", household=_label(turn, existing, visible))
    rows = [
        [(t(turn.language, "household.duplicate_open"), "dupo", existing.id)],
        [(t(turn.language, "household.duplicate_change"), "dupc")],
    ]
    return await _show(turn, session, text, rows)
