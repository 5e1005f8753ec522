"""Simulated Telegram users and groups, driven from tests or the demo.

A :class:`SimUser` produces updates shaped like those real Telegram clients
cause (commands carry a ``bot_command`` entity, presses carry the message
they were made on, ...).  Reading is per chat (:class:`Conversation`): the
bot's messages in order, and waiting helpers built on a cursor, so "wait for
the next message I have not seen yet" never returns an old message twice and
never misses one that arrived before the wait began.  Edits count as new:
after the bot edits a message, it is unseen again.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable

from .html_check import utf16_len
from .state import ChatMessage, State

Predicate = Callable[[ChatMessage], bool]
_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00localbotapi photo\xff\xd9"
_FAKE_OGG = b"OggS\x00\x02localbotapi voice"


class Conversation:
    """The bot's messages in one chat, and ways to wait for new ones."""

    def __init__(self, state: State, chat_id: int) -> None:
        self._state = state
        self.chat_id = chat_id
        self._cursor = 0  # highest ChatMessage.seq already returned by a wait

    @property
    def messages(self) -> list[ChatMessage]:
        """All live bot messages in this chat, oldest first, as they are now."""
        with self._state.cond:
            return [m for m in self._state.chat_messages(self.chat_id) if m.from_bot]

    @property
    def last(self) -> ChatMessage | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def unseen(self) -> list[ChatMessage]:
        """Bot messages sent or edited since the last successful wait, in that order."""
        with self._state.cond:
            return sorted((m for m in self.messages if m.seq > self._cursor), key=lambda m: m.seq)

    def mark_seen(self) -> None:
        """Treat everything so far as seen: the next wait only sees later messages."""
        with self._state.cond:
            self._cursor = self._state.seq

    def _take(self, predicate: Predicate | None) -> ChatMessage | None:
        for message in self.unseen:
            if predicate is None or predicate(message):
                self._cursor = message.seq
                return message
        return None

    def _timeout(self, what: str, timeout: float) -> TimeoutError:
        return TimeoutError(
            f"chat {self.chat_id}: no bot message {what} within {timeout}s; "
            f"unseen: {self.unseen!r}; last: {self.last!r}"
        )

    def wait_for(self, predicate: Predicate | None = None, timeout: float = 10.0) -> ChatMessage:
        """Block until an unseen bot message matches; mark it (and earlier ones) seen."""
        deadline = time.monotonic() + timeout
        with self._state.cond:
            while (found := self._take(predicate)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout("matching", timeout)
                self._state.cond.wait(remaining)
            return found

    def wait_for_text(self, substring: str, timeout: float = 10.0) -> ChatMessage:
        try:
            return self.wait_for(lambda m: substring in m.content, timeout)
        except TimeoutError:
            raise self._timeout(f"containing {substring!r}", timeout) from None

    async def await_for(self, predicate: Predicate | None = None, timeout: float = 10.0) -> ChatMessage:
        """Like :meth:`wait_for`, but polls with ``asyncio.sleep`` so an Application
        running in the same event loop keeps working while the test waits."""
        deadline = time.monotonic() + timeout
        while True:
            with self._state.cond:
                found = self._take(predicate)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise self._timeout("matching", timeout)
            await asyncio.sleep(0.005)

    async def await_text(self, substring: str, timeout: float = 10.0) -> ChatMessage:
        try:
            return await self.await_for(lambda m: substring in m.content, timeout)
        except TimeoutError:
            raise self._timeout(f"containing {substring!r}", timeout) from None


class SimGroup(Conversation):
    """A group chat; members post into it with ``user.send(text, chat=group)``."""

    def __init__(self, state: State, chat: dict) -> None:
        super().__init__(state, chat["id"])
        self.chat = chat

    @property
    def title(self) -> str:
        return self.chat["title"]


class SimUser(Conversation):
    """A person chatting with the bot; their private chat id equals their user id.

    Every ``send_*``/``press``/``edit`` method returns the id of the update it
    queued; ``chat=`` redirects a message to a :class:`SimGroup`.
    """

    def __init__(self, state: State, user: dict) -> None:
        super().__init__(state, user["id"])
        self.user = user
        self.sent: list[ChatMessage] = []  # this user's own messages, any chat

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def first_name(self) -> str:
        return self.user["first_name"]

    @property
    def callback_answers(self) -> list[dict]:
        """answerCallbackQuery calls the bot made for this user's presses."""
        with self._state.cond:
            return list(self._state.callback_answers.get(self.id, []))

    # -- messages ---------------------------------------------------------------

    def _post(self, fields: dict, chat: SimGroup | None) -> int:
        state = self._state
        chat_id = chat.chat_id if chat else self.id
        with state.cond:
            message = state.add_message(chat_id, {"from": self.user, **fields})
            self.sent.append(message)
            return state.post_update("message", message.data)

    def send(self, text: str, *, chat: SimGroup | None = None, reply_to: int | None = None) -> int:
        """A text message; ``/command args`` gets a bot_command entity like in real clients."""
        fields: dict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        if reply_to is not None:
            target = self._state.find_message(chat.chat_id if chat else self.id, reply_to)
            if target is None:
                raise ValueError(f"no message {reply_to} to reply to")
            fields["reply_to_message"] = {k: v for k, v in target.data.items() if k != "reply_to_message"}
        return self._post(fields, chat)

    def _file(self, data: bytes, folder: str, name: str | None = None, mime_type: str | None = None) -> dict:
        with self._state.cond:
            stored = self._state.store_file(data, folder, name, mime_type)
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(data)}

    def send_sticker(self, emoji: str = "👍", *, chat: SimGroup | None = None) -> int:
        sticker = self._file(b"RIFF localbotapi sticker", "stickers", "sticker.webp", "image/webp")
        sticker.update(type="regular", width=512, height=512, is_animated=False, is_video=False, emoji=emoji)
        return self._post({"sticker": sticker}, chat)

    def send_photo(self, data: bytes = _FAKE_JPEG, caption: str | None = None, *, chat: SimGroup | None = None) -> int:
        photo = self._file(data, "photos", "photo.jpg", "image/jpeg")
        photo.update(width=1280, height=960)
        fields: dict = {"photo": [photo]}
        if caption is not None:
            fields["caption"] = caption
        return self._post(fields, chat)

    def send_voice(self, duration: int = 3, data: bytes = _FAKE_OGG, *, chat: SimGroup | None = None) -> int:
        voice = self._file(data, "voice", "voice.oga", "audio/ogg")
        voice.update(duration=duration, mime_type="audio/ogg")
        return self._post({"voice": voice}, chat)

    def send_document(
        self,
        name: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        *,
        chat: SimGroup | None = None,
    ) -> int:
        document = self._file(data, "documents", name, mime_type)
        document.update(file_name=name, mime_type=mime_type)
        fields: dict = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return self._post(fields, chat)

    def send_location(self, latitude: float, longitude: float, *, chat: SimGroup | None = None) -> int:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}}, chat)

    def send_contact(self, phone_number: str, first_name: str | None = None, *, chat: SimGroup | None = None) -> int:
        """A shared contact; without ``first_name`` it is the user's own (the
        "share my phone number" button), which carries their user_id."""
        contact = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        if first_name is None:
            contact["user_id"] = self.id
        return self._post({"contact": contact}, chat)

    def forward(self, text: str, from_user: SimUser | str, *, chat: SimGroup | None = None) -> int:
        """Forward a text written by ``from_user`` (a SimUser, or a name for a
        user who hides their account in forwards)."""
        origin: dict = {"date": int(time.time()) - 60}
        if isinstance(from_user, SimUser):
            origin.update(type="user", sender_user=from_user.user)
        else:
            origin.update(type="hidden_user", sender_user_name=from_user)
        return self._post({"text": text, "forward_origin": origin}, chat)

    def edit(self, message_id: int, new_text: str, *, chat: SimGroup | None = None) -> int:
        """Edit one of this user's text messages -> an ``edited_message`` update."""
        state = self._state
        with state.cond:
            message = state.find_message(chat.chat_id if chat else self.id, message_id)
            if message is None or message.data.get("from", {}).get("id") != self.id or message.text is None:
                raise ValueError(f"user {self.id} has no text message {message_id} to edit")
            data = {**message.data, "text": new_text, "edit_date": int(time.time())}
            data.pop("entities", None)
            state.replace(message, data)
            return state.post_update("edited_message", data)

    # -- inline buttons ----------------------------------------------------------------

    def press(
        self, button: str | int, message: ChatMessage | int | None = None, *, chat: SimGroup | None = None
    ) -> int:
        """Press an inline button by label (exact, or a unique substring) or flat index,
        on the given message or else on the newest bot message that has it."""
        chat_id = chat.chat_id if chat else self.id
        with self._state.cond:
            if message is None:
                candidates = reversed(self.messages if chat is None else chat.messages)
            else:
                candidates = [self._message(message, chat_id)]
            for candidate in candidates:
                found = candidate.find_button(button)
                if found is not None:
                    break
            else:
                last = self._state.chat_messages(chat_id)[-1:]
                raise ValueError(f"no inline button {button!r} in chat {chat_id}; last: {last!r}")
            if "callback_data" not in found:
                raise ValueError(f"button {found['text']!r} is not a callback button: {found}")
            return self._callback(candidate, found["callback_data"])

    def press_data(self, data: str, message_id: int | None = None, *, chat: SimGroup | None = None) -> int:
        """Send callback data the bot may never have offered (as a modified client could)."""
        chat_id = chat.chat_id if chat else self.id
        with self._state.cond:
            if message_id is None:
                bot_messages = [m for m in self._state.chat_messages(chat_id) if m.from_bot]
                if not bot_messages:
                    raise ValueError(f"no bot message in chat {chat_id} to press on")
                message = bot_messages[-1]
            else:
                message = self._message(message_id, chat_id)
            return self._callback(message, data)

    def _message(self, message: ChatMessage | int, chat_id: int) -> ChatMessage:
        if isinstance(message, ChatMessage):
            return message
        found = self._state.find_message(chat_id, message)
        if found is None:
            raise ValueError(f"no message {message} in chat {chat_id}")
        return found

    def _callback(self, message: ChatMessage, data: str) -> int:
        state = self._state
        query = {
            "id": state.new_callback_id(self.id),
            "from": self.user,
            "message": message.data,
            # Stable per chat, opaque, like Telegram's.
            "chat_instance": str(zlib.crc32(f"{self.id}:{message.chat_id}".encode())),
            "data": data,
        }
        return state.post_update("callback_query", query)
