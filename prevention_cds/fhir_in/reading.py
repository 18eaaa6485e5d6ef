"""One pass over a patient's resources: what the readers have found so far, and what they share (the code index,
the time of reading, the typed elements of a resource, skipping a resource with a logged warning)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from prevention_cds.fhir_in.typed_elements import typed_elements_model
from prevention_cds.rules.facts import (
    AllergyFact,
    ConditionFact,
    ExpectedDelivery,
    Exposure,
    MedicationFact,
    Occupation,
    PregnancyObservation,
    Sex,
    VaccineDose,
    WeightMeasurement,
)
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.terminology.index import CodeIndex

logger = logging.getLogger(__name__)

Resource = dict[str, Any]


class Reading:
    def __init__(self, patient_id: str, index: CodeIndex, now: datetime | None) -> None:
        self.patient_id = patient_id
        self.index = index
        self.now = now  # the time of reading: an exposure still going on at this time has its last contact now
        self.skipped = 0
        self.birth_date: PartialDate | None = None
        self.sex: Sex | None = None
        self.doses: list[VaccineDose] = []
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

    def typed(self, resource: Resource) -> Any | None:
        """The typed elements the rules read, validated with their R4B types; None (and the resource skipped) when
        one is malformed."""
        try:
            return typed_elements_model(resource["resourceType"]).model_validate(resource)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"][:2]) for e in exc.errors()})
            self.skip(resource, "invalid " + ", ".join(fields[:5]))
            return None

    def skip(self, resource: Resource, why: str) -> None:
        """Count and log an unusable resource: its type and what is wrong, never a value."""
        self.skipped += 1
        logger.warning("skipped a %s resource: %s", resource.get("resourceType", "?"), why)


def source_id(resource: Resource) -> str | None:
    """``Type/id`` of a resource, for the facts to cite."""
    rid = resource.get("id")
    return f"{resource['resourceType']}/{rid}" if isinstance(rid, str) and rid else None
