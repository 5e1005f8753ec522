"""localbotapi: a local Telegram Bot API server that checks requests against the public spec.

See README.md in this folder.
"""

from .errors import ApiError
from .limits import FloodHit
from .people import Conversation, SimGroup, SimUser
from .server import LocalBotApi, RequestRecord, Violation
from .spec import Spec
from .state import ChatMessage

__all__ = [
    "ApiError",
    "ChatMessage",
    "Conversation",
    "FloodHit",
    "LocalBotApi",
    "RequestRecord",
    "SimGroup",
    "SimUser",
    "Spec",
    "Violation",
]
