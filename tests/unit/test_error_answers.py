"""Every error the domain and the adapters raise has its HTTP answer in one table (prevention_cds/app/errors.py)."""

from __future__ import annotations

import pytest

from prevention_cds import errors
from prevention_cds.adapters.auth import AuthenticationRefused
from prevention_cds.adapters.database import StoreUnavailable, UnstorableData
from prevention_cds.adapters.fhir_client import FhirFetchFailed
from prevention_cds.app.errors import PayloadTooLarge, answer_for, outcome_of


def _subclasses(kind: type[Exception]) -> list[type[Exception]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@pytest.mark.parametrize("kind", _subclasses(errors.CdsError), ids=lambda k: k.__name__)
def test_each_domain_error_is_answered_4xx(kind: type[errors.CdsError]) -> None:
    answer = answer_for(kind("why"))
    assert answer is not None and 400 <= answer.status < 500


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.InvalidRequest("x"), 400, "invalid"),
        (AuthenticationRefused("bad signature"), 401, "login"),
        (errors.UnknownService("x"), 404, "not-found"),
        (UnstorableData("feedback store", "x"), 400, "invalid"),
        (errors.DataUnavailable("x"), 412, "incomplete"),
        (errors.PrefetchIncomplete("x"), 412, "incomplete"),
        (FhirFetchFailed("x"), 412, "incomplete"),
        (PayloadTooLarge("x"), 413, "too-costly"),
        (StoreUnavailable("feedback store", "x"), 503, "transient"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_status_and_outcome_code(error: Exception, status: int, code: str) -> None:
    answer = answer_for(error)
    assert answer is not None and (answer.status, answer.code) == (status, code)
    issue = outcome_of(error, answer)["issue"][0]
    assert issue["code"] == code
    # a refused authentication is answered without detail (CDS Hooks security); every other answer says why
    assert issue.get("diagnostics") == (None if status == 401 else "x")


def test_a_bug_has_no_answer() -> None:
    assert answer_for(KeyError("x")) is None
    assert answer_for(ValueError("x")) is None
