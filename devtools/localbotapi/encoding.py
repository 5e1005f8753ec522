"""Decode Bot API request bodies into ``{name: str | UploadedFile}``.

Telegram accepts query strings, ``application/x-www-form-urlencoded``,
``application/json`` and ``multipart/form-data``.  Whatever the encoding, the
result has one shape: strings as the client wrote them (JSON-encoded for
non-string values, which is what PTB sends) and file parts, so :mod:`spec`
needs only one parsing path.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from .errors import ApiError
from .spec import UploadedFile


def decode(content_type: str, body: bytes, query: str) -> dict[str, str | UploadedFile]:
    params: dict[str, str | UploadedFile] = dict(parse_qsl(query, keep_blank_values=True))
    media_type, options = _parse_header(content_type)
    if not body:
        return params
    if media_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif media_type == "application/json":
        params.update(_decode_json(body))
    elif media_type == "multipart/form-data":
        if "boundary" not in options:
            raise ApiError.bad_request("multipart body without boundary")
        params.update(_decode_multipart(body, options["boundary"].encode("latin-1")))
    else:
        raise ApiError.bad_request(f"unsupported Content-Type {media_type!r}")
    return params


def _decode_json(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError.bad_request("can't parse JSON request body") from None
    if not isinstance(data, dict):
        raise ApiError.bad_request("JSON request body must be an object")
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in data.items()}


_OPTION = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _parse_header(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=1; b="2"`` into the media type and its options.

    Quoted values are unescaped the HTML5 way browsers and httpx write them
    (``"`` as ``%22``, backslash doubled).
    """
    media_type = value.split(";", 1)[0]
    options = {}
    for key, raw in _OPTION.findall(value):
        quoted = raw.startswith('"')
        options[key.lower()] = raw[1:-1].replace("%22", '"').replace("\\\\", "\\") if quoted else raw.strip()
    return media_type.strip().lower(), options


def _decode_multipart(body: bytes, boundary: bytes) -> dict[str, str | UploadedFile]:
    params: dict[str, str | UploadedFile] = {}
    delimiter = b"--" + boundary
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise ApiError.bad_request("malformed multipart part")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        _disposition, options = _parse_header(headers.get("content-disposition", ""))
        if "name" not in options:
            raise ApiError.bad_request("multipart part without a name")
        if "filename" in options:
            params[options["name"]] = UploadedFile(
                options["filename"], headers.get("content-type", "application/octet-stream"), content
            )
        else:
            params[options["name"]] = content.decode("utf-8")
    return params
