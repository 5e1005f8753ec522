"""The texts of reminders, escalations, digests and /pengingat, in the recipient's language.
Every text stays well under Telegram's 4096 characters: long lists end with "… and N more"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.answers import format_percent
from domain.callbacks import encode
from domain.forms import FormSpec
from domain.models import User
from domain.periods import MONTHS_EN, MONTHS_ID, Period
from domain.roles import Role
from domain.texts import Html, escape, t
from features.reminders.planner import Completeness, Deadline, Digest, Escalation, Missing, Reminder

MAX_CHARS = 3500  # leave room under 4096 for the header and the "more" line
MAX_BUTTONS = 20
BUTTON_LABEL = 60
ROLE_KEYS = {
    Role.KADER: "role.kader",
    Role.BIDAN: "role.bidan",
    Role.PERANGKAT_DESA: "role.perangkat_desa",
    Role.KOORDINATOR: "role.koordinator",
    Role.ADMIN: "role.admin",
}


def button_data(forms_order: Sequence[str], form_id: str, posyandu_id: int, period: Period) -> str:
    """Callback data of a "fill it in now" button: r:FORM_INDEX:POSYANDU_ID:YYYY-MM (short)."""
    return encode("r", list(forms_order).index(form_id), str(posyandu_id), str(period))


def day_label(day: date, lang: str) -> str:
    months = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{day.day} {months[day.month - 1]} {day.year}"


def days_left(days: int, lang: str) -> Html:
    if days > 1:
        return t(lang, "reminder.left_days", days=days)
    if days == 1:
        return t(lang, "reminder.left_tomorrow")
    if days == 0:
        return t(lang, "reminder.left_today")
    return t(lang, "reminder.left_late", days=-days)


def _bounded(lang: str, head: str, lines: list[str], tail: Sequence[str] = ()) -> Html:
    """Head, as many lines as fit, "… and N more", then the tail."""
    kept, size = [], len(head) + sum(len(x) + 1 for x in tail)
    for index, line in enumerate(lines):
        if size + len(line) + 1 > MAX_CHARS:
            kept.append(t(lang, "reminder.more", count=len(lines) - index))
            break
        kept.append(line)
        size += len(line) + 1
    return Html("\n".join([head, *kept, *tail]))


def _button(lang: str, forms_order: Sequence[str], form: FormSpec, posyandu, period: Period) -> InlineKeyboardButton:
    label = t(lang, "reminder.button", form=form.title.get(lang), posyandu=posyandu.name)
    # Button labels are plain text: undo the HTML escaping of the catalogue.
    plain = label.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return InlineKeyboardButton(
        plain[:BUTTON_LABEL], callback_data=button_data(forms_order, form.id, posyandu.id, period)
    )


def render_reminders(items: Sequence[Reminder], forms_order: Sequence[str]) -> tuple[Html, InlineKeyboardMarkup]:
    lang = items[0].user.language
    lines = [
        t(
            lang,
            "reminder.item",
            form=r.form.title.get(lang),
            posyandu=r.posyandu.name,
            period=r.period.label(lang),
            due=day_label(r.due, lang),
            left=days_left(r.days_left, lang),
        )
        for r in items
    ]
    text = _bounded(lang, t(lang, "reminder.header"), lines, ["", t(lang, "reminder.footer")])
    buttons = [[_button(lang, forms_order, r.form, r.posyandu, r.period)] for r in items[:MAX_BUTTONS]]
    return text, InlineKeyboardMarkup(buttons)


def _person(lang: str, user: User) -> str:
    """A person's name as HTML, marked when the bot cannot reach them."""
    if user.reachable:
        return escape(user.name)
    return t(lang, "reminder.escalation_unreachable", name=user.name)


def render_escalation(item: Escalation) -> Html:
    lang = item.user.language
    head = t(
        lang,
        "reminder.escalation_header",
        period=item.period.label(lang),
        village=item.village.name,
        due=day_label(item.due, lang),
    )
    return _bounded(lang, head, [_missing_line(lang, m) for m in item.missing])


def _missing_line(lang: str, missing: Missing) -> str:
    people = (
        Html(", ".join(_person(lang, u) for u in missing.responsible))
        if missing.responsible
        else t(lang, "reminder.escalation_nobody")
    )
    return t(
        lang,
        "reminder.escalation_item",
        posyandu=missing.posyandu.name,
        form=missing.form.title.get(lang),
        people=people,
    )


def percent(row: Completeness, lang: str) -> str:
    return format_percent(row.rate, lang)


def render_digest(item: Digest) -> Html:
    lang = item.user.language
    head = t(lang, "reminder.digest_header", day=day_label(item.day, lang))
    return completeness_text(lang, item.villages, item.unreachable, head)


def completeness_text(lang: str, rows: Sequence[Completeness], unreachable: Sequence[User], head: str) -> Html:
    rows = sorted(rows, key=lambda r: (r.rate, r.village.name))  # the weakest first
    names = {r.village.code: r.village.name for r in rows}
    lines = [
        t(
            lang,
            "reminder.digest_village",
            village=r.village.name,
            period=r.period.label(lang),
            submitted=r.submitted,
            expected=r.expected,
            rate=percent(r, lang),
            on_time=r.on_time,
            late=r.late,
        )
        for r in rows
    ]
    expected = sum(r.expected for r in rows)
    submitted = sum(r.submitted for r in rows)
    rate = min(1.0, submitted / expected) if expected else 1.0
    tail = [
        "",
        t(lang, "reminder.digest_total", submitted=submitted, expected=expected, rate=format_percent(rate, lang)),
    ]
    if unreachable:
        tail += ["", t(lang, "reminder.digest_unreachable")]
        tail += [
            t(
                lang,
                "reminder.digest_person",
                name=u.name,
                role=t(lang, ROLE_KEYS[u.role]),
                village=names.get(u.home_village, u.home_village) or ", ".join(s.area_code for s in u.scope),
            )
            for u in unreachable[:30]
        ]
        if len(unreachable) > 30:
            tail.append(t(lang, "reminder.more", count=len(unreachable) - 30))
    return _bounded(lang, head, lines, tail)


def render_deadlines(
    lang: str, items: Sequence[Deadline], forms_order: Sequence[str]
) -> tuple[Html, InlineKeyboardMarkup | None]:
    waiting = [d for d in items if not d.submitted]
    done = len(items) - len(waiting)
    lines = [
        t(
            lang,
            "reminder.mine_item",
            form=d.form.title.get(lang),
            posyandu=d.posyandu.name,
            period=d.period.label(lang),
            due=day_label(d.due, lang),
            left=days_left(d.days_left, lang),
        )
        for d in waiting
    ]
    tail = []
    if done:
        tail = ["", t(lang, "reminder.mine_done", count=done)]
    if not waiting:
        return Html("\n".join([t(lang, "reminder.mine_none"), *tail[1:]])), None
    text = _bounded(lang, t(lang, "reminder.mine_header"), lines, tail)
    buttons = [[_button(lang, forms_order, d.form, d.posyandu, d.period)] for d in waiting[:MAX_BUTTONS]]
    return text, InlineKeyboardMarkup(buttons)


def render_village_status(lang: str, village, period: Period, due: date, missing: Sequence[Missing]) -> Html:
    head = t(lang, "reminder.village_header", period=period.label(lang), village=village.name, due=day_label(due, lang))
    if not missing:
        return Html(head + "\n" + t(lang, "reminder.village_complete"))
    return _bounded(lang, head, [_missing_line(lang, m) for m in missing])
