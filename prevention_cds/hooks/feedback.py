"""The feedback request (CDS Hooks 2.0, Feedback): its shape checked against the JSON Schema, then each
``outcomeTimestamp`` read as the instant it must be (RFC 3339 date-time: a month of 13 or an hour of 99 matches
the schema's pattern and is no instant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prevention_cds.errors import InvalidRequest
from prevention_cds.hooks.request import validate


def validate_feedback(body: Any) -> None:
    """Raise InvalidRequest naming the first member that cannot be stored, and why (never its value)."""
    validate(body, "feedback", "feedback")
    for number, item in enumerate(body["feedback"]):
        try:
            datetime.fromisoformat(item["outcomeTimestamp"])
        except ValueError as exc:
            raise InvalidRequest(
                f"feedback.feedback.{number}.outcomeTimestamp: not an RFC 3339 instant ({exc})") from None
