"""One pass over a patient's resources: what the readers have found so far, and what they share (the code index,
the time of reading, the typed elements of a resource, the values that could not be read, skipping a resource
with a logged warning)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from prevention_cds.fhir_in.typed_elements import typed_elements_model
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    AllergyFact,
    ConditionFact,
    ExpectedDelivery,
    Exposure,
    ExposureKind,
    MedicationFact,
    NotGivenDose,
    Occupation,
    PregnancyObservation,
    RecordElement,
    Sex,
    UnreadableValue,
    VaccineDose,
    WeightMeasurement,
)
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.terminology.index import CodeIndex

logger = logging.getLogger(__name__)

Resource = dict[str, Any]
SHOWN_LENGTH = 60  # an unreadable value is shown on the card up to this many characters


class TypedElements:
    """The elements of a resource the rules read as typed values (``typed_elements.py``): each one valid, or None
    with the value as sent in ``unreadable`` (a bad date does not hide the rest of the resource)."""

    __slots__ = ("_values", "unreadable")

    def __init__(self, values: dict[str, Any], unreadable: dict[str, Any]) -> None:
        self._values = values
        self.unreadable = unreadable

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


def _validated(model: type[BaseModel], resource: Resource) -> TypedElements:
    unreadable: dict[str, Any] = {}
    while True:
        try:
            valid = model.model_validate(resource)
        except ValidationError as exc:
            failing = {str(error["loc"][0]) for error in exc.errors() if error["loc"]} - unreadable.keys()
            if not failing:
                raise  # an error in no element: the resource is skipped
            unreadable.update({name: resource.get(name) for name in failing})
            resource = {key: value for key, value in resource.items() if key not in failing}
            continue
        return TypedElements(valid.__dict__, unreadable)  # the fields' values: extra elements are ignored


def shown(value: Any) -> str:
    """A value as the record gives it, for the card (never for a log): a string as written, an element by its
    values ("31 stone"), shortened."""
    if isinstance(value, dict) and "value" in value:  # a Quantity: its value and unit
        text = f"{value.get('value')} {value.get('unit') or value.get('code') or ''}"
    elif isinstance(value, dict):  # a Period, or another element: its values
        text = " – ".join(str(v) for v in value.values() if isinstance(v, str | int | float))
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


class Reading:
    def __init__(self, patient_id: str, index: CodeIndex, now: datetime | None) -> None:
        self.patient_id = patient_id
        self.index = index
        self.now = now  # the time of reading: an exposure still going on at this time has its last contact now
        self.skipped = 0
        self.birth_date: PartialDate | None = None
        self.sex: Sex | None = None
        self.patient_read = False
        self.deceased = False
        self.doses: list[VaccineDose] = []
        self.not_given: list[NotGivenDose] = []  # Immunizations not done or entered in error
        self.conditions: list[ConditionFact] = []
        self.pregnancy_observations: list[PregnancyObservation] = []
        self.expected_deliveries: list[ExpectedDelivery] = []
        self.weight_candidates: list[Resource] = []  # validated newest first once all are in, until one is usable
        self.weights: list[WeightMeasurement] = []
        self.occupations: list[Occupation] = []
        self.allergies: list[AllergyFact] = []
        self.medications: list[MedicationFact] = []
        self.exposures: list[Exposure] = []
        self.immunoglobulins: list[date] = []
        self.unreadable: list[UnreadableValue] = []
        self.other_patients: Counter[str] = Counter()
        self.medication_resources: dict[str, Resource] = {}  # by "Medication/id": what a medicationReference names

    def typed(self, resource: Resource) -> TypedElements:
        """The typed elements the rules read, validated with their R4B types; a malformed one reads as None and is
        listed in ``unreadable`` (the reader says what it means for the rules)."""
        return _validated(typed_elements_model(resource["resourceType"]), resource)

    def unreadable_value(
        self,
        element: RecordElement,
        value: Any,
        resource: Resource,
        concepts: frozenset[Concept] = frozenset(),
        display: str = "",
        exposure: ExposureKind | None = None,
    ) -> None:
        """Keep a value the rules need and cannot read, for the card; the log says which element, never the value."""
        self.unreadable.append(
            UnreadableValue(element, shown(value), concepts, display, source_id(resource), exposure)
        )
        logger.warning("unreadable %s in a resource of type %s", element.value, resource.get("resourceType", "?"))

    def skip(self, resource: Resource, why: str) -> None:
        """Count and log an unusable resource: its type and what is wrong, never a value."""
        self.skipped += 1
        logger.warning("skipped a resource of type %s: %s", resource.get("resourceType", "?"), why)


def source_id(resource: Resource) -> str | None:
    """``Type/id`` of a resource, for the facts to cite."""
    rid = resource.get("id")
    return f"{resource['resourceType']}/{rid}" if isinstance(rid, str) and rid else None
