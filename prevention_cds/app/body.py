"""Reading a JSON request body safely: size cap (413), strict UTF-8, valid Unicode, and nesting bounded (400).

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

from flask import Request

from prevention_cds.app.errors import PayloadTooLarge
from prevention_cds.errors import InvalidRequest

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_json(request: Request, max_bytes: int) -> Any:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    if not raw.strip():
        raise InvalidRequest("the request body is empty; a JSON object is required")
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
