"""Personal data at rest: AES-GCM encryption and a keyed hash (HMAC) for exact lookups.

The secret in the DATA_KEY setting must be a random key (:func:`check_key_strength`). A master
key is derived from it with scrypt (memory-hard, about a third of a second, see
:data:`DEFAULT_COST`) and the database's own random salt (``meta.data_key_kdf``); the encryption
key, the lookup key and the key fingerprint are derived from the master key with HKDF-SHA256,
each with its own purpose label. Every guess at the key, against the fingerprint or against a
ciphertext, so costs one scrypt.

A ciphertext is ``b"\\x02" + nonce (12 bytes) + AES-GCM(ciphertext + tag)``, the leading byte
being the format. Its associated data names the table, the row and the field it belongs to
(:func:`place`), so a value moved to another row or field in the database no longer decrypts.

Format 1 (keys derived from the secret with HKDF alone, associated data the table name only)
is only read, by :class:`LegacyCipher`, to re-encrypt old data (storage/keys.py).
See docs/PRIVACY.md for the choices, key loss and rotation.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import math
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = b"\x02"
LEGACY_FORMAT = b"\x01"
_NONCE = 12
MIN_KEY_BITS = 128
NEW_KEY_BYTES = 32  # what `households new-key` prints: 256 random bits, base64url
FINGERPRINT_PREFIX = "v2:"
# scrypt's work factor: N = 2**16, r = 8 (64 MiB), p = 2. Measured at about 340 ms on the
# development machine (hashlib.scrypt, OpenSSL): every guess at the key costs that. New
# databases get DEFAULT_COST, which tests lower (tests/conftest.py); a database keeps the cost
# it was created with (meta.data_key_kdf).
PRODUCT_COST = (16, 8, 2)
DEFAULT_COST = PRODUCT_COST


class DataKeyError(Exception):
    """No DATA_KEY, a weak key, a key that does not open the stored data, or encrypted data
    that does not belong where it was found."""


# -- the key itself -----------------------------------------------------------------------------
_KEY_CHARACTERS = re.compile(r"^[A-Za-z0-9+/=_-]+$")
_HEX = re.compile(r"^(?:[0-9a-f]+|[0-9A-F]+)$")
_WORDISH = re.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{4,}")  # 4 or more letters in one case (or Capitalised): a word
_WORD_BITS = 12.0  # a word of a large dictionary
_WORD_LETTERS = 8  # a longer run of letters is more than one word
_SEPARATOR_BITS = 2.0  # a separator after a word
_PATTERN_BITS = 8.0  # a repeat or a run costs about this much to describe, whatever its length
_PATTERN_LENGTH = 4  # repeats and runs this long or longer are patterns


def new_key() -> str:
    """A fresh random DATA_KEY: 256 bits, base64url (43 characters), one that passes
    :func:`check_key_strength` (about 1 in 50,000 random keys is drawn again)."""
    while key_bits(key := secrets.token_urlsafe(NEW_KEY_BYTES)) < MIN_KEY_BITS:
        pass
    return key


def key_bits(secret: str) -> float:
    """A conservative estimate of the randomness in ``secret``, in bits.

    Each character costs log2 of the alphabet its character classes span (16 for hex; for
    others lower case 26, upper case 26, digits 10, plus each of ``+/=_-`` used). A stretch
    of 4 or more characters that repeats an earlier one, or that runs on with a constant step
    (``aaaa``, ``1234``, ``dcba``), costs 8 bits in all; outside hex keys, a run of 4 or more
    letters in one case (``password``, ``Horse``) is words of a large dictionary (12 bits
    for every 8 letters, and 2 for a separator after them). Only the first 256 characters are looked at."""
    s = secret.strip()[:256]
    if not s:
        return 0.0
    hex_key = bool(_HEX.match(s))
    if hex_key:
        pool = 16
    else:
        pool = 26 * any(c.islower() for c in s) + 26 * any(c.isupper() for c in s)
        pool += 10 * any(c.isdigit() for c in s) + len({c for c in s if not c.isalnum()})
    literal = math.log2(max(pool, 2))
    words = {} if hex_key else {m.start(): m.end() for m in _WORDISH.finditer(s)}
    bits, i = 0.0, 0
    while i < len(s):
        pattern = max(_repeat_length(s, i), _run_length(s, i))
        if pattern >= _PATTERN_LENGTH:
            bits, i = bits + _PATTERN_BITS, i + pattern
        elif i in words:
            end = words[i]
            bits, i = bits + min(literal * (end - i), _WORD_BITS * math.ceil((end - i) / _WORD_LETTERS)), end
            if i < len(s) and not s[i].isalnum():
                bits, i = bits + min(literal, _SEPARATOR_BITS), i + 1
        else:
            bits, i = bits + literal, i + 1
    return bits


def _repeat_length(s: str, i: int) -> int:
    """The longest stretch from ``i`` that also starts at an earlier position."""
    best = 0
    for j in range(i):
        k = 0
        while i + k < len(s) and s[j + k] == s[i + k]:
            k += 1
        best = max(best, k)
    return best


def _run_length(s: str, i: int) -> int:
    """How many characters from ``i`` go on with the same step (-1, 0 or +1) from the one before."""
    if i == 0:
        return 0
    step = ord(s[i]) - ord(s[i - 1])
    if step not in (-1, 0, 1):
        return 0
    k = 1
    while i + k < len(s) and ord(s[i + k]) - ord(s[i + k - 1]) == step:
        k += 1
    return k


def check_key_strength(secret: str) -> None:
    """Refuse a DATA_KEY that is not a random key of at least 128 bits, with one clear line."""
    s = secret.strip()
    advice = "make one with: python bot.py households new-key"
    if not _KEY_CHARACTERS.match(s):
        raise DataKeyError(
            f"DATA_KEY must be a random key written in base64 or hex (letters, digits and + / = _ - only, "
            f"no spaces); {advice}"
        )
    bits = key_bits(s)
    if bits < MIN_KEY_BITS:
        raise DataKeyError(
            f"DATA_KEY is too weak (about {bits:.0f} bits of randomness, at least {MIN_KEY_BITS} needed: "
            f"words, repeats and runs count for little); {advice}"
        )


# -- key derivation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class KdfParams:
    """How the master key is derived from DATA_KEY in one database: scrypt's salt and cost."""

    salt: bytes
    log_n: int
    r: int
    p: int

    @classmethod
    def fresh(cls) -> KdfParams:
        log_n, r, p = DEFAULT_COST
        return cls(os.urandom(16), log_n, r, p)

    def text(self) -> str:
        return f"scrypt:{self.log_n}:{self.r}:{self.p}:{self.salt.hex()}"

    @classmethod
    def parse(cls, text: str) -> KdfParams:
        match = re.fullmatch(r"scrypt:(\d+):(\d+):(\d+):([0-9a-f]{32})", text)
        if match is None:
            raise DataKeyError("meta.data_key_kdf is not a key derivation this version knows")
        return cls(bytes.fromhex(match[4]), int(match[1]), int(match[2]), int(match[3]))


