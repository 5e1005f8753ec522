"""Everything the simulated Telegram knows: chats, messages, files, updates.

One :class:`threading.Condition` guards all of it.  HTTP handler threads
mutate the state; simulated people (test code, possibly in another thread)
read it and post updates.  Every change calls ``notify_all`` so that long
polls (``getUpdates``) and ``SimUser.wait_for`` wake up at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

from .errors import ApiError

# Telegram's default when allowed_updates is empty or never set.
DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


class ChatMessage:
    """A message in a simulated chat.

    ``data`` is the message's current Bot API JSON; an edit replaces the whole
    dict, so a reader in another thread always sees a consistent message.
    ``seq`` orders changes across the server: it is raised when the message
    is sent and again on every edit (what "unseen" means for waiting helpers).
    """

    __slots__ = ("data", "deleted", "keyboard", "seq")

    def __init__(self, data: dict, seq: int, keyboard: dict | None = None) -> None:
        self.data = data
        self.seq = seq
        self.deleted = False
        # A reply keyboard / ForceReply / ReplyKeyboardRemove: the user sees it,
        # but Telegram does not echo it back in the Message object.
        self.keyboard = keyboard

    @property
    def chat_id(self) -> int:
        return self.data["chat"]["id"]

    @property
    def message_id(self) -> int:
        return self.data["message_id"]

    @property
    def from_bot(self) -> bool:
        return self.data.get("from", {}).get("is_bot", False)

    @property
    def text(self) -> str | None:
        return self.data.get("text")

    @property
    def caption(self) -> str | None:
        return self.data.get("caption")

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has (``""`` for neither)."""
        return self.data.get("text") or self.data.get("caption") or ""

    @property
    def entities(self) -> list[dict]:
        return self.data.get("entities") or self.data.get("caption_entities") or []

    @property
    def reply_markup(self) -> dict | None:
        return self.data.get("reply_markup")

    @property
    def document(self) -> dict | None:
        return self.data.get("document")

    @property
    def buttons(self) -> list[dict]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def find_button(self, label: str | int) -> dict | None:
        """A button by flat index, exact label, or unique label substring."""
        buttons = self.buttons
        if isinstance(label, int):
            return buttons[label] if -len(buttons) <= label < len(buttons) else None
        exact = [b for b in buttons if b["text"] == label]
        partial = [b for b in buttons if label in b["text"]]
        if exact:
            return exact[0]
        return partial[0] if len(partial) == 1 else None

    def __repr__(self) -> str:
        extra = f" buttons={self.button_texts}" if self.buttons else ""
        if self.document:
            extra += f" document={self.document.get('file_name')!r}"
        return f"<ChatMessage {self.chat_id}/{self.message_id} {self.content[:60]!r}{extra}>"


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> dict:
        """The Bot API ``File`` object for getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


def update_kind(update: dict) -> str:
    return next(key for key in update if key != "update_id")


def scope_key(scope: dict | None, language_code: str | None) -> tuple:
    """Identify a BotCommandScope (+ language) the way Telegram stores command lists."""
    scope = scope or {"type": "default"}
    return (scope["type"], scope.get("chat_id"), scope.get("user_id"), language_code or "")


class State:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.closed = False
        self.users: dict[int, dict] = {}  # telegram id -> User JSON
        self.chats: dict[int, dict] = {}  # chat id -> Chat JSON
        self._messages: dict[int, dict[int, ChatMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self.sent_messages: list[ChatMessage] = []  # by the bot, in order
        self._seq = 0
        self.updates: list[dict] = []
        self._next_update_id = 1
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self.webhook_url = ""
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[tuple, list[dict]] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.pending_callbacks: dict[str, int] = {}  # callback query id -> user id
        self.callback_answers: dict[int, list[dict]] = {}
        self._next_callback = 1

    # -- chats and messages ---------------------------------------------------

    def chat(self, chat_id: int | str) -> dict:
        """Resolve a chat_id parameter (number or ``@username``) to a known chat."""
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if chat.get("username", "").lower() == wanted:
                    return chat
        elif chat_id in self.chats:
            return self.chats[chat_id]
        raise ApiError.bad_request("chat not found")

    def add_message(self, chat_id: int, fields: dict, keyboard: dict | None = None) -> ChatMessage:
        """Store a new message (from anyone) with the chat's next message_id."""
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        data = {"message_id": message_id, "date": int(time.time()), "chat": self.chats[chat_id], **fields}
        message = ChatMessage(data, self._bump(), keyboard)
        self._messages.setdefault(chat_id, {})[message_id] = message
        if message.from_bot:
            self.sent_messages.append(message)
        self.cond.notify_all()
        return message

    def replace(self, message: ChatMessage, data: dict) -> None:
        message.data = data
        message.seq = self._bump()
        self.cond.notify_all()

    def delete(self, message: ChatMessage) -> None:
        message.deleted = True
        self.cond.notify_all()

    def find_message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        message = self._messages.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def chat_messages(self, chat_id: int) -> list[ChatMessage]:
        """Live messages of a chat, oldest first."""
        return [m for m in self._messages.get(chat_id, {}).values() if not m.deleted]

    @property
    def seq(self) -> int:
        """The latest change number handed out (see :attr:`ChatMessage.seq`)."""
        return self._seq

    def _bump(self) -> int:
        self._seq += 1
        return self._seq

    # -- files ------------------------------------------------------------------

    def store_file(
        self, data: bytes, folder: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        number = len(self.files) + 1
        suffix = PurePosixPath(file_name).suffix if file_name else ""
        stored = StoredFile(
            file_id=f"LBA-{folder}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- updates ------------------------------------------------------------------

    def post_update(self, kind: str, payload: dict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        self.cond.notify_all()
        return update_id

    def new_callback_id(self, user_id: int) -> str:
        query_id = f"{user_id}{self._next_callback:08d}"
        self._next_callback += 1
        self.pending_callbacks[query_id] = user_id
        return query_id

    def poll(self, offset: int, limit: int, timeout: float, allowed_updates: list[str] | None) -> list[dict]:
        """getUpdates: confirm by offset, then wait up to ``timeout`` for updates.

        A newer poll makes a waiting older one fail with 409 Conflict, as on
        Telegram when two bot instances poll with the same token.  Must be
        called with ``cond`` held.
        """
        if allowed_updates is not None:
            self._allowed_updates = set(allowed_updates) or None
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self.cond.notify_all()
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            self.updates = [u for u in self.updates if self._allowed(update_kind(u))]
            remaining = deadline - time.monotonic()
            if self.updates or self.closed or remaining <= 0:
                return self.updates[:limit]
            self.cond.wait(remaining)

    def _allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    # -- bot commands ---------------------------------------------------------------

    def commands_for(self, chat_id: int, language_code: str = "") -> list[dict]:
        """The command menu a user sees in a chat, resolved like Telegram.

        Narrowest scope first (this chat, then all private or group chats, then
        default), at each scope the user's language before the language-less list.
        """
        broad = "all_private_chats" if self.chats[chat_id]["type"] == "private" else "all_group_chats"
        for scope in ({"type": "chat", "chat_id": chat_id}, {"type": broad}, None):
            for language in dict.fromkeys((language_code, "")):
                found = self.commands.get(scope_key(scope, language))
                if found:
                    return found
        return []

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
