"""FHIR resources → one typed ``PatientRecord`` of the facts the rules use.

Codes are classified through the project's ValueSets (``terminology.terminology``). Once its codes show the
rules need a resource, the elements they read as typed values (dates, periods, quantities: ``TYPED_ELEMENTS``)
are validated with the types ``fhir.resources.R4B`` gives them. A resource whose typed elements are malformed, or
that is otherwise unusable, is skipped with a logged warning (type and failing fields only, never values); it
never fails the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from prevention_cds import terminology
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    AllergyFact,
    ConditionFact,
    Exposure,
    ExposureKind,
    IimSerogroup,
    MedicationFact,
    PatientRecord,
    Pregnancy,
    Sex,
    VaccineDose,
    WeightMeasurement,
)
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.settings import PRACTICE_TIMEZONE
from prevention_cds.terminology import ProjectCode
from prevention_cds.terminology.index import CodeIndex

logger = logging.getLogger(__name__)

LOCAL_TIMEZONE = PRACTICE_TIMEZONE

VACCINE_CONCEPTS = frozenset({
    Concept.MMR_VACCINE, Concept.MMRV_VACCINE, Concept.LIVE_VACCINE, Concept.MENC_VACCINE,
    Concept.MENACWY_VACCINE, Concept.MENB_VACCINE,
})
IMMUNIZATION_CONCEPTS = VACCINE_CONCEPTS | {Concept.IMMUNOGLOBULIN}
CONDITION_CONCEPTS = frozenset({
    Concept.PREGNANCY, Concept.SEVERE_IMMUNODEFICIENCY, Concept.MEASLES_HISTORY, Concept.RUBELLA_HISTORY,
    Concept.IIM_DISEASE, Concept.PORPHYRIA,
})
OCCUPATION_CONCEPTS = frozenset({Concept.HEALTHCARE_PROFESSIONAL, Concept.EARLY_CHILDHOOD_PROFESSIONAL})
ALLERGEN_CONCEPTS = frozenset({
    Concept.RIFAMYCIN_ALLERGEN, Concept.CIPROFLOXACIN_ALLERGEN, Concept.CEPHALOSPORIN_ALLERGEN,
    Concept.MMR_VACCINE_ALLERGEN, Concept.NEOMYCIN_ALLERGEN, Concept.GELATIN_ALLERGEN,
})
MEDICINE_CONCEPTS = frozenset({
    Concept.RIFAMPICIN, Concept.CIPROFLOXACIN, Concept.CEFTRIAXONE, Concept.THIRD_GEN_CEPHALOSPORIN,
    Concept.RIFAMPICIN_INTERACTING, Concept.HORMONAL_CONTRACEPTIVE, Concept.IMMUNOGLOBULIN, Concept.MMR_VACCINE,
})
WEIGHT_VS, PREGNANCY_STATUS_VS, DELIVERY_DATE_VS = (
    "body-weight-observation", "pregnancy-status-observation", "expected-delivery-date-observation",
)
OCCUPATION_VS, EXPOSURE_VS = "occupation-observation", "exposure-kind"
OBSERVATION_VALUESETS = frozenset({WEIGHT_VS, PREGNANCY_STATUS_VS, DELIVERY_DATE_VS, OCCUPATION_VS, EXPOSURE_VS})
PREGNANT_VS, NOT_PREGNANT_VS = "pregnant-finding", "not-pregnant-finding"

KG_PER_UNIT = {"kg": Decimal(1), "g": Decimal("0.001"), "[lb_av]": Decimal("0.45359237"), "lb": Decimal("0.45359237"),
               "lbs": Decimal("0.45359237")}
# The elements of each resource type the rules read as typed values (dates, periods, quantities): they are
# validated with their fhir.resources R4B types, and a resource where one of them is malformed is skipped. Codes,
# statuses and components are read from the JSON itself with type checks (a malformed one reads as absent), and
# the elements the rules never read are not looked at: a bad narrative, address or subject does not hide an
# allergy or a pregnancy from the rules.
TYPED_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Patient": ("birthDate", "gender"),
    "Immunization": ("occurrenceDateTime",),
    "Condition": ("onsetDateTime", "onsetPeriod", "recordedDate", "abatementDateTime"),
    "Observation": ("effectiveDateTime", "effectivePeriod", "valueQuantity", "valueDateTime"),
    "AllergyIntolerance": (),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod"),
}


@cache
def typed_elements_model(kind: str) -> type[BaseModel]:
    """The elements of ``kind`` in TYPED_ELEMENTS, each with the type the R4B model gives it."""
    resource_model = get_fhir_model_class(kind)
    fields: dict[str, Any] = {name: (resource_model.model_fields[name].annotation, None)
                              for name in TYPED_ELEMENTS[kind]}
    return create_model(f"{kind}TypedElements", __config__=ConfigDict(extra="ignore"), **fields)


USABLE_OBSERVATION_STATUSES = {"final", "amended", "corrected", "preliminary", "registered"}
IGNORED_MEDICATION_STATUSES = {"entered-in-error", "cancelled", "draft", "not-taken", "unknown"}


def codings(concept: Any) -> Iterator[tuple[str | None, str | None]]:
    """(system, code) pairs of a raw CodeableConcept."""
    codings_list = concept.get("coding") if isinstance(concept, dict) else None
    for coding in codings_list if isinstance(codings_list, list) else ():
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            yield (system if isinstance(system, str) else None), (code if isinstance(code, str) else None)


NO_VALUESETS: frozenset[str] = frozenset()


def valuesets_of(concept: Any, index: CodeIndex) -> frozenset[str]:
    """Ids of the ValueSets any coding of a raw CodeableConcept belongs to (hot path: every resource's code)."""
    codings_list = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings_list, list):
        return NO_VALUESETS
    found = NO_VALUESETS
    for coding in codings_list:
        if isinstance(coding, dict) and isinstance(code := coding.get("code"), str):
            system = coding.get("system")
            matched = index.valuesets_for(system if isinstance(system, str) else None, code)
            if matched:
                found = found | matched if found else matched
    return found