@functools.lru_cache(maxsize=16)
def _master(secret: bytes, params: KdfParams) -> bytes:
    """scrypt, once per process for a key and database (the cost is paid at start)."""
    memory = 128 * params.r * (2**params.log_n) + 128 * params.r * params.p + 2**20
    return hashlib.scrypt(secret, salt=params.salt, n=2**params.log_n, r=params.r, p=params.p, maxmem=memory, dklen=32)


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lapordesa", info=purpose).derive(secret)


def place(table: str, *row: int | str, field: str) -> bytes:
    """The associated data of a value: its table, its row (the key columns) and its field."""
    return json.dumps([table, *row, field], separators=(",", ":")).encode("utf-8")


def describe(where: bytes) -> str:
    """A place as words for an error message (ids only, never values)."""
    table, *row, field = json.loads(where)
    return f"{table} {'/'.join(str(r) for r in row)} {field}"


class DataCipher:
    """Encrypts small values (identity numbers, names, notes, a position) and hashes lookup keys."""

    def __init__(self, secret: str, params: KdfParams):
        raw = secret.strip().encode("utf-8")
        self._secret = raw  # kept only to read format-1 data once (legacy())
        self.params = params
        master = _master(raw, params)
        self._aead = AESGCM(_derive(master, b"encrypt v2"))
        self._mac_key = _derive(master, b"lookup v2")
        digest = hmac.new(_derive(master, b"fingerprint v2"), b"fingerprint", hashlib.sha256).hexdigest()
        self.fingerprint = FINGERPRINT_PREFIX + digest[:32]

    def encrypt(self, value: Any, where: bytes) -> bytes:
        """JSON-encode and encrypt; ``where`` (:func:`place`) is authenticated, not stored."""
        nonce = os.urandom(_NONCE)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return FORMAT + nonce + self._aead.encrypt(nonce, plain, where)

    def decrypt(self, blob: bytes, where: bytes) -> Any:
        if not blob or blob[:1] != FORMAT:
            raise DataKeyError(f"{describe(where)}: encrypted data in an old or unknown format")
        try:
            plain = self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], where)
        except InvalidTag:
            raise DataKeyError(
                f"{describe(where)}: the encrypted data does not belong here (moved from another record "
                "or altered in the database) or the DATA_KEY differs"
            ) from None
        return json.loads(plain)

    def lookup_hash(self, value: str) -> str:
        """A keyed hash for exact search: without the key it cannot be recomputed from a guess."""
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def legacy(self) -> LegacyCipher:
        return LegacyCipher(self._secret.decode("utf-8"))


class LegacyCipher:
    """Format 1: keys from the secret by HKDF alone, associated data the table name only.
    Read once to re-encrypt (storage/keys.py); ``encrypt`` is there for the tests of that."""

    def __init__(self, secret: str):
        raw = secret.strip().encode("utf-8")
        self._aead = AESGCM(_derive(raw, b"encrypt v1"))
        self._mac_key = _derive(raw, b"lookup v1")
        self.fingerprint = hmac.new(self._mac_key, b"fingerprint", hashlib.sha256).hexdigest()[:16]

    def encrypt(self, value: Any, table: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return LEGACY_FORMAT + nonce + self._aead.encrypt(nonce, plain, table)

    def decrypt(self, blob: bytes, table: bytes) -> Any:
        try:
            plain = self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], table)
        except InvalidTag:
            raise DataKeyError(f"{table.decode()}: the key does not open this data (wrong or rotated key)") from None
        return json.loads(plain)

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
