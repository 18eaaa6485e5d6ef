"""Every FHIR resource the service builds during the test suite is validated against ``fhir.resources`` R4B and the
project's profiles: the service builds them as plain JSON and does not validate them at run time.

:func:`watch_builders` wraps the builders of ``prevention_cds.fhir_out`` (``BUILDERS``: in their module and
wherever they were imported by name), so whatever calls them is covered: rule-suite rendering, the evaluator, the
HTTP answers, the CLI in process. Problems are collected, not raised, so the code under test runs as it does in
production; tests/conftest.py fails the test (or the collection) that produced them.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from support.profile_validator import validate as validate_profile

# every function of fhir_out that returns a resource, by module
BUILDERS = {
    "prevention_cds.fhir_out.fhir_resources": ("medication_request", "immunization_recommendation"),
    "prevention_cds.fhir_out.extraction": ("extracted_resource",),
    "prevention_cds.fhir_out.forecast": ("forecast_parameters", "immunization_evaluation", "uncomputed_recommendation"),
}


def resource_problems(resource: dict[str, Any]) -> list[str]:
    """Why ``resource`` is not valid R4B or does not conform to the profiles it claims; empty when it is valid."""
    problems: list[str] = []
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except Exception as exc:  # the test reports it
        problems.append(f"{resource.get('resourceType')} invalid: {exc}")
    for profile in (resource.get("meta") or {}).get("profile", []):
        problems.extend(validate_profile(resource, profile))
    return problems


@dataclass
class EmittedResources:
    count: int = 0
    problems: list[str] = field(default_factory=list)

    def check(self, resource: dict[str, Any]) -> None:
        self.count += 1
        self.problems.extend(resource_problems(resource))

    def take_problems(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def _checked(builder: Callable[..., dict[str, Any]], emitted: EmittedResources) -> Callable[..., dict[str, Any]]:
    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        resource = builder(*args, **kwargs)
        emitted.check(resource)
        return resource

    return wrapper


@contextmanager
def watch_builders() -> Iterator[EmittedResources]:
    """Check every resource the builders return until the block ends."""
    emitted = EmittedResources()
    replaced: list[tuple[Any, str, Any]] = []
    for module_name, names in BUILDERS.items():
        module = sys.modules.get(module_name) or __import__(module_name, fromlist=["_"])
        for name in names:
            original = getattr(module, name)
            wrapper = _checked(original, emitted)
            # the module itself (later imports) and every module of the package that already imported it by name
            for owner in [m for key, m in list(sys.modules.items()) if key.startswith("prevention_cds") and m]:
                for attribute, value in list(vars(owner).items()):
                    if value is original:
                        setattr(owner, attribute, wrapper)
                        replaced.append((owner, attribute, original))
    try:
        yield emitted
    finally:
        for owner, attribute, original in replaced:
            setattr(owner, attribute, original)
