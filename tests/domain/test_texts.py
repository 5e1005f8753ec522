"""The text catalogues: complete, consistent between languages, safe to fill in, and every key the code uses."""

from __future__ import annotations

import ast
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import identity
from domain.forms import QuestionType
from domain.households import Status
from domain.roles import COMMANDS, FORM_COMMANDS, GUEST_COMMANDS, Role
from domain.texts import DEFAULT_LANGUAGE, LANGUAGES, Html, catalogue, escape, placeholders, t
from storage.users import Outcome

REPO = Path(__file__).resolve().parents[2]
CODE_DIRS = ("app", "features", "handlers", "conversations", "runtime", "domain")
ID, EN = catalogue("id"), catalogue("en")
ALL_KEYS = sorted(ID)


# --------------------------------------------------------------------------- the catalogues


def test_languages():
    assert LANGUAGES == ("id", "en") and DEFAULT_LANGUAGE == "id"


def test_both_catalogues_have_the_same_keys():
    assert set(ID) - set(EN) == set(), "missing in en.yaml"
    assert set(EN) - set(ID) == set(), "missing in id.yaml"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_same_placeholders_in_both_languages(key):
    assert placeholders(ID[key]) == placeholders(EN[key])


@pytest.mark.parametrize("key", ALL_KEYS)
def test_no_empty_texts(key):
    assert ID[key].strip() and EN[key].strip()


def test_yaml_booleans_did_not_swallow_keys():
    # `yes:`/`no:` unquoted would become True/False in YAML
    assert {"button.yes", "button.no"} <= set(ID)
    assert not any(k.endswith((".True", ".False")) for k in ID)


def test_placeholders():
    assert placeholders("Halo {name}, {count} kode {name}") == {"name", "count"}
    assert placeholders("tanpa") == set()


class _TagChecker(HTMLParser):
    ALLOWED = frozenset(
        {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler", "blockquote"}
    )

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.ALLOWED:
            self.problems.append(f"<{tag}> is not Telegram HTML")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}> does not close the open tag")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_template_renders_as_telegram_html(lang, key):
    template = catalogue(lang)[key]
    text = t(lang, key, **{name: "x" for name in placeholders(template)})
    assert isinstance(text, Html)
    assert "{" not in text and "}" not in text
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    # a bare & would break Telegram's HTML parser
    assert not re.search(r"&(?![a-z]+;|#\d+;)", text)


def test_a_missing_parameter_is_an_error():
    with pytest.raises(KeyError):
        t("id", "start.welcome_back")


# --------------------------------------------------------------------------- filling in


@pytest.mark.parametrize(
    "value,shown",
    [
        ("<b>Budi</b>", "&lt;b&gt;Budi&lt;/b&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("'; DROP TABLE users; --", "'; DROP TABLE users; --"),
        ('<a href="x">', '&lt;a href="x"&gt;'),
        ("{name}", "{name}"),
        (12, "12"),
    ],
)
def test_parameters_are_escaped(value, shown):
    assert t("id", "start.welcome_back", name=value) == f"Halo lagi, {shown}!"
    assert t("en", "start.welcome_back", name=value) == f"Hello again, {shown}!"


def test_html_parameters_are_inserted_as_they_are():
    assert t("id", "start.welcome_back", name=Html("<b>Budi</b>")) == "Halo lagi, <b>Budi</b>!"
    nested = t("id", "invite.created", count=3, role=t("id", "role.kader"))
    assert nested == "3 kode untuk Kader posyandu:"
    assert escape(Html("<i>x</i>")) == "<i>x</i>"
    assert escape("<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"


def test_languages_and_fallback():
    assert t("en", "button.yes") == "Yes"
    assert t("id", "button.yes") == "Ya"
    assert t("xx", "button.yes") == "Ya"
    assert t("", "button.no") == "Tidak"
    with pytest.raises(KeyError):
        t("id", "no.such.key")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60), st.sampled_from(LANGUAGES))
def test_any_parameter_is_safe(value, lang):
    text = t(lang, "start.welcome_back", name=value)
    template = catalogue(lang)["start.welcome_back"]
    assert text == template.format(name=html.escape(value, quote=False))
    before, after = template.split("{name}")
    inserted = text[len(before) : len(text) - len(after)]
    assert "<" not in inserted and ">" not in inserted
    assert html.unescape(inserted) == value


# --------------------------------------------------------------------------- keys used by the code

_TOP = "|".join(re.escape(k) for k in sorted({key.split(".")[0] for key in ID}))
_KEY_LIKE = re.compile(rf"^(?:{_TOP})\.[a-z0-9_.]+$")


def _code_files():
    for folder in CODE_DIRS:
        yield from sorted((REPO / folder).rglob("*.py"))


