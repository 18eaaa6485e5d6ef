"""Every resource the service emits is validated with ``fhir.resources.R4B``; each skeleton is validated once.

A resource the builders emit is made of fixed parts (its structure, the codes and statuses, the numbers taken from
the rule data) and of values that change from call to call (ids, dates, references, texts, a weight-based dose).
The builders wrap each of the latter in ``Varying(value, fhir_type)``. The resource with those values replaced by
their FHIR type is its *skeleton*.

fhir.resources checks each element against its own type and checks required and choice elements for presence
only: no rule of the R4B models compares the values of two elements (they define no model validator beyond those
generic checks). So a resource is valid exactly when its skeleton is valid with any values of the right types
and each varying value is valid for its type. Hence:

* the first resource of a skeleton is validated whole, with ``model_validate``;
* any later resource of that skeleton has each of its varying values validated with the fhir.resources
  primitive type it is declared with (a test checks the declared types against the models' fields).

Same verdict as validating each resource whole, for a fraction of the cost. Skeletons hold no patient data (every
patient-derived value is varying); there are a few dozen of them, and the set is bounded anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir_core import types as fhir_types
from pydantic import TypeAdapter, ValidationError


class InvalidResourceError(ValueError):
    """A resource the service built does not validate: a bug, never sent."""


# The fhir.resources primitive types a varying value may have, by FHIR name.
PRIMITIVE_TYPES: dict[str, Any] = {
    "id": fhir_types.IdType,
    "string": fhir_types.StringType,
    "markdown": fhir_types.MarkdownType,
    "dateTime": fhir_types.DateTimeType,
    "date": fhir_types.DateType,
    "decimal": fhir_types.DecimalType,
}


@lru_cache(maxsize=256)
def _leaf_validator(fhir_types_in_order: tuple[str, ...]) -> TypeAdapter[Any]:
    """One validator for a resource's varying values: a tuple of their fhir.resources primitive types."""
    return TypeAdapter(tuple[tuple(PRIMITIVE_TYPES[name] for name in fhir_types_in_order)])  # type: ignore[arg-type,misc]


@dataclass(frozen=True, slots=True)
class Varying:
    """A value that changes from call to call, with the FHIR primitive type of the element that holds it."""

    value: str | int | float
    fhir_type: str

    def __post_init__(self) -> None:
        if self.fhir_type not in PRIMITIVE_TYPES:
            raise ValueError(f"unknown FHIR primitive type {self.fhir_type!r}")
        if self.value is None:
            raise ValueError("a varying value is present: an absent element is left out of the resource")


# Constant parts (product, route, reason, target-disease, status and date-criterion codings) are built and
# validated once: a whole validation receives them as validated models, which pydantic does not check again,
# and a skeleton names them by identity. The registry holds each constant itself, not only its id: a constant
# built twice by two threads at once (functools.cache does not lock) must never be freed, or a later dict
# could get its address and pass for it. Constants are never mutated.
_CONSTANTS: dict[int, tuple[dict[str, Any], CodeableConcept]] = {}

# skeleton → the validator of its varying values (one pydantic call for all of them, each by its type)
_VALID_SKELETONS: dict[tuple[Any, ...], TypeAdapter[Any]] = {}
_SKELETON_LIMIT = 4096  # far above the real count; a bound in case a fixed part were ever made variable


def constant_concept(concept: dict[str, Any]) -> dict[str, Any]:
    """Validate a CodeableConcept that will be reused unchanged in many resources; returns it."""
    _CONSTANTS[id(concept)] = (concept, CodeableConcept.model_validate(concept))
    return concept


def _constant_model(value: Any) -> CodeableConcept | None:
    entry = _CONSTANTS.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else None


# Skeleton tokens: a resource is written as a flat sequence (markers, keys, types and fixed values); these
# markers are objects no JSON value can equal, so two different resources never give the same sequence.
_OBJECT, _ARRAY, _END, _CONSTANT, _VARYING = (object() for _ in range(5))


def _split(value: Any, leaves: list[Varying], skeleton: list[Any]) -> Any:
    """The plain JSON value; its skeleton is appended to ``skeleton`` and its varying values to ``leaves``."""
    kind = type(value)
    if kind is dict:
        if _constant_model(value) is not None:
            skeleton += (_CONSTANT, id(value))
            return value
        skeleton.append(_OBJECT)
        plain = {}
        for key, item in value.items():
            skeleton.append(key)
            plain[key] = _split(item, leaves, skeleton)
        skeleton.append(_END)
        return plain
    if kind is Varying:
        leaves.append(value)
        skeleton += (_VARYING, value.fhir_type)
        return value.value
    if kind is list:
        skeleton.append(_ARRAY)
        items = [_split(item, leaves, skeleton) for item in value]
        skeleton.append(_END)
        return items
    skeleton += (kind, value)  # a fixed scalar, with its type: True == 1, but not for FHIR
    return value


def _validation_view(value: Any) -> Any:
    """The resource with its constant parts replaced by their validated models."""
    known = _constant_model(value)
    if known is not None:
        return known
    if isinstance(value, dict):
        return {key: _validation_view(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_validation_view(item) for item in value]
    return value


def validated(model: Any, resource: dict[str, Any]) -> dict[str, Any]:
    """The plain JSON resource, once fhir.resources has found it valid; InvalidResourceError otherwise."""
    leaves: list[Varying] = []
    skeleton: list[Any] = [model]
    plain: dict[str, Any] = _split(resource, leaves, skeleton)
    key = tuple(skeleton)
    try:
        leaf_validator = _VALID_SKELETONS.get(key)
        if leaf_validator is not None:
            leaf_validator.validate_python(tuple(leaf.value for leaf in leaves))
        else:
            model.model_validate(_validation_view(plain))
            if len(_VALID_SKELETONS) >= _SKELETON_LIMIT:
                _VALID_SKELETONS.clear()
            _VALID_SKELETONS[key] = _leaf_validator(tuple(leaf.fhir_type for leaf in leaves))
    except ValidationError as exc:
        raise InvalidResourceError(f"{plain.get('resourceType')} does not validate: {exc}") from exc
    return plain  # a new dict: _split copies every object and list
