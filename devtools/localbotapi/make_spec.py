"""Regenerate the vendored Bot API spec (``api_spec.json``) from the public one.

The public ``api.json`` (MIT, see ``API_SPEC_LICENSE``) is 600+ KB of prose; the
server only needs, per method and per type, the field names, their declared
types and whether they are required.  For subtypes of a union (e.g.
``BotCommandScopeChat``) the discriminating ``type``/``status``/``source``
value is kept too, because it is only written down in the field description.

Usage::

    python -m devtools.localbotapi.make_spec [path/to/api.json]

Without an argument it reads ``shared/telegram-bot-api/api.json`` next to the
repository checkout.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "telegram-bot-api" / "api.json"
SPEC_FILE = HERE / "api_spec.json"
LICENSE_FILE = HERE / "API_SPEC_LICENSE"

_DISCRIMINATORS = {"type", "status", "source"}
_CONSTANT = re.compile(r'(?:always [“"]([a-z_]+)[”"]|must be ([a-z_]+))\.?\s*$')


def _fields(entry: dict, is_subtype: bool) -> dict[str, list]:
    fields = {}
    for field in entry.get("fields", []):
        compact: list = [field["types"], field["required"]]
        if is_subtype and field["name"] in _DISCRIMINATORS:
            match = _CONSTANT.search(field.get("description", ""))
            if match:
                compact.append(match.group(1) or match.group(2))
        fields[field["name"]] = compact
    return fields


def compact_spec(full: dict) -> dict:
    """Reduce the public spec to what request validation needs."""
    methods = {
        name: {"fields": _fields(entry, False), "returns": entry["returns"]} for name, entry in full["methods"].items()
    }
    types = {}
    for name, entry in full["types"].items():
        if "subtypes" in entry:
            types[name] = {"subtypes": entry["subtypes"]}
        else:
            types[name] = {"fields": _fields(entry, bool(entry.get("subtype_of")))}
    return {"version": full["version"], "methods": methods, "types": types}


def dumps(spec: dict) -> str:
    """One method or type per line: compact, yet readable in a diff."""

    def block(entries: dict) -> str:
        lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(entries.items())]
        return "{\n" + ",\n".join(lines) + "\n }"

    return (
        "{\n"
        f' "version": {json.dumps(spec["version"])},\n'
        f' "methods": {block(spec["methods"])},\n'
        f' "types": {block(spec["types"])}\n'
        "}\n"
    )


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    full = json.loads(source.read_text(encoding="utf-8"))
    SPEC_FILE.write_text(dumps(compact_spec(full)), encoding="utf-8")
    shutil.copyfile(source.with_name("LICENSE"), LICENSE_FILE)
    print(f"wrote {SPEC_FILE} ({full['version']}) from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