NO_CONCEPTS: frozenset[Concept] = frozenset()


CONCEPT_OF_VALUESET = {concept.value: concept for concept in Concept}


def concepts_of(concept: Any, index: CodeIndex, allowed: frozenset[Concept]) -> frozenset[Concept]:
    found = valuesets_of(concept, index)
    if not found:
        return NO_CONCEPTS
    return frozenset(c for vs in found if (c := CONCEPT_OF_VALUESET.get(vs)) is not None and c in allowed)


def display_of(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return str(coding["display"])
    return ""


# Dates outside this range are entry errors or "open-ended" markers (9999-12-31), never clinical facts.
PLAUSIBLE_YEARS = range(1880, 2200)


def as_datetime(value: Any) -> tuple[datetime, bool] | None:
    """A FHIR date or dateTime as an aware datetime, with whether it had a time. Partial or implausible
    dates → None."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=LOCAL_TIMEZONE)
        return (aware, True) if aware.year in PLAUSIBLE_YEARS else None
    if isinstance(value, date):
        moment = datetime.combine(value, time(0, 0), tzinfo=LOCAL_TIMEZONE)
        return (moment, False) if value.year in PLAUSIBLE_YEARS else None
    return None


def effective_of(model: Any) -> tuple[datetime, bool] | None:
    """effectiveDateTime, or the start of effectivePeriod."""
    period = model.effectivePeriod
    return as_datetime(model.effectiveDateTime) or (as_datetime(period.start) if period else None)


def as_date(value: Any) -> date | None:
    moment = as_datetime(value)
    return moment[0].date() if moment else None


class RecordBuilder:
    def __init__(self, patient_id: str, index: CodeIndex | None = None, now: datetime | None = None,
                 with_weights: bool = True) -> None:
        self.patient_id = patient_id
        self.with_weights = with_weights  # False when no rule set of the service reads a body weight
        self.now = now  # an exposure period still open at this time is an ongoing exposure
        self.index = index or CodeIndex.load()
        self.skipped = 0
        self.birth_date: PartialDate | None = None
        self.sex: Sex | None = None
        self.doses: list[VaccineDose] = []
        self.conditions: list[ConditionFact] = []
        self.pregnancy_observations: list[Pregnancy] = []
        self.delivery_dates: list[tuple[date, date]] = []  # (observed on, expected delivery)
        self.weights: list[WeightMeasurement] = []
        self.weight_candidates: list[dict[str, Any]] = []  # validated newest first, until one is usable
        self.occupations: set[Concept] = set()
        self.allergies: list[AllergyFact] = []
        self.medications: list[MedicationFact] = []
        self.exposures: list[Exposure] = []
        self.immunoglobulins: list[date] = []

    # --- entry point ---------------------------------------------------------------------------------

    def add_all(self, resources: Iterable[dict[str, Any]]) -> RecordBuilder:
        handlers = self._handlers()
        for resource in resources:
            kind = resource.get("resourceType")
            handler = handlers.get(kind) if isinstance(kind, str) else None
            if handler is None:
                continue
            try:
                handler(resource)
            except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation, RecursionError) as exc:
                self._skip(resource, type(exc).__name__)
        return self

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        return {kind: getattr(self, f"_add_{kind}") for kind in TYPED_ELEMENTS}

    def _model(self, resource: dict[str, Any]) -> Any | None:
        """The typed elements the rules read, validated with their R4B types; None when one is malformed."""
        try:
            return typed_elements_model(resource["resourceType"]).model_validate(resource)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"][:2]) for e in exc.errors()})
            self._skip(resource, "invalid " + ", ".join(fields[:5]))
            return None

    def _skip(self, resource: dict[str, Any], why: str) -> None:
        self.skipped += 1
        logger.warning("skipped a %s resource: %s", resource.get("resourceType", "?"), why)

    def _ref(self, resource: dict[str, Any]) -> str | None:
        rid = resource.get("id")
        return f"{resource['resourceType']}/{rid}" if isinstance(rid, str) and rid else None

    # --- resources -----------------------------------------------------------------------------------

    def _add_Patient(self, resource: dict[str, Any]) -> None:  # noqa: N802
        if resource.get("id") not in (None, self.patient_id) and self.birth_date is not None:
            return
        model = self._model(resource)
        if model is None:
            return
        if model.birthDate is not None:
            value = model.birthDate
            birth = PartialDate.exact(value) if isinstance(value, date) else PartialDate.parse(str(value))
            if birth.year not in PLAUSIBLE_YEARS:
                self._skip(resource, "implausible birthDate")
                return
            self.birth_date = birth
        if model.gender is not None:
            self.sex = Sex(model.gender)

    def _add_Immunization(self, resource: dict[str, Any]) -> None:  # noqa: N802
        if resource.get("status") != "completed":
            return  # not-done and entered-in-error doses do not count
        vaccine_code = resource.get("vaccineCode")
        concepts = concepts_of(vaccine_code, self.index, IMMUNIZATION_CONCEPTS)
        if not concepts:
            return
        model = self._model(resource)
        if model is None:
            return
        given = as_date(model.occurrenceDateTime)
        if given is None:
            self._skip(resource, "no usable occurrenceDateTime")
            return
        if Concept.IMMUNOGLOBULIN in concepts:
            self.immunoglobulins.append(given)
        vaccine_concepts = concepts & VACCINE_CONCEPTS
        if vaccine_concepts:
            self.doses.append(VaccineDose(given, vaccine_concepts, display_of(vaccine_code), self._ref(resource)))

    def _add_Condition(self, resource: dict[str, Any]) -> None:  # noqa: N802
        code = resource.get("code")
        concepts = concepts_of(code, self.index, CONDITION_CONCEPTS)
        if not concepts:
            return
        verification = {c for _, c in codings(resource.get("verificationStatus"))}
        if verification & {"refuted", "entered-in-error"}:
            return
        model = self._model(resource)
        if model is None:
            return
        clinical = {c for _, c in codings(resource.get("clinicalStatus"))}
        active = not clinical or bool(clinical & {"active", "recurrence", "relapse"})
        onset = as_date(model.onsetDateTime) or (as_date(model.onsetPeriod.start) if model.onsetPeriod else None)
        for concept in concepts:
            self.conditions.append(ConditionFact(
                concept=concept,
                display=display_of(code),
                onset=onset,
                recorded=as_date(model.recordedDate),
                abatement=as_date(model.abatementDateTime),
                active=active and model.abatementDateTime is None,
                confirmed=not verification & {"provisional", "differential", "unconfirmed"},
                source_id=self._ref(resource),
            ))

    def _add_Observation(self, resource: dict[str, Any]) -> None:  # noqa: N802
        if resource.get("status") not in USABLE_OBSERVATION_STATUSES:
            return
        valuesets = valuesets_of(resource.get("code"), self.index)
        if valuesets.isdisjoint(OBSERVATION_VALUESETS):
            return
        if WEIGHT_VS in valuesets:
            if self.with_weights:
                self.weight_candidates.append(resource)
            return
        model = self._model(resource)
        if model is None:
            return
        effective = effective_of(model)
        if EXPOSURE_VS in valuesets:
            self._add_exposure(resource, model)
        elif PREGNANCY_STATUS_VS in valuesets:
            answer = valuesets_of(resource.get("valueCodeableConcept"), self.index)
            if answer & {PREGNANT_VS, NOT_PREGNANT_VS} and effective is not None:
                self.pregnancy_observations.append(
                    Pregnancy(PREGNANT_VS in answer, effective[0].date(), None, self._ref(resource))
                )
        elif DELIVERY_DATE_VS in valuesets:
            expected = as_date(model.valueDateTime)
            if expected is not None:
                self.delivery_dates.append((effective[0].date() if effective else expected, expected))
        elif OCCUPATION_VS in valuesets:
            ended = model.effectivePeriod.end if model.effectivePeriod else None
            if ended is None:  # a past occupation (period ended) does not make a professional today
                self.occupations |= concepts_of(resource.get("valueCodeableConcept"), self.index, OCCUPATION_CONCEPTS)

    def _latest_weight(self) -> None:
        """Only the latest usable weight matters to the rules: candidates are validated newest first."""
        def recorded_at(resource: dict[str, Any]) -> str:
            value = resource.get("effectiveDateTime") or (resource.get("effectivePeriod") or {}).get("start")
            return value if isinstance(value, str) else ""

        for resource in sorted(self.weight_candidates, key=recorded_at, reverse=True):
            model = self._model(resource)
            if model is not None and self._add_weight(resource, model):
                return

    def _add_weight(self, resource: dict[str, Any], model: Any) -> bool:
        effective = effective_of(model)
        quantity = model.valueQuantity
        if quantity is None or quantity.value is None or effective is None:
            self._skip(resource, "weight without value or date")
            return False
        unit = quantity.code or quantity.unit or ""
        factor = KG_PER_UNIT.get(unit) or KG_PER_UNIT.get(unit.lower())
        if factor is None:
            self._skip(resource, "weight in an unknown unit")
            return False
        value = Decimal(str(quantity.value))
        if value <= 0:
            self._skip(resource, "weight not positive")
            return False
        self.weights.append(WeightMeasurement(
            kilograms=value * factor,
            measured_at=effective[0],
            original_value=f"{value} {unit}",
            source_id=self._ref(resource),
        ))
        return True

    def _add_exposure(self, resource: dict[str, Any], model: Any) -> None:
        kinds = {code for system, code in codings(resource.get("code")) if system == terminology.PROJECT_CODESYSTEM}
        kind = ExposureKind.IIM if ProjectCode.IIM_CONTACT in kinds else ExposureKind.MEASLES
        if model.effectiveDateTime is not None:
            first, last = None, as_datetime(model.effectiveDateTime)
        elif model.effectivePeriod is not None:
            first = as_datetime(model.effectivePeriod.start)
            last = as_datetime(model.effectivePeriod.end)
            # A period without a (plausible) end, or ending later, is ongoing (FHIR Period): the last contact
            # is now, which keeps the windows open rather than closing them on the first day of exposure.
            if self.now is not None and first is not None and (last is None or last[0] > self.now):
                last = (self.now, True)
            last = last or first
        else:
            first = last = None
        if last is None:
            self._skip(resource, "exposure without a date of last contact")
            return
        parts = _components(resource)
        serogroup = parts.get(ProjectCode.SEROGROUP)
        self.exposures.append(Exposure(
            kind=kind,
            last_contact=last[0],
            has_time=last[1],
            first_contact=first[0] if first else None,
            setting=_code_value(parts.get(ProjectCode.CONTACT_SETTING), terminology.CONTACT_SETTING_CODESYSTEM),
            serogroup=_serogroup(serogroup),
            rifampicin_resistant=_bool_value(parts.get(ProjectCode.RIFAMPICIN_RESISTANT)),
            repeated_case_in_community=_bool_value(parts.get(ProjectCode.REPEATED_CASE)),
            community_first_case_on=_date_value(parts.get(ProjectCode.COMMUNITY_FIRST_CASE)),
            prior_prophylaxis_ended_on=_date_value(parts.get(ProjectCode.PRIOR_PROPHYLAXIS_END)),
            case_first_effective_antibiotic=_datetime_value(parts.get(ProjectCode.CASE_FIRST_EFFECTIVE_ANTIBIOTIC)),
            case_confirmed=(
                _bool_value(parts[ProjectCode.CASE_CONFIRMED]) if ProjectCode.CASE_CONFIRMED in parts else None
            ),
            source_id=self._ref(resource),
        ))

    def _add_AllergyIntolerance(self, resource: dict[str, Any]) -> None:  # noqa: N802
        substances = concepts_of(resource.get("code"), self.index, ALLERGEN_CONCEPTS)
        manifestations: set[Concept] = set()
        for reaction in resource.get("reaction") or ():
            if isinstance(reaction, dict):
                substances |= concepts_of(reaction.get("substance"), self.index, ALLERGEN_CONCEPTS)
                for manifestation in reaction.get("manifestation") or ():
                    manifestations |= concepts_of(manifestation, self.index, frozenset({Concept.ANAPHYLAXIS}))
        if not substances:
            return
        verification = {c for _, c in codings(resource.get("verificationStatus"))}
        clinical = {c for _, c in codings(resource.get("clinicalStatus"))}
        if verification & {"refuted", "entered-in-error"} or clinical & {"inactive", "resolved"}:
            return
        self.allergies.append(AllergyFact(
            concepts=frozenset(substances | manifestations),
            display=display_of(resource.get("code")),
            confirmed="unconfirmed" not in verification,  # absent verification status: taken as real
            high_criticality=resource.get("criticality") == "high",
            source_id=self._ref(resource),
        ))

    def _medication_concept(self, resource: dict[str, Any]) -> Any:
        concept = resource.get("medicationCodeableConcept")
        reference = (resource.get("medicationReference") or {}).get("reference")
        if concept is None and isinstance(reference, str) and reference.startswith("#"):
            for contained in resource.get("contained") or ():
                if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                    return contained.get("code")
        return concept

    def _add_medication(self, resource: dict[str, Any], started_field: str) -> None:
        status = resource.get("status")
        if status in IGNORED_MEDICATION_STATUSES:
            return
        concept = self._medication_concept(resource)
        concepts = concepts_of(concept, self.index, MEDICINE_CONCEPTS)
        if not concepts:
            return
        model = self._model(resource)
        if model is None:
            return
        started_value = getattr(model, started_field, None)
        if started_value is None and getattr(model, "effectivePeriod", None) is not None:
            started_value = model.effectivePeriod.start
        started = as_date(started_value)
        if Concept.IMMUNOGLOBULIN in concepts and started is not None:
            self.immunoglobulins.append(started)
        self.medications.append(
            MedicationFact(frozenset(concepts), display_of(concept), str(status), started, self._ref(resource))
        )

    def _add_MedicationRequest(self, resource: dict[str, Any]) -> None:  # noqa: N802
        self._add_medication(resource, "authoredOn")

    def _add_MedicationStatement(self, resource: dict[str, Any]) -> None:  # noqa: N802
        self._add_medication(resource, "effectiveDateTime")

    def _add_MedicationAdministration(self, resource: dict[str, Any]) -> None:  # noqa: N802
        self._add_medication(resource, "effectiveDateTime")

    # --- result --------------------------------------------------------------------------------------

    def _pregnancy(self) -> Pregnancy | None:
        evidence = list(self.pregnancy_observations)
        for condition in self.conditions:
            if condition.concept == Concept.PREGNANCY and condition.active:
                evidence.append(Pregnancy(True, condition.recorded or condition.onset, None, condition.source_id))
        if not evidence:
            return None
        latest = max(evidence, key=lambda p: p.observed_on or date.min)
        if not latest.pregnant:
            return latest
        expected = max(self.delivery_dates, default=None)
        return Pregnancy(True, latest.observed_on, expected[1] if expected else None, latest.source_id)

    def build(self) -> PatientRecord:
        self._latest_weight()
        return PatientRecord(
            patient_id=self.patient_id,
            birth_date=self.birth_date,
            sex=self.sex,
            vaccine_doses=tuple(sorted(self.doses, key=lambda d: d.given_on)),
            conditions=tuple(self.conditions),
            pregnancy=self._pregnancy(),
            weights=tuple(sorted(self.weights, key=lambda w: w.measured_at)),
            occupations=frozenset(self.occupations),
            allergies=tuple(self.allergies),
            medications=tuple(self.medications),
            exposures=tuple(sorted(self.exposures, key=lambda e: e.last_contact)),
            immunoglobulin_dates=tuple(sorted(set(self.immunoglobulins))),
            skipped_resources=self.skipped,
        )


def build_record(
    patient_id: str, resources: Iterable[dict[str, Any]], index: CodeIndex | None = None, now: datetime | None = None,
    *, with_weights: bool = True,
) -> PatientRecord:
    return RecordBuilder(patient_id, index, now, with_weights).add_all(resources).build()


# --- exposure components ---------------------------------------------------------------------------------


def _components(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for component in resource.get("component") or ():
        if not isinstance(component, dict):
            continue
        for system, code in codings(component.get("code")):
            if system == terminology.PROJECT_CODESYSTEM and isinstance(code, str):
                found[code] = component
    return found


def _code_value(component: dict[str, Any] | None, system: str) -> str | None:
    if component is None:
        return None
    for coding_system, code in codings(component.get("valueCodeableConcept")):
        if coding_system == system and isinstance(code, str):
            return code
    return None


def _serogroup(component: dict[str, Any] | None) -> IimSerogroup | None:
    code = _code_value(component, terminology.SEROGROUP_CODESYSTEM)
    if code is None:
        return None
    try:
        return IimSerogroup(code)
    except ValueError:
        return IimSerogroup.UNKNOWN


def _bool_value(component: dict[str, Any] | None) -> bool:
    return bool(component is not None and component.get("valueBoolean") is True)


def _datetime_value(component: dict[str, Any] | None) -> datetime | None:
    if component is None or not isinstance(component.get("valueDateTime"), str):
        return None
    text: str = component["valueDateTime"]
    try:
        parsed: date = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None
    moment = as_datetime(parsed)
    return moment[0] if moment else None


def _date_value(component: dict[str, Any] | None) -> date | None:
    moment = _datetime_value(component)
    return moment.date() if moment else None
