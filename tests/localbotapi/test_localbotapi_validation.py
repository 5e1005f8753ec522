"""Requests are checked against the vendored public Bot API spec and Telegram's limits."""

import json
from pathlib import Path

import pytest

from devtools.localbotapi import make_spec
from devtools.localbotapi.spec import Spec

INLINE = {"inline_keyboard": [[{"text": "Ya", "callback_data": "ya"}]]}


@pytest.fixture
def siti(server):
    return server.user(1001, "Siti")


def error(body):
    assert body["ok"] is False, body
    return body["error_code"], body["description"]


def test_valid_message_has_no_violation(server, api, siti):
    body = api("sendMessage", chat_id=1001, text="Halo", reply_markup=INLINE)
    assert body["ok"] and body["result"]["reply_markup"] == INLINE
    assert server.violations == []


def test_unknown_method_is_404_and_recorded(server, api):
    assert error(api("sendTelepathy", chat_id=1)) == (404, "Not Found")
    assert [v.method for v in server.violations] == ["sendTelepathy"]


def test_method_names_are_case_insensitive(api):
    assert api("GETME")["result"]["username"] == "LaporDesaBot"


def test_missing_required_parameter(server, api, siti):
    assert error(api("sendMessage", chat_id=1001)) == (400, 'Bad Request: parameter "text" is required')
    assert server.violations[0].error_code == 400


def test_unknown_parameter(api, siti):
    code, description = error(api("sendMessage", chat_id=1001, text="x", disable_web_page_preview=True))
    assert code == 400 and 'unknown parameter "disable_web_page_preview"' in description


def test_wrong_top_level_type(api, siti):
    code, description = error(api("sendMessage", chat_id=1001, text="x", disable_notification="maybe"))
    assert code == 400 and "must be of type Boolean" in description


def test_unknown_key_inside_keyboard(api, siti):
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "ya", "colour": "red"}]]}
    code, description = error(api("sendMessage", chat_id=1001, text="x", reply_markup=markup))
    assert code == 400 and '"inline_keyboard[0][0].colour" is not a field of InlineKeyboardButton' in description


def test_wrong_type_inside_keyboard(api, siti):
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": 7}]]}
    code, description = error(api("sendMessage", chat_id=1001, text="x", reply_markup=markup))
    assert code == 400 and "callback_data" in description and "String" in description


def test_reply_keyboard_is_accepted_but_not_echoed(server, api, siti):
    keyboard = {"keyboard": [[{"text": "Kirim lokasi", "request_location": True}]], "resize_keyboard": True}
    body = api("sendMessage", chat_id=1001, text="Lokasi?", reply_markup=keyboard)
    assert "reply_markup" not in body["result"]
    assert siti.last.keyboard == keyboard


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "Ya", "callback_data": "x" * 65}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "Ya", "callback_data": ""}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"text": "Ya"},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
    ],
)
def test_inline_button_rules(api, siti, button, description):
    assert error(api("sendMessage", chat_id=1001, text="x", reply_markup={"inline_keyboard": [[button]]})) == (
        400,
        description,
    )


def test_callback_data_limit_counts_utf8_bytes(api, siti):
    ok = {"inline_keyboard": [[{"text": "Ya", "callback_data": "é" * 32}]]}  # 64 bytes
    too_long = {"inline_keyboard": [[{"text": "Ya", "callback_data": "é" * 32 + "x"}]]}
    assert api("sendMessage", chat_id=1001, text="x", reply_markup=ok)["ok"]
    assert error(api("sendMessage", chat_id=1001, text="x", reply_markup=too_long))[0] == 400


def test_button_with_two_actions(api, siti):
    button = {"text": "Ya", "callback_data": "ya", "url": "https://example.org"}
    code, description = error(api("sendMessage", chat_id=1001, text="x", reply_markup={"inline_keyboard": [[button]]}))
    assert code == 400 and "exactly one action field" in description


def test_text_length_is_counted_after_entity_parsing(api, siti):
    assert api("sendMessage", chat_id=1001, text="<b>" + "a" * 4096 + "</b>", parse_mode="HTML")["ok"]
    assert error(api("sendMessage", chat_id=1001, text="a" * 4097)) == (
        400,
        "Bad Request: message is too long",
    )
    assert error(api("sendMessage", chat_id=1001, text="  \n ")) == (
        400,
        "Bad Request: message text is empty",
    )


