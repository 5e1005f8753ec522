"""Personal data at rest: AES-GCM encryption and a keyed hash (HMAC) for exact lookups.

Both keys are derived from the one secret in the DATA_KEY setting with HKDF-SHA256, each with its
own purpose label, so the lookup hash never reveals anything about the encryption key and the other
way round. A ciphertext is ``b"\\x01" + nonce (12 bytes) + AES-GCM(ciphertext + tag)``; the leading
byte is the format version. See docs/PRIVACY.md for the choice, key loss and rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_FORMAT = b"\x01"
_NONCE = 12
MIN_SECRET_LENGTH = 16


class DataKeyError(Exception):
    """No DATA_KEY, a key too short, or a key that does not open the stored data."""


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lapordesa", info=purpose).derive(secret)


class DataCipher:
    """Encrypts small values (identity numbers, names, a position) and hashes lookup keys."""

    def __init__(self, secret: str):
        if len(secret.strip()) < MIN_SECRET_LENGTH:
            raise DataKeyError(f"DATA_KEY must be at least {MIN_SECRET_LENGTH} characters")
        raw = secret.strip().encode("utf-8")
        self._aead = AESGCM(_derive(raw, b"encrypt v1"))
        self._mac_key = _derive(raw, b"lookup v1")
        self.fingerprint = hmac.new(self._mac_key, b"fingerprint", hashlib.sha256).hexdigest()[:16]

    def encrypt(self, value: Any, context: bytes = b"") -> bytes:
        """JSON-encode and encrypt; ``context`` (e.g. the table) is authenticated, not stored."""
        nonce = os.urandom(_NONCE)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _FORMAT + nonce + self._aead.encrypt(nonce, plain, context)

    def decrypt(self, blob: bytes, context: bytes = b"") -> Any:
        if not blob or blob[:1] != _FORMAT:
            raise DataKeyError("unknown encrypted data format")
        try:
            plain = self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], context)
        except InvalidTag:
            raise DataKeyError("the DATA_KEY does not open this data (wrong or rotated key)") from None
        return json.loads(plain)

    def lookup_hash(self, value: str) -> str:
        """A keyed hash for exact search: without the key it cannot be recomputed from a guess."""
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
