"""What a workspace action can refuse, with a message for the person (no HTTP status here)."""

from __future__ import annotations

from prevention_cds.rules.advice import Message


class WorkspaceError(Exception):
    def __init__(self, message: Message, details: list[Message] | None = None) -> None:
        super().__init__(message.key)
        self.message = message
        self.details = details or []


class NotFound(WorkspaceError):
    pass


class Invalid(WorkspaceError):
    pass


class Conflict(WorkspaceError):
    """The action does not fit the current state (a closed investigation, an unknown state)."""
