"""Reading Observations: body weight, pregnancy status, expected delivery date, occupation, and exposures
(``exposure.py``). Which one an Observation is comes from the ValueSet its code belongs to."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from prevention_cds.fhir_in.codes import concepts_of, display_of, valuesets_of
from prevention_cds.fhir_in.dates import as_date, effective_time, stated_period
from prevention_cds.fhir_in.exposure import read_exposure
from prevention_cds.fhir_in.reading import Reading, Resource, TypedElements, shown, source_id
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    ExpectedDelivery,
    Occupation,
    PregnancyObservation,
    RecordElement,
    WeightMeasurement,
)

WEIGHT_VS, PREGNANCY_STATUS_VS, DELIVERY_DATE_VS = (
    "body-weight-observation", "pregnancy-status-observation", "expected-delivery-date-observation",
)
OCCUPATION_VS, EXPOSURE_VS = "occupation-observation", "exposure-kind"
PREGNANT_VS, NOT_PREGNANT_VS = "pregnant-finding", "not-pregnant-finding"
OCCUPATION_CONCEPTS = frozenset({Concept.HEALTHCARE_PROFESSIONAL, Concept.EARLY_CHILDHOOD_PROFESSIONAL})
USABLE_OBSERVATION_STATUSES = {"final", "amended", "corrected", "preliminary", "registered"}
_KG, _LB = Decimal(1), Decimal("0.45359237")
# UCUM codes, and the unit words records write instead (unambiguous in English and French; clinical-decisions)
KG_PER_UNIT = {"kg": _KG, "g": Decimal("0.001"), "[lb_av]": _LB, "lb": _LB, "lbs": _LB,
               "kilogram": _KG, "kilograms": _KG, "kilogramme": _KG, "kilogrammes": _KG, "pound": _LB, "pounds": _LB}

PREGNANCY = frozenset({Concept.PREGNANCY})
EFFECTIVE_ELEMENTS = ("effectiveDateTime", "effectivePeriod")

ObservationReader = Callable[[Resource, TypedElements, Reading], None]


def read_observation(resource: Resource, reading: Reading) -> None:
    if resource.get("status") not in USABLE_OBSERVATION_STATUSES:
        return
    valuesets = valuesets_of(resource.get("code"), reading.index)
    if WEIGHT_VS in valuesets:
        reading.weight_candidates.append(resource)  # only the latest usable weight counts: see read_latest_weight
        return
    for valueset, read in OBSERVATION_READERS:
        if valueset in valuesets:
            read(resource, reading.typed(resource), reading)
            return


def _unreadable_effective(resource: Resource, typed: TypedElements) -> Any:
    """The effective date as sent when there is one but it cannot be used (malformed, or an implausible year)."""
    for name in EFFECTIVE_ELEMENTS:
        if name in typed.unreadable:
            return typed.unreadable[name]
    return next((resource[name] for name in EFFECTIVE_ELEMENTS if resource.get(name) is not None), None)


def _pregnancy_status(resource: Resource, typed: TypedElements, reading: Reading) -> None:
    answer = valuesets_of(resource.get("valueCodeableConcept"), reading.index)
    effective = effective_time(typed)
    if answer.isdisjoint({PREGNANT_VS, NOT_PREGNANT_VS}):
        return
    if effective is not None:
        reading.pregnancy_observations.append(
            PregnancyObservation(PREGNANT_VS in answer, effective.moment.date(), source_id(resource))
        )
    elif PREGNANT_VS in answer and (stated := _unreadable_effective(resource, typed)) is not None:
        # a "pregnant" answer of unknown date: not weighed (how recent it is decides), said on the card
        display = display_of(resource.get("valueCodeableConcept"))
        reading.unreadable_value(RecordElement.OBSERVATION_DATE, stated, resource, PREGNANCY, display)


def _expected_delivery(resource: Resource, typed: TypedElements, reading: Reading) -> None:
    expected = as_date(typed.valueDateTime)
    if expected is not None:
        effective = effective_time(typed)
        observed_on = effective.moment.date() if effective else expected
        reading.expected_deliveries.append(ExpectedDelivery(observed_on, expected, source_id(resource)))
    elif "valueDateTime" in typed.unreadable:
        stated = typed.unreadable["valueDateTime"]
        reading.unreadable_value(RecordElement.DELIVERY_DATE, stated, resource, PREGNANCY)


def _occupation(resource: Resource, typed: TypedElements, reading: Reading) -> None:
    concepts = concepts_of(resource.get("valueCodeableConcept"), reading.index, OCCUPATION_CONCEPTS)
    if "effectivePeriod" in typed.unreadable:
        # a period that cannot be read is read as no period (the occupation is held): said on the card
        display = display_of(resource.get("valueCodeableConcept"))
        stated = typed.unreadable["effectivePeriod"]
        reading.unreadable_value(RecordElement.OBSERVATION_DATE, stated, resource, concepts, display)
    reading.occupations.append(Occupation(concepts, stated_period(typed.effectivePeriod), source_id(resource)))


# In this order: the first ValueSet an Observation's code belongs to says what it is.
OBSERVATION_READERS: tuple[tuple[str, ObservationReader], ...] = (
    (EXPOSURE_VS, read_exposure),
    (PREGNANCY_STATUS_VS, _pregnancy_status),
    (DELIVERY_DATE_VS, _expected_delivery),
    (OCCUPATION_VS, _occupation),
)


def read_latest_weight(reading: Reading) -> None:
    """Only the latest usable weight matters to the rules: candidates are validated newest first."""
    def recorded_at(resource: Resource) -> str:  # a sort key only: a malformed date is reported by validation
        period = resource.get("effectivePeriod")
        value = resource.get("effectiveDateTime") or (period.get("start") if isinstance(period, dict) else None)
        return value if isinstance(value, str) else ""

    for resource in sorted(reading.weight_candidates, key=recorded_at, reverse=True):
        if _weight(resource, reading.typed(resource), reading):
            return


def _weight(resource: Resource, typed: TypedElements, reading: Reading) -> bool:
    """A weight read, or False: a weight more recent than the one used that cannot be read is said on the card."""
    effective = effective_time(typed)
    quantity = typed.valueQuantity
    stated = resource.get("valueQuantity")
    if "valueQuantity" in typed.unreadable or (quantity is not None and quantity.value is None):
        reading.unreadable_value(RecordElement.WEIGHT, stated, resource)
        return False
    if quantity is None:
        reading.skip(resource, "weight without value")
        return False
    if effective is None:
        if (when := _unreadable_effective(resource, typed)) is not None:
            reading.unreadable_value(RecordElement.OBSERVATION_DATE, when, resource, display=shown(stated))
        else:
            reading.skip(resource, "weight without date")
        return False
    unit = quantity.code or quantity.unit or ""
    factor = KG_PER_UNIT.get(unit) or KG_PER_UNIT.get(unit.lower())
    value = Decimal(str(quantity.value))
    if factor is None or value <= 0:
        reading.unreadable_value(RecordElement.WEIGHT, stated, resource)
        return False
    reading.weights.append(WeightMeasurement(
        kilograms=value * factor,
        measured_at=effective.moment,
        original_value=f"{value} {unit}",
        source_id=source_id(resource),
    ))
    return True