def _pattern(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def _key_arguments(call: ast.Call) -> list[ast.AST]:
    """The key argument of t(lang, KEY), context.t(KEY), AnswerError(KEY) calls."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "t" and len(call.args) >= 2:
        return [call.args[1]]
    if isinstance(func, ast.Attribute) and func.attr == "t" and call.args:
        return [call.args[0]]
    if isinstance(func, ast.Name) and func.id == "AnswerError" and call.args:
        return [call.args[0]]
    return []


def _flatten(node: ast.AST):
    if isinstance(node, ast.IfExp):
        yield from _flatten(node.body)
        yield from _flatten(node.orelse)
    else:
        yield node


def _scan():
    literal_keys: dict[str, str] = {}
    patterns: dict[str, str] = {}
    for path in _code_files():
        where = str(path.relative_to(REPO))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_f_strings = {
            id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for argument in _key_arguments(node):
                    for part in _flatten(argument):
                        if isinstance(part, ast.Constant) and isinstance(part.value, str):
                            literal_keys.setdefault(part.value, where)
                        elif isinstance(part, ast.JoinedStr):
                            patterns.setdefault(_pattern(part), where)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in in_f_strings
                and _KEY_LIKE.match(node.value)
            ):
                # keys passed around before reaching t(), e.g. _offer(..., "report.choose_form")
                literal_keys.setdefault(node.value, where)
    return literal_keys, patterns


LITERAL_KEYS, KEY_PATTERNS = _scan()


def test_the_scan_finds_the_code():
    assert len(LITERAL_KEYS) > 60
    assert {
        "start.ask_code",
        "error.empty",
        "form.review_pick",
        "report.choose_form",
        "gate.not_for_role",
        "report.state_open",
    } <= set(LITERAL_KEYS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_literal_key_used_in_the_code_exists(lang):
    missing = {key: where for key, where in LITERAL_KEYS.items() if key not in catalogue(lang)}
    assert missing == {}


# Keys built with f-strings, and everything each one can expand to.
IDENTITY_REASONS = sorted(
    {
        node.args[0].value
        for node in ast.walk(ast.parse(Path(identity.__file__).read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "IdentityError"
    }
)
# Outcome.REGISTERED and Outcome.LIMITED are answered before the start.code_{...} line is reached.
CODE_OUTCOMES = [o.value for o in Outcome if o not in (Outcome.REGISTERED, Outcome.LIMITED)]
ALL_COMMANDS = sorted({name for names in COMMANDS.values() for name in names} | set(GUEST_COMMANDS))
EXPANSIONS = {
    "start.code_{}": CODE_OUTCOMES,
    "role.{}": [r.value for r in Role],
    "form.hint.{}": [x.value for x in QuestionType],
    "command.{}": ALL_COMMANDS,
    "help.intro.{}": [r.value for r in Role],
    "error.nik_{}": IDENTITY_REASONS,
    "error.kk_{}": IDENTITY_REASONS,
    "household.ask_{}": ["kk", "name", "area"],  # households: the typed search steps
    "household.status_{}": [s.value for s in Status],  # households
}


def test_every_f_string_key_is_known_here():
    """A new f-string key must be added to EXPANSIONS, so that its expansions are checked."""
    assert set(KEY_PATTERNS) <= set(EXPANSIONS), set(KEY_PATTERNS) - set(EXPANSIONS)
    assert set(KEY_PATTERNS) == set(EXPANSIONS)


def test_identity_reasons_were_found():
    assert IDENTITY_REASONS == ["date", "length", "province", "regency", "serial"]
    assert set(CODE_OUTCOMES) == {"unknown", "expired", "used", "already"}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("pattern", sorted(EXPANSIONS))
def test_every_f_string_key_expansion_exists(lang, pattern):
    keys = [pattern.replace("{}", value) for value in EXPANSIONS[pattern]]
    assert keys
    assert [k for k in keys if k not in catalogue(lang)] == []


def test_help_has_a_guest_intro_and_every_role_a_menu():
    assert "help.intro.guest" in ID
    assert set(COMMANDS) == set(Role)
    for role in Role:
        t("id", f"help.intro.{role.value}")
        for name in COMMANDS[role]:
            assert t("en", f"command.{name}")


def test_form_commands_are_explained_in_the_help():
    for lang in LANGUAGES:
        during = catalogue(lang)["help.during_form"]
        assert all(f"/{name}" in during for name in FORM_COMMANDS)


def test_answer_errors_render_with_their_params():
    from domain.answers import AnswerError, parse_answer
    from domain.forms import Question

    question = Question.model_validate({"id": "q", "type": "count", "max": 10, "label": {"id": "x", "en": "x"}})
    for text in ["abc", "1,5", "-1", "11", ""]:
        with pytest.raises(AnswerError) as caught:
            parse_answer(question, text)
        for lang in LANGUAGES:
            assert t(lang, caught.value.key, **caught.value.params)
