"""Roles, and what each role may do. Pure: no Telegram, no SQL."""

from enum import StrEnum

from domain.texts import Html, t


class Role(StrEnum):
    KADER = "kader"
    BIDAN = "bidan"
    PERANGKAT_DESA = "perangkat_desa"
    KOORDINATOR = "koordinator"
    ADMIN = "admin"


REPORTERS = frozenset({Role.KADER, Role.BIDAN})
VILLAGE_ROLES = frozenset({Role.KADER, Role.BIDAN, Role.PERANGKAT_DESA})

# Commands each role sees in /bantuan and in its Telegram command menu, in menu order.
COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.KADER: ("lapor", "rumahtangga", "pengingat", "bahasa", "bantuan"),
    Role.BIDAN: ("lapor", "rumahtangga", "tinjau", "pengingat", "bahasa", "bantuan"),
    Role.PERANGKAT_DESA: ("ekspor", "pengingat", "bahasa", "bantuan"),
    Role.KOORDINATOR: ("ekspor", "capaian", "tinjau", "rumahtangga", "pengingat", "buka", "bahasa", "bantuan"),
    Role.ADMIN: (
        "undang",
        "mitra",
        "ekspor",
        "capaian",
        "tinjau",
        "rumahtangga",
        "pengingat",
        "buka",
        "audit",
        "bahasa",
        "bantuan",
    ),
}
GUEST_COMMANDS: tuple[str, ...] = ("start", "bahasa", "bantuan")
# Commands inside a guided form, for every registered person.
FORM_COMMANDS: tuple[str, ...] = ("kembali", "lewati", "batal")


def may_use(role: Role | None, command: str) -> bool:
    """Whether a user with ``role`` (None: not registered) may run ``/command``."""
    if command in GUEST_COMMANDS:
        return True
    return role is not None and (command in COMMANDS[role] or command in FORM_COMMANDS)


def help_text(lang: str, role: Role | None) -> Html:
    """/bantuan: what this person can do, one command a line."""
    names = COMMANDS[role] if role else GUEST_COMMANDS
    lines = [f"/{name} — {t(lang, f'command.{name}')}" for name in names]
    intro = t(lang, f"help.intro.{role.value}" if role else "help.intro.guest")
    return Html(intro + "\n\n" + "\n".join(lines) + "\n\n" + t(lang, "help.during_form"))
