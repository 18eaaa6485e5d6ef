"""The feedback request (CDS Hooks 2.0, Feedback): each ``outcomeTimestamp`` read as the instant it must be
(RFC 3339 date-time), then the whole checked against the JSON Schema. The schema's pattern bounds each field but
cannot say how many days a month has; and a field out of range is said by name (``month must be in 1..12``)
rather than as a pattern mismatch."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from prevention_cds.errors import InvalidRequest
from prevention_cds.hooks.request import validate

# The shape of a date-time with an offset, each field of two or four digits, its values not yet checked
INSTANT_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
OFFSET_RANGE = "the offset must be within ±23:59"


def validate_feedback(body: Any) -> None:
    """Raise InvalidRequest naming the first member that cannot be stored, and why (never its value)."""
    items = body.get("feedback") if isinstance(body, dict) else None
    for number, item in enumerate(items if isinstance(items, list) else ()):
        stamp = item.get("outcomeTimestamp") if isinstance(item, dict) else None
        if isinstance(stamp, str) and INSTANT_SHAPE.fullmatch(stamp):
            try:
                datetime.fromisoformat(stamp)
            except ValueError as exc:
                why = OFFSET_RANGE if "offset" in str(exc) else str(exc)
                raise InvalidRequest(
                    f"feedback.feedback.{number}.outcomeTimestamp: not an RFC 3339 instant ({why})") from None
    validate(body, "feedback", "feedback")
