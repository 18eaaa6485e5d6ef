"""What the rules answer: advice the cards layer turns into CDS Hooks cards and FHIR resources.

Texts are never written here: a ``Message`` is a catalog key plus parameters, rendered in French or English
by ``cards``. Numbers travel as typed values (``Decimal`` mg, ``date``), so the card and the FHIR resource
carry exactly the number the rule computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Union

ParamValue = Union[str, int, Decimal, date, datetime, "Message", tuple["Message", ...]]


@dataclass(frozen=True)
class Message:
    """A catalog key and its parameters.

    ``decisive`` marks, among an advice's ``facts`` and ``explanation``, what the clinician needs in order to
    act: a decisive fact (age, weight, doses counted, exposure date) or a step (a deadline, "weigh the child",
    "ask a specialist"). The card shows those; every message, decisive or not, is on the explanation page.
    Equal messages stay equal whatever the mark.
    """

    key: str
    params: Mapping[str, ParamValue] = field(default_factory=lambda: MappingProxyType({}))
    decisive: bool = field(default=False, compare=False)

    @staticmethod
    def of(key: str, **params: ParamValue) -> Message:
        return Message(key, MappingProxyType(params))  # params is a new dict at each call: no copy needed

    @staticmethod
    def decisive_of(key: str, **params: ParamValue) -> Message:
        """A decisive fact or step: on the card itself, not only on the explanation page."""
        return Message(key, MappingProxyType(params), decisive=True)

    def as_decisive(self) -> Message:
        return self if self.decisive else Message(self.key, self.params, decisive=True)


class Indicator(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SelectionBehavior(StrEnum):
    AT_MOST_ONE = "at-most-one"
    ANY = "any"


@dataclass(frozen=True)
class GuidelineRef:
    """A guideline document (an id of ``prevention_cds/rules/data/sources.json``), the section applied, named
    as the document names it, and the row of that section applied (a line of a table, a sentence), if any."""

    document: str
    section: str
    row: str = ""


# --- medicines -------------------------------------------------------------------------------------------


class Medicine(StrEnum):
    """Products the service can propose; their codings live in ``prevention_cds/fhir_out/data/products.json``."""

    RIFAMPICIN_ORAL_SUSPENSION = "rifampicin-oral-suspension"
    RIFAMPICIN_CAPSULE = "rifampicin-capsule"
    CIPROFLOXACIN_TABLET = "ciprofloxacin-tablet"
    CIPROFLOXACIN_ORAL_SUSPENSION = "ciprofloxacin-oral-suspension"
    CEFTRIAXONE_INJECTION = "ceftriaxone-injection"
    MMR_VACCINE = "mmr-vaccine"
    MMR_VACCINE_PRIORIX = "mmr-vaccine-priorix"
    MENC_CONJUGATE_VACCINE = "menc-conjugate-vaccine"
    MENACWY_CONJUGATE_VACCINE = "menacwy-conjugate-vaccine"


class Route(StrEnum):
    ORAL = "oral"
    INTRAMUSCULAR = "intramuscular"
    INTRAVENOUS = "intravenous"
    SUBCUTANEOUS = "subcutaneous"


@dataclass(frozen=True)
class DoseSchedule:
    """``frequency`` administrations every ``period`` ``period_unit`` for ``duration_days`` days, or a
    single dose (``count`` 1, no frequency)."""

    count: int | None = None
    frequency: int | None = None
    period: Decimal | None = None
    period_unit: str | None = None  # UCUM: "h" | "d"
    duration_days: int | None = None

    @staticmethod
    def single_dose() -> DoseSchedule:
        return DoseSchedule(count=1)

    @property
    def administrations(self) -> int | None:
        """How many times the dose is given over the whole schedule (None when it is not bounded)."""
        if self.count is not None:
            return self.count
        daily = self.period == 1 and self.period_unit == "d"
        if self.frequency is not None and self.duration_days is not None and daily:
            return self.frequency * self.duration_days
        return None


class DispenseUnit(StrEnum):
    """What the pharmacy hands over: units for capsules and tablets, whole bottles or vials otherwise."""

    CAPSULE = "capsule"
    TABLET = "tablet"
    BOTTLE = "bottle"
    VIAL = "vial"


@dataclass(frozen=True)
class Dispense:
    """The quantity to dispense for the whole course (``dispenseRequest.quantity``)."""

    quantity: int
    unit: DispenseUnit


@dataclass(frozen=True)
class MedicationProposal:
    medicine: Medicine
    route: Route
    schedule: DoseSchedule
    instruction: Message  # the whole instruction in words (with the weight used for a mg/kg dose)
    dose_mg: Decimal | None = None  # None for vaccines (one dose of the product)
    volume_ml: Decimal | None = None  # for an oral suspension
    weight_kg_used: Decimal | None = None
    mg_per_kg: Decimal | None = None
    reason_reference: str | None = None  # the exposure Observation or Condition, "Type/id"
    reason: str | None = None  # a key of prevention_cds/fhir_out/data/products.json "reasons" (e.g. "prophylaxis")
    patient_instruction: Message | None = None
    notes: tuple[Message, ...] = ()
    dispense: Dispense | None = None  # the whole course (None when the card does not say)
    free_vaccine: bool = False  # a free vaccine: its own prescription, with the mention the payer requires
    not_before: date | None = None  # not to be given, nor dispensed, before this day (the instruction says so too)


# --- vaccination forecast --------------------------------------------------------------------------------


class ForecastStatus(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    CONTRAINDICATED = "contraindicated"
    COMPLETE = "complete"
    IMMUNE = "immune"


class TargetDisease(StrEnum):
    MEASLES = "measles"
    MUMPS = "mumps"
    RUBELLA = "rubella"
    MENINGOCOCCAL_DISEASE = "meningococcal-disease"


@dataclass(frozen=True)
class ForecastDose:
    """A dose still owed (``due``, ``overdue``, ``contraindicated``), or where the series stands when none is
    (``complete``, ``immune``: no dose number then, and no series for ``immune``)."""

    dose_number: int | None
    series_doses: int | None
    status: ForecastStatus
    earliest: date | None = None
    due: date | None = None
    overdue: date | None = None
    reason: Message | None = None
    latest: date | None = None  # after it the dose is no longer recommended (a contact's window closes)


@dataclass(frozen=True)
class ImmunizationForecast:
    vaccine: Medicine
    target_diseases: tuple[TargetDisease, ...]
    doses: tuple[ForecastDose, ...]
    description: Message
    supporting_immunizations: tuple[str, ...] = ()  # "Immunization/id" of the doses counted


class EvaluationReason(StrEnum):
    """Why a recorded dose does not count toward the series (an ImmunizationEvaluation's reason)."""

    TOO_YOUNG = "too-young"
    TOO_SOON = "too-soon"  # under the minimum interval after an earlier dose of the same vaccine
    DUPLICATE = "duplicate"  # the same day as another dose of the same vaccine
    LIVE_VACCINE = "live-vaccine"  # too close after another live vaccine
    IMMUNOGLOBULIN = "immunoglobulin"  # too close after immunoglobulins
    YELLOW_FEVER_SAME_DAY = "yellow-fever-same-day"  # a young child, the same day as a yellow fever vaccine
    AFTER_ASSESSMENT = "after-assessment"  # dated after the day of the assessment: not evaluated
    UNREADABLE_DATE = "unreadable-date"  # the date of the dose cannot be read: not evaluated
    NOT_DONE = "not-done"  # recorded as not given
    ENTERED_IN_ERROR = "entered-in-error"  # a record withdrawn as an error


@dataclass(frozen=True)
class DoseReason:
    kind: EvaluationReason
    text: Message


@dataclass(frozen=True)
class DoseEvaluation:
    """One dose of the record judged against the series (an ImmunizationEvaluation): valid, with its place in the
    series, or not valid with every reason."""

    immunization: str | None  # "Immunization/id" of the dose, when the record gives it an id
    given_on: date | None  # None when the record gives no readable date
    dose: Message  # the dose as the record names it ("M-M-RVaxPro le 12/05/2025")
    reasons: tuple[DoseReason, ...] = ()  # none: the dose is valid
    dose_number: int | None = None  # its place in the series, when it is valid
    series_doses: int | None = None  # the doses of the series the patient owes (None when none is owed)

    @property
    def valid(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class VaccinationForecast:
    """The forecast for one vaccine on the day of an assessment: every dose of the record evaluated, and every dose
    still owed with its dates, future ones included (``recommendation``), or where the series stands when none is.
    ``recommendation`` is None when no forecast can be computed (no birth date, for instance): ``not_computed``
    says why. ``notices`` say what the forecast does not carry (a measure after a contact that is not a dose of the
    vaccine)."""

    assessed_on: date
    vaccine: Medicine
    target_diseases: tuple[TargetDisease, ...]
    series: Message  # the series the doses are evaluated against
    evaluations: tuple[DoseEvaluation, ...]
    recommendation: ImmunizationForecast | None
    not_computed: Message | None = None
    notices: tuple[Message, ...] = ()
    record_notes: tuple[Message, ...] = ()  # what of the record could not be used (``rules/record_notes.py``)


# --- suggestion actions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeMedication:
    """``create`` a MedicationRequest (intent proposal on patient-view, order on order hooks)."""

    proposal: MedicationProposal


@dataclass(frozen=True)
class ProposeImmunization:
    """``create`` an ImmunizationRecommendation."""

    forecast: ImmunizationForecast


@dataclass(frozen=True)
class ReplaceDraftOrder:
    """``update`` the draft order ``order_reference`` ("MedicationRequest/id") with the corrected one."""

    order_reference: str
    proposal: MedicationProposal


@dataclass(frozen=True)
class RemoveDraftOrder:
    """``delete`` the draft order ``order_reference``."""

    order_reference: str
    display: str


Action = ProposeMedication | ProposeImmunization | ReplaceDraftOrder | RemoveDraftOrder


@dataclass(frozen=True)
class Suggestion:
    label: Message
    actions: tuple[Action, ...]
    recommended: bool = False


@dataclass(frozen=True)
class Advice:
    """One card's worth of advice.

    ``rule`` is a stable id (``mmr.catch-up``) used in logs, feedback analytics and tests. ``explanation`` is
    the reasoning, ``facts`` the facts the rule used (age, doses counted and rejected, exposure date, weight),
    ``decisions`` the project's choices on ambiguous guidance that matter to the clinician (see
    docs/clinical-decisions.md), ``guideline`` the sections of the values used.

    What goes where is a rendering rule (``prevention_cds/fhir_out/explanation.py``): the card shows the summary,
    what to do (the instructions of the recommended suggestions and the decisive steps of ``explanation``) and
    the decisive ``facts``; the explanation page, one link away, shows everything. A new message lands on the
    page; mark it with ``Message.decisive_of`` only when the clinician cannot act without it.
    ``record_notes`` say what of the record the rule set could not use (a value that cannot be read, another
    patient's resources set aside, a medicine recognised by its name: ``rules/record_notes.py``); the card always
    shows them, since the clinician can correct the record.
    """

    rule: str
    indicator: Indicator
    summary: Message
    explanation: tuple[Message, ...]
    facts: tuple[Message, ...]
    guideline: tuple[GuidelineRef, ...]
    decisions: tuple[Message, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    selection: SelectionBehavior = SelectionBehavior.AT_MOST_ONE
    deadline: date | datetime | None = None  # the last moment the suggested measure still helps, when one applies
    record_notes: tuple[Message, ...] = ()