def test_caption_length(api, siti):
    body = api("sendDocument", files={"document": ("a.txt", b"x")}, chat_id=1001, caption="c" * 1025)
    assert error(body) == (400, "Bad Request: message caption is too long")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<script>x</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("Suhu < 38", 'Unsupported start tag "" at byte offset 5'),
        ("Ibu & anak", 'unescaped "&"'),
        ("&nbsp;", 'unescaped "&"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_invalid_html_is_rejected(server, api, siti, text, problem):
    code, description = error(api("sendMessage", chat_id=1001, text=text, parse_mode="HTML"))
    assert code == 400 and description.startswith("Bad Request: can't parse entities: ") and problem in description
    assert len(server.violations) == 1


def test_html_is_not_parsed_without_parse_mode(api, siti):
    assert api("sendMessage", chat_id=1001, text="Suhu < 38 & naik")["result"]["text"] == "Suhu < 38 & naik"


def test_unsupported_parse_mode(api, siti):
    assert error(api("sendMessage", chat_id=1001, text="x", parse_mode="BBCode")) == (
        400,
        "Bad Request: unsupported parse_mode",
    )


def test_unknown_chat(api):
    assert error(api("sendMessage", chat_id=999, text="x")) == (400, "Bad Request: chat not found")


def test_command_scope_is_validated_by_discriminator(api, siti):
    commands = [{"command": "start", "description": "Mulai"}]
    assert api("setMyCommands", commands=commands, scope={"type": "chat", "chat_id": 1001})["ok"]
    code, description = error(api("setMyCommands", commands=commands, scope={"type": "chat"}))
    assert code == 400 and '"chat_id" is required in BotCommandScopeChat' in description
    bad_name = [{"command": "Mulai Sekarang", "description": "x"}]
    assert error(api("setMyCommands", commands=bad_name)) == (400, "Bad Request: BOT_COMMAND_INVALID")


def test_json_body_and_query_string_are_accepted(server, siti):
    import httpx

    url = f"{server.base_url}123:ABC"
    assert httpx.post(f"{url}/sendMessage", json={"chat_id": 1001, "text": "json"}).json()["ok"]
    assert httpx.get(f"{url}/sendMessage", params={"chat_id": "1001", "text": "query"}).json()["ok"]
    assert [m.text for m in siti.messages] == ["json", "query"]


def test_simulated_updates_conform_to_the_spec(server, api):
    siti, budi = server.user(1001, "Siti"), server.user(1002, "Budi", username="budi")
    group = server.group(-100, "Posyandu Melati")
    api("sendMessage", chat_id=1001, text="<b>Pilih</b>", parse_mode="HTML", reply_markup=INLINE)
    siti.send("/start arg")
    siti.send("halo", chat=group)
    siti.send("balas", reply_to=1)
    siti.send_sticker()
    siti.send_photo(caption="foto")
    siti.send_voice()
    siti.send_document("a.pdf", b"%PDF", "application/pdf")
    siti.send_location(-6.2, 106.8)
    siti.send_contact("+62811")
    siti.send_contact("+62812", "Budi")
    siti.forward("info", budi)
    siti.forward("info", "Anonim")
    siti.edit(siti.sent[0].message_id, "/start lagi")
    siti.press("Ya")
    spec = Spec.load()
    for update in server.pending_updates:
        spec.check(update, ["Update"])
    assert len(server.pending_updates) == 14


def test_vendored_spec_matches_public_spec():
    if not make_spec.DEFAULT_SOURCE.exists():
        pytest.skip("public api.json not available here")
    full = json.loads(make_spec.DEFAULT_SOURCE.read_text(encoding="utf-8"))
    assert make_spec.dumps(make_spec.compact_spec(full)) == make_spec.SPEC_FILE.read_text(encoding="utf-8")
    assert Path(make_spec.LICENSE_FILE).read_bytes() == make_spec.DEFAULT_SOURCE.with_name("LICENSE").read_bytes()
