"""Protocol errors and their HTTP answers (contract.md §4). Bodies are FHIR OperationOutcomes."""

from __future__ import annotations

from typing import Any


class ProtocolError(Exception):
    """An answer other than 200, with a message that names the problem (never patient data)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return operation_outcome(self.code, self.message)


class BadRequest(ProtocolError):
    status = 400


class UnknownService(ProtocolError):
    status = 404
    code = "not-found"


class MethodNotAllowed(ProtocolError):
    status = 405
    code = "not-supported"


class PayloadTooLarge(ProtocolError):
    status = 413
    code = "too-costly"


class DataUnavailable(ProtocolError):
    """Data the rules need is neither in prefetch nor obtainable from fhirServer (CDS Hooks: 412)."""

    status = 412
    code = "incomplete"


class ServiceUnavailable(ProtocolError):
    """A store the service cannot answer safely without is unreachable: the client may retry later."""

    status = 503
    code = "transient"


class Unauthorized(ProtocolError):
    """401 with no detail (CDS Hooks security best practices)."""

    status = 401
    code = "login"

    def __init__(self, reason: str = "unauthorized") -> None:
        super().__init__(reason)

    def body(self) -> dict[str, Any]:
        return operation_outcome(self.code, None)


def operation_outcome(code: str, diagnostics: str | None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}
