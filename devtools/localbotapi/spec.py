"""Request validation against the vendored public Bot API spec (``api_spec.json``).

Top-level parameters arrive as strings (form or query encoding, where every
non-string value is JSON-encoded) or as uploaded file parts; they are parsed
according to the declared types.  Values inside JSON-serialized objects must
already have the right JSON type.  Objects are checked recursively: required
fields present, no unknown fields, union types (``InlineKeyboardMarkup or
ReplyKeyboardMarkup ...``, ``BotCommandScope``) resolved by their
discriminator or, failing that, by the candidate that fits best.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import rules
from .errors import ApiError

SPEC_PATH = Path(__file__).with_name("api_spec.json")
_INTEGER = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_ARRAY = "Array of "


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part."""

    filename: str
    content_type: str
    data: bytes


class _MismatchError(Exception):
    """A value does not match its declared type; ``path`` locates it inside the parameter."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f'field "{path}" {problem}' if path else problem)


def _path(parent: str, child: str | int) -> str:
    if isinstance(child, int):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else child


class Spec:
    """The Bot API surface: which methods exist and what they accept."""

    def __init__(self, data: dict) -> None:
        self.version: str = data["version"]
        self.methods: dict[str, dict] = data["methods"]
        self.types: dict[str, dict] = data["types"]
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> Spec:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def resolve_method(self, name: str) -> str:
        """Canonical method name; Telegram matches method names case-insensitively."""
        try:
            return self._by_lower[name.lower()]
        except KeyError:
            raise ApiError(404, "Not Found") from None

    def returns(self, method: str) -> list[str]:
        return self.methods[method]["returns"]

    def validate_call(self, method: str, raw: dict, attachments: dict[str, UploadedFile]) -> dict:
        """Parse and check the parameters of one call; return them typed.

        ``raw`` maps names to strings (or :class:`UploadedFile` for file parts);
        ``attachments`` are the other file parts, reachable via ``attach://name``.
        """
        fields = self.methods[method]["fields"]
        for name in raw:
            if name not in fields:
                raise ApiError.bad_request(f'unknown parameter "{name}" for method {method}')
        params = {}
        for name, (types, required) in fields.items():
            if name not in raw:
                if required:
                    raise ApiError.bad_request(f'parameter "{name}" is required')
                continue
            params[name] = self._parse_top(name, raw[name], types, attachments)
        return params

    def check(self, value, types: list[str], path: str = "") -> None:
        """Check an already-decoded JSON value against type expressions (raise ValueError)."""
        try:
            self._check_json(value, types, path)
        except _MismatchError as problem:
            raise ValueError(str(problem)) from None

    # -- top-level parameters -------------------------------------------------

    def _parse_top(self, name: str, raw, types: list[str], attachments: dict[str, UploadedFile]):
        if isinstance(raw, UploadedFile):
            if "InputFile" in types:
                return raw
            raise ApiError.bad_request(f'parameter "{name}" must be of type {" or ".join(types)}, not a file')
        if "InputFile" in types and raw.startswith("attach://"):
            try:
                return attachments[raw.removeprefix("attach://")]
            except KeyError:
                raise ApiError.bad_request(f'can\'t find attached file "{raw}" for parameter "{name}"') from None
        for type_name in types:
            parsed = self._parse_scalar(raw, type_name)
            if parsed is not None:
                return parsed
        structured = [t for t in types if t not in ("String", "Integer", "Float", "Boolean", "InputFile")]
        if not structured:
            raise ApiError.bad_request(f'parameter "{name}" must be of type {" or ".join(types)}')
        try:
            value = json.loads(raw)
        except ValueError:
            raise ApiError.bad_request(f"can't parse {name} JSON object") from None
        try:
            self._check_json(value, structured, "")
        except _MismatchError as problem:
            raise ApiError.bad_request(f"can't parse {name} JSON object: {problem}") from None
        return value

    @staticmethod
    def _parse_scalar(raw: str, type_name: str):
        if type_name == "String":
            return raw
        if type_name == "Integer" and _INTEGER.fullmatch(raw):
            return int(raw)
        if type_name == "Float" and _FLOAT.fullmatch(raw):
            return float(raw)
        if type_name == "Boolean" and raw.lower() in _BOOLEANS:
            return _BOOLEANS[raw.lower()]
        return None

    # -- JSON values --------------------------------------------------------------

    def _check_json(self, value, types: list[str], path: str) -> None:
        types = self._expand(types)
        if isinstance(value, dict):
            objects = [t for t in types if t in self.types and t != "InputFile"]  # files are never JSON
            if objects:
                self._check_object(value, self._pick(value, objects), path)
                return
        elif isinstance(value, list):
            arrays = [t.removeprefix(_ARRAY) for t in types if t.startswith(_ARRAY)]
            if arrays:
                for index, item in enumerate(value):
                    self._check_json(item, arrays, _path(path, index))
                return
        elif any(self._is_scalar(value, t) for t in types):
            return
        raise _MismatchError(path, f"must be of type {' or '.join(types)}")

    def _expand(self, types: list[str]) -> list[str]:
        """Replace union types (those with subtypes) by their members."""
        expanded = []
        for type_name in types:
            subtypes = self.types.get(type_name, {}).get("subtypes")
            expanded.extend(self._expand(subtypes) if subtypes else [type_name])
        return expanded

    def _pick(self, value: dict, candidates: list[str]) -> str:
        """Choose the union member ``value`` is meant to be.

        A discriminator (``"type": "chat"``) decides when the members have one;
        otherwise the member whose field names overlap most with the keys wins
        (so the error message talks about the type the caller had in mind).
        """

        def constants(name: str) -> dict[str, str]:
            fields = self.types[name].get("fields", {})
            return {field: spec[2] for field, spec in fields.items() if len(spec) > 2}

        discriminated = [c for c in candidates if constants(c)]
        if discriminated:
            for candidate in discriminated:
                if all(value.get(field) == const for field, const in constants(candidate).items()):
                    return candidate
            field = next(iter(constants(discriminated[0])))
            raise _MismatchError(field, f"has unsupported value {value.get(field)!r}")
        return max(candidates, key=lambda c: len(value.keys() & self.types[c].get("fields", {}).keys()))

    def _check_object(self, value: dict, type_name: str, path: str) -> None:
        fields = self.types[type_name].get("fields", {})
        for key in value:
            if key not in fields:
                raise _MismatchError(_path(path, key), f"is not a field of {type_name}")
        for key, (types, required, *_const) in fields.items():
            if key in value:
                self._check_json(value[key], types, _path(path, key))
            elif required:
                raise _MismatchError(_path(path, key), f"is required in {type_name}")
        rules.check_object(type_name, value)

    @staticmethod
    def _is_scalar(value, type_name: str) -> bool:
        if type_name == "String":
            return isinstance(value, str)
        if type_name == "Integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if type_name == "Float":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if type_name == "Boolean":
            return isinstance(value, bool)
        return False
