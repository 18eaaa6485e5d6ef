"""Reading a JSON request body safely: size cap (413), strict UTF-8, valid Unicode, and nesting bounded (400).

A body is decoded by msgspec's JSON decoder (about half the time of ``json.loads`` on the benchmark's 109 KiB
prefetch, docs/performance.md), which reads the bytes as they are: it refuses invalid UTF-8 and lone surrogate
escapes itself and yields the same values as ``json.loads`` (integers of any size, floats correctly rounded, the
last of duplicate members). A body it refuses is read again by ``json.loads`` alone, so that every answer to bad
input is the one it was (which error is named) and what ``json.loads`` accepts beyond strict JSON (``NaN``,
``Infinity``, a number too large for a float) is still accepted.

Nesting is bounded by the C JSON decoder itself, which stops at the interpreter's recursion limit (about a
thousand levels) with RecursionError: no scan of the body is needed on the hot path, and nothing downstream
recurses into client data (the record builder reads fixed paths; pydantic has its own recursion guard).

JSON may escape a lone UTF-16 surrogate (``"\ud800"``): valid JSON, not Unicode, and every later step that
encodes the string (a URL, the response, the database) would fail. A surrogate can only come from such an
escape, so the decoded body is checked only when the text holds one (an escaped pair decodes to one character).
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from flask import Request

from prevention_cds.app.errors import PayloadTooLarge
from prevention_cds.errors import InvalidRequest

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_DECODER = msgspec.json.Decoder()


def read_json(request: Request, max_bytes: int) -> Any:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    if not raw or raw.isspace():  # isspace stops at the first other byte; strip would copy the body
        raise InvalidRequest("the request body is empty; a JSON object is required")
    try:
        return _DECODER.decode(raw)
    except RecursionError:
        raise InvalidRequest("the request body is nested too deeply") from None
    except msgspec.DecodeError:
        return _read_strictly(raw)


def _read_strictly(raw: bytes) -> Any:
    """What msgspec refused, read by ``json.loads``: the error it names, or the value it accepts."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise InvalidRequest("the request body is nested too deeply") from None
    except ValueError:
        raise InvalidRequest("the request body is not valid JSON") from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequest("the request body holds a lone UTF-16 surrogate escape (not Unicode)") from None
    return value
