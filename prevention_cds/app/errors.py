"""What the application answers when a call is refused or cannot be completed (contract.md §4).

The domain (``prevention_cds/errors.py``) and the adapters raise their own errors, without HTTP statuses; this
table gives each its status and the code of the FHIR OperationOutcome that is the body. The message of the error
is the OperationOutcome's ``diagnostics``, except for a refused authentication (CDS Hooks security: no detail).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prevention_cds.adapters.auth import AuthenticationRefused
from prevention_cds.adapters.database import StoreUnavailable, UnstorableData
from prevention_cds.errors import DataUnavailable, InvalidRequest, UnknownService


class PayloadTooLarge(Exception):
    """A request body larger than the configured cap."""


@dataclass(frozen=True)
class ErrorAnswer:
    status: int
    code: str  # OperationOutcome.issue.code
    detailed: bool = True  # the error's message goes into diagnostics
    headers: tuple[tuple[str, str], ...] = ()  # sent with the answer


ANSWERS: dict[type[Exception], ErrorAnswer] = {
    InvalidRequest: ErrorAnswer(400, "invalid"),
    UnstorableData: ErrorAnswer(400, "invalid"),  # the same request would fail again: never a 503
    # RFC 6750 §3: a 401 names the scheme the client must use (no error code: the refusal gives no detail)
    AuthenticationRefused: ErrorAnswer(401, "login", detailed=False, headers=(("WWW-Authenticate", "Bearer"),)),
    UnknownService: ErrorAnswer(404, "not-found"),
    DataUnavailable: ErrorAnswer(412, "incomplete"),  # CDS Hooks: prefetch data neither sent nor obtainable
    PayloadTooLarge: ErrorAnswer(413, "too-costly"),
    StoreUnavailable: ErrorAnswer(503, "transient"),  # the client may retry: nothing was taken as done
}


def answer_for(error: BaseException) -> ErrorAnswer | None:
    """The answer to ``error`` (that of its nearest mapped class), or None for an error that is a bug."""
    for kind in type(error).__mro__:
        answer = ANSWERS.get(kind)
        if answer is not None:
            return answer
    return None


def operation_outcome(code: str, diagnostics: str | None, expression: tuple[str, ...] = ()) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    if expression:
        issue["expression"] = list(expression)
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_of(error: BaseException, answer: ErrorAnswer) -> dict[str, Any]:
    """The OperationOutcome of a refusal; a 412 lists the prefetch keys that could not be had (``prefetch.<key>``)."""
    keys = error.prefetch_keys if isinstance(error, DataUnavailable) else ()
    return operation_outcome(
        answer.code, str(error) if answer.detailed else None, tuple(f"prefetch.{key}" for key in keys)
    )
