"""What each simulated Bot API method does once its request passed validation.

Handlers run with the state's lock held and return the ``result`` value of
the response, or raise :class:`ApiError` with Telegram's wording.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ApiError
from .rules import FormattedText
from .spec import Spec, UploadedFile
from .state import ChatMessage, State, scope_key

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class Call:
    method: str
    params: dict
    token: str
    formatted: dict[str, FormattedText] = field(default_factory=dict)


@dataclass
class BotProfile:
    username: str = "LaporDesaBot"
    first_name: str = "Lapor Desa"

    def user(self, token: str) -> dict:
        """The bot's User object; like Telegram, its id is the token's numeric prefix."""
        prefix = token.split(":", 1)[0]
        return {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


Handler = Callable[[State, BotProfile, Call], object]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = function
        return function

    return register


def dispatch(spec: Spec, state: State, bot: BotProfile, call: Call):
    handler = HANDLERS.get(call.method)
    if handler is not None:
        with state.cond:
            return handler(state, bot, call)
    if spec.returns(call.method) == ["Boolean"]:
        return True
    raise ApiError(501, f"Not Implemented: localbotapi does not simulate {call.method}")


# -- bot and updates ---------------------------------------------------------------


@handles("getMe")
def get_me(state: State, bot: BotProfile, call: Call) -> dict:
    return {
        **bot.user(call.token),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@handles("getUpdates")
def get_updates(state: State, bot: BotProfile, call: Call) -> list[dict]:
    if state.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    params = call.params
    limit = min(max(params.get("limit", 100), 1), 100)
    return state.poll(params.get("offset", 0), limit, max(params.get("timeout", 0), 0), params.get("allowed_updates"))


@handles("setWebhook")
def set_webhook(state: State, bot: BotProfile, call: Call) -> bool:
    state.webhook_url = call.params["url"]
    return True


@handles("deleteWebhook")
def delete_webhook(state: State, bot: BotProfile, call: Call) -> bool:
    state.webhook_url = ""
    if call.params.get("drop_pending_updates"):
        state.updates.clear()
    return True


@handles("getWebhookInfo")
def get_webhook_info(state: State, bot: BotProfile, call: Call) -> dict:
    return {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }


@handles("close", "logOut")
def close(state: State, bot: BotProfile, call: Call) -> bool:
    return True


# -- commands and descriptions ---------------------------------------------------------


def _command_scope(state: State, call: Call) -> tuple:
    scope = call.params.get("scope")
    if scope and "chat_id" in scope:
        scope = {**scope, "chat_id": state.chat(scope["chat_id"])["id"]}
    return scope_key(scope, call.params.get("language_code"))


@handles("setMyCommands")
def set_my_commands(state: State, bot: BotProfile, call: Call) -> bool:
    if len(call.params["commands"]) > 100:
        raise ApiError.bad_request("too many commands")
    state.commands[_command_scope(state, call)] = call.params["commands"]
    return True


@handles("getMyCommands")
def get_my_commands(state: State, bot: BotProfile, call: Call) -> list[dict]:
    return state.commands.get(_command_scope(state, call), [])


@handles("deleteMyCommands")
def delete_my_commands(state: State, bot: BotProfile, call: Call) -> bool:
    state.commands.pop(_command_scope(state, call), None)
    return True


@handles("setMyDescription", "setMyShortDescription")
def set_description(state: State, bot: BotProfile, call: Call) -> bool:
    name = "short_description" if call.method == "setMyShortDescription" else "description"
    state.descriptions[(name, call.params.get("language_code", ""))] = call.params.get(name, "")
    return True


@handles("getMyDescription", "getMyShortDescription")
def get_description(state: State, bot: BotProfile, call: Call) -> dict:
    name = "short_description" if call.method == "getMyShortDescription" else "description"
    return {name: state.descriptions.get((name, call.params.get("language_code", "")), "")}


# -- chats ---------------------------------------------------------------------------


@handles("getChat")
def get_chat(state: State, bot: BotProfile, call: Call) -> dict:
    chat = state.chat(call.params["chat_id"])
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@handles("sendChatAction")
def send_chat_action(state: State, bot: BotProfile, call: Call) -> bool:
    state.chat(call.params["chat_id"])
    return True


# -- sending ------------------------------------------------------------------------


def _new_bot_message(state: State, bot: BotProfile, call: Call, content: dict) -> dict:
    chat = state.chat(call.params["chat_id"])
    fields = {"from": bot.user(call.token), **content}
    reply = call.params.get("reply_parameters")
    if reply:
        target = state.find_message(chat["id"], reply["message_id"])
        if target is not None:
            fields["reply_to_message"] = {k: v for k, v in target.data.items() if k != "reply_to_message"}
        elif not reply.get("allow_sending_without_reply"):
            raise ApiError.bad_request("message to be replied not found")
    markup = call.params.get("reply_markup")
    keyboard = None
    if markup and "inline_keyboard" in markup:
        fields["reply_markup"] = markup
    else:
        keyboard = markup
    return state.add_message(chat["id"], fields, keyboard).data


def _formatted(call: Call, name: str) -> dict:
    """``{"text": ..., "entities": [...]}`` (or caption) for a message body."""
    formatted = call.formatted.get(name)
    if formatted is None:
        return {}
    body = {name: formatted.text}
    if formatted.entities:
        body["entities" if name == "text" else "caption_entities"] = formatted.entities
    return body


@handles("sendMessage")
def send_message(state: State, bot: BotProfile, call: Call) -> dict:
    return _new_bot_message(state, bot, call, _formatted(call, "text"))


@handles("sendDocument")
def send_document(state: State, bot: BotProfile, call: Call) -> dict:
    document = call.params["document"]
    if isinstance(document, UploadedFile):
        stored = state.store_file(document.data, "documents", document.filename, document.content_type)
    elif document in state.files:
        stored = state.files[document]
    else:
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
    content = {
        "document": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name or "document",
            "mime_type": stored.mime_type or "application/octet-stream",
            "file_size": len(stored.data),
        },
        **_formatted(call, "caption"),
    }
    return _new_bot_message(state, bot, call, content)


@handles("getFile")
def get_file(state: State, bot: BotProfile, call: Call) -> dict:
    stored = state.files.get(call.params["file_id"])
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return stored.as_file()


# -- editing and deleting -------------------------------------------------------------


def _message_to_edit(state: State, call: Call) -> ChatMessage:
    params = call.params
    if "inline_message_id" in params:
        raise ApiError.bad_request("MESSAGE_ID_INVALID")  # no inline mode here
    if "chat_id" not in params or "message_id" not in params:
        raise ApiError.bad_request("message to edit not found")
    message = state.find_message(state.chat(params["chat_id"])["id"], params["message_id"])
    if message is None:
        raise ApiError.bad_request("message to edit not found")
    if not message.from_bot:
        raise ApiError.bad_request("message can't be edited")
    return message


def _edit(state: State, message: ChatMessage, changes: dict, removed: tuple[str, ...]) -> dict:
    data = {k: v for k, v in message.data.items() if k not in removed and k != "edit_date"}
    data.update(changes)
    current = {k: v for k, v in message.data.items() if k != "edit_date"}
    if data == current:
        raise ApiError.bad_request(NOT_MODIFIED)
    data["edit_date"] = int(time.time())
    state.replace(message, data)
    return data


def _markup_change(call: Call) -> dict:
    """An edit without reply_markup removes the inline keyboard, as on Telegram."""
    markup = call.params.get("reply_markup")
    return {"reply_markup": markup} if markup else {}


@handles("editMessageText")
def edit_message_text(state: State, bot: BotProfile, call: Call) -> dict:
    message = _message_to_edit(state, call)
    if message.text is None:
        raise ApiError.bad_request("there is no text in the message to edit")
    changes = {**_formatted(call, "text"), **_markup_change(call)}
    return _edit(state, message, changes, ("entities", "reply_markup"))


@handles("editMessageCaption")
def edit_message_caption(state: State, bot: BotProfile, call: Call) -> dict:
    message = _message_to_edit(state, call)
    if message.text is not None:
        raise ApiError.bad_request("there is no caption in the message to edit")
    changes = {**_formatted(call, "caption"), **_markup_change(call)}
    return _edit(state, message, changes, ("caption", "caption_entities", "reply_markup"))


@handles("editMessageReplyMarkup")
def edit_message_reply_markup(state: State, bot: BotProfile, call: Call) -> dict:
    message = _message_to_edit(state, call)
    return _edit(state, message, _markup_change(call), ("reply_markup",))


@handles("deleteMessage")
def delete_message(state: State, bot: BotProfile, call: Call) -> bool:
    chat = state.chat(call.params["chat_id"])
    message = state.find_message(chat["id"], call.params["message_id"])
    if message is None:
        raise ApiError.bad_request("message to delete not found")
    state.delete(message)
    return True


@handles("answerCallbackQuery")
def answer_callback_query(state: State, bot: BotProfile, call: Call) -> bool:
    user_id = state.pending_callbacks.pop(call.params["callback_query_id"], None)
    if user_id is None:
        raise ApiError.bad_request("query is too old and response timeout expired or query ID is invalid")
    state.callback_answers.setdefault(user_id, []).append(dict(call.params))
    state.cond.notify_all()
    return True
