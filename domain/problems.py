"""Requests that cannot be done, told in the catalogue's words (chat) or in English (command line)."""

from __future__ import annotations

from typing import Any

from domain.texts import DEFAULT_LANGUAGE, LANGUAGES, Html, catalogue, t

COMMAND_LINE_LANGUAGE = "en"


class AdminProblem(ValueError):
    """A request an admin made that cannot be done: the reason as a text key of the catalogues
    (section ``admin``) and its parameters, so that the chat shows it in the admin's language
    (:meth:`text`) and the command line in English (``str()``, the same as :meth:`plain` in "en")."""

    def __init__(self, key: str, **params: Any):
        self.key, self.params = key, params
        super().__init__(self.plain(COMMAND_LINE_LANGUAGE))

    def text(self, lang: str) -> Html:
        """For a chat message: Telegram HTML, the parameters escaped."""
        return t(lang, self.key, **self.params)

    def plain(self, lang: str) -> str:
        """For a terminal: plain text, the parameters as they are."""
        texts = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
        template = texts.get(self.key) or catalogue(DEFAULT_LANGUAGE)[self.key]
        return template.format_map(self.params)
