"""Reading a JSON request body safely: size cap (413), strict UTF-8 and bounded nesting (400)."""

from __future__ import annotations

import json
from typing import Any

from flask import Request

from service.protocol.errors import BadRequest, PayloadTooLarge

MAX_NESTING = 64


def _depth_ok(text: str) -> bool:
    """Reject nesting deeper than MAX_NESTING before json.loads recurses into it."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return False
        elif char in "]}":
            depth -= 1
    return True


def read_json(request: Request, max_bytes: int) -> Any:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    if not raw.strip():
        raise BadRequest("the request body is empty; a JSON object is required")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8") from None
    if not _depth_ok(text):
        raise BadRequest(f"the request body is nested deeper than {MAX_NESTING} levels")
    try:
        return json.loads(text)
    except ValueError:
        raise BadRequest("the request body is not valid JSON") from None
