"""Why a CDS Hooks call cannot be answered with cards: the domain's errors, shared by every way in (HTTP, CLI).

They carry a message that names the problem (a member, a prefetch key, never patient data) and no HTTP status:
the application maps each to its answer (``prevention_cds/app/errors.py``).
"""

from __future__ import annotations


class CdsError(Exception):
    """A call the service refuses or cannot complete; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(CdsError):
    """The request does not follow CDS Hooks or the service's contract (a member missing, of the wrong type...)."""


class RefusedInput(InvalidRequest):
    """A FHIR input refused; ``problems`` names each problem with where it is (a FHIRPath into the input), never
    with a value it holds."""

    def __init__(self, problems: list[tuple[str, str]] | str, where: str = "") -> None:
        listed = [(where, problems)] if isinstance(problems, str) else problems
        super().__init__("; ".join(f"{place}: {text}" if place else text for place, text in listed))
        self.problems = tuple(listed)


class UnknownService(CdsError):
    """No CDS service has this id."""


class DataUnavailable(CdsError):
    """Data the rules need is neither in the prefetch nor obtainable from the fhirServer: answering without it
    could miss a contraindication. ``prefetch_keys`` names the prefetch keys concerned, when known."""

    def __init__(self, message: str, prefetch_keys: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.prefetch_keys = prefetch_keys


class PrefetchIncomplete(DataUnavailable):
    """The fhirServer was asked for a prefetch key and gave no usable answer (unreachable, an error, a bad page)."""
