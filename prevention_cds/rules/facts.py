"""The facts the rules use, built once per call from the FHIR record by ``prevention_cds.fhir_in.record``.

Every fact keeps the id of the FHIR resource it came from (``source_id``, ``Type/id``) so that cards can cite
it and suggestions can reference it.

Some types here are *readings*: what a resource states, before the rules weigh it (a clinical status, a
verification status, a period that may be open, a pregnancy observation). ``rules/evidence.py`` decides what they
mean (is the condition active, which pregnancy evidence wins, when was the last contact); the record builder
applies it once per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Final

from prevention_cds.rules.advice import Route
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.partial_date import PartialDate


class Unreadable(Enum):
    """A value a resource gives but that cannot be read (an unknown code, a partial or implausible date): kept
    apart from "not stated", since the rules may weigh the two differently."""

    VALUE = "unreadable"


UNREADABLE: Final = Unreadable.VALUE


class ClinicalStatus(StrEnum):
    """What a condition or an allergy record says of the patient now."""

    ACTIVE = "active"
    RECURRENCE = "recurrence"
    RELAPSE = "relapse"
    INACTIVE = "inactive"
    REMISSION = "remission"
    RESOLVED = "resolved"


class Verification(StrEnum):
    """How sure the author of a condition or an allergy record is (refuted records are not read at all)."""

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"
    PROVISIONAL = "provisional"
    DIFFERENTIAL = "differential"


@dataclass(frozen=True)
class RecordedTime:
    """A date or a date and time as recorded; a date alone is midnight, practice time, with ``has_time`` False."""

    moment: datetime
    has_time: bool


@dataclass(frozen=True)
class RecordedPeriod:
    """A period as recorded. An ``end`` of None is open: whatever the period describes is still going on."""

    start: RecordedTime | Unreadable | None
    end: RecordedTime | Unreadable | None


class ExposureKind(StrEnum):
    IIM = "iim-contact"
    MEASLES = "measles-contact"


class RecordElement(StrEnum):
    """An element the rules read that a record may give in a form that cannot be read: the card names it, so that
    the clinician can correct the record."""

    BIRTH_DATE = "birth-date"
    SEX = "sex"
    DECEASED_DATE = "deceased-date"
    DOSE_DATE = "dose-date"  # Immunization.occurrence (a vaccine dose, immunoglobulins)
    CONDITION_DATE = "condition-date"  # onset, abatement or recorded date
    OBSERVATION_DATE = "observation-date"  # a pregnancy status, an expected delivery date, an occupation
    DELIVERY_DATE = "delivery-date"  # the value of an expected delivery date observation
    WEIGHT = "weight"
    EXPOSURE_DATE = "exposure-date"  # the contact's date or period
    EXPOSURE_DETAIL_DATE = "exposure-detail-date"  # a date of the case or the community given with the exposure
    MEDICATION_DATE = "medication-date"  # when a medicine was ordered, taken or given
    MEDICINE = "medicine"  # what medicine a MedicationRequest/-Statement/-Administration is of


@dataclass(frozen=True)
class UnreadableValue:
    """A value the record gives for an element the rules read, and that cannot be read (``14/05/1996`` for a birth
    date, ``1997-13-01`` for a dose). ``text`` is the value as written (shown on the card, never logged);
    ``concepts`` say what the resource is about (an MMR dose, a pregnancy), ``display`` how the record names it."""

    element: RecordElement
    text: str
    concepts: frozenset[Concept] = frozenset()
    display: str = ""
    source_id: str | None = None
    exposure: ExposureKind | None = None  # the disease of an exposure whose date cannot be read


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class VaccineDose:
    """A completed Immunization. ``concepts`` holds every vaccine concept its code belongs to."""

    given_on: date
    concepts: frozenset[Concept]
    display: str
    source_id: str | None = None

    def is_a(self, concept: Concept) -> bool:
        return concept in self.concepts


class NotGivenStatus(StrEnum):
    """Why an Immunization of the record is not a dose given."""

    NOT_DONE = "not-done"
    ENTERED_IN_ERROR = "entered-in-error"


@dataclass(frozen=True)
class NotGivenDose:
    """An Immunization recorded as not done, or entered in error: never a dose given, kept so that a forecast can
    say why it does not count."""

    status: NotGivenStatus
    recorded_on: date | None  # the occurrence it states, when readable
    concepts: frozenset[Concept]
    display: str
    source_id: str | None = None

    def is_a(self, concept: Concept) -> bool:
        return concept in self.concepts


@dataclass(frozen=True)
class ConditionFact:
    concept: Concept
    display: str
    onset: date | None = None
    recorded: date | None = None
    abatement: date | None = None
    active: bool = True
    confirmed: bool = True  # False for provisional / differential
    source_id: str | None = None
    in_remission: bool = False  # a cancer in remission may still weaken immunity (a live vaccine waits)


@dataclass(frozen=True)
class Pregnancy:
    """The latest pregnancy evidence. ``pregnant`` False means a recorded 'not pregnant' observation."""

    pregnant: bool
    observed_on: date | None
    expected_delivery: date | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class PregnancyObservation:
    """A reading: an observation of pregnancy status ('pregnant' or 'not pregnant') and the day it was made."""

    pregnant: bool
    observed_on: date
    source_id: str | None = None


@dataclass(frozen=True)
class ExpectedDelivery:
    """A reading: an expected delivery date, and the day it was recorded."""

    observed_on: date
    expected: date
    source_id: str | None = None


@dataclass(frozen=True)
class Occupation:
    """A reading: an occupation of the patient, with the period it was held when the record gives one."""

    concepts: frozenset[Concept]
    period: RecordedPeriod | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class WeightMeasurement:
    kilograms: Decimal
    measured_at: datetime
    original_value: str  # as recorded, e.g. "30 kg" or "66.1 [lb_av]", to show on the card
    source_id: str | None = None


@dataclass(frozen=True)
class AllergyFact:
    concepts: frozenset[Concept]  # substance concepts; ANAPHYLAXIS when a reaction manifestation says so
    display: str
    confirmed: bool = True
    high_criticality: bool = False
    severity_unknown: bool = False  # neither a criticality (low or high) nor a reaction recorded: not said mild
    source_id: str | None = None
    recognised_by_name: bool = False  # no code the service knows: the substance was recognised in the text

    @property
    def anaphylactic(self) -> bool:
        return Concept.ANAPHYLAXIS in self.concepts

    @property
    def severe(self) -> bool:
        """Severe as the rules read it: an anaphylactic reaction, or a high criticality (the safer reading)."""
        return self.anaphylactic or self.high_criticality


class MedicationStatus(StrEnum):
    """Where a recorded medicine stands, whether it was ordered, declared or given."""

    ONGOING = "ongoing"  # being taken, paused, or ordered and not yet finished
    FINISHED = "finished"  # taken, and no longer
    NOT_TAKEN = "not-taken"  # never given: cancelled, not taken, recorded in error
    UNSTATED = "unstated"  # no status, or one that cannot be read


class DoseForm(StrEnum):
    """The dose form of a medicinal product, as far as the rules need it (a capsule a young child cannot swallow,
    a suspension measured in mL)."""

    CAPSULE = "capsule"
    TABLET = "tablet"
    ORAL_SOLID = "oral-solid"  # a tablet or a capsule (RxNorm "Pill" groupings): which one is not said
    ORAL_SUSPENSION = "oral-suspension"
    INJECTION = "injection"


@dataclass(frozen=True)
class Strength:
    """How much of one ingredient a unit of the product holds: ``mg`` per capsule or tablet, or per ``per_ml`` mL of
    a liquid. ``concepts`` are the rule concepts of the ingredient (empty for an ingredient the rules do not name)."""

    ingredient: str
    concepts: frozenset[Concept]
    mg: Decimal
    per_ml: Decimal | None = None


@dataclass(frozen=True)
class Product:
    """What the record says of the product a medicine is, beyond its ingredients: its form and strengths, when the
    product is one the service knows (``terminology``) or its text names a form."""

    form: DoseForm | None = None
    strengths: tuple[Strength, ...] = ()
    recognised_by_name: bool = False  # no code the service knows: the ingredient was recognised in the text

    def strength_of(self, concept: Concept) -> Strength | None:
        return next((s for s in self.strengths if concept in s.concepts), None)


UNKNOWN_PRODUCT: Final = Product()


@dataclass(frozen=True)
class MedicationFact:
    """A medicine ordered, declared or given (MedicationRequest, -Statement or -Administration)."""

    concepts: frozenset[Concept]
    display: str
    status: MedicationStatus
    started: date | None = None
    source_id: str | None = None
    product: Product = UNKNOWN_PRODUCT
    ended: date | None = None  # the end of the period taken, when recorded (a treatment stopped lately still counts)


class IimSerogroup(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    W = "W"
    Y = "Y"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Exposure:
    """An Observation of the project's exposure profile.

    ``last_contact`` is a datetime when a time was recorded; ``has_time`` says whether it was (a date alone
    cannot decide a 72-hour window and the rules must say so).
    """

    kind: ExposureKind
    last_contact: datetime
    has_time: bool
    first_contact: datetime | None = None
    setting: str | None = None  # a code of the project's contact-setting CodeSystem
    serogroup: IimSerogroup | None = None
    rifampicin_resistant: bool = False
    repeated_case_in_community: bool = False
    community_first_case_on: date | None = None
    prior_prophylaxis_ended_on: date | None = None
    case_first_effective_antibiotic: datetime | None = None  # health-worker window ends there (IIM)
    case_confirmed: bool | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class PatientRecord:
    patient_id: str
    birth_date: PartialDate | None
    sex: Sex | None
    vaccine_doses: tuple[VaccineDose, ...] = ()
    conditions: tuple[ConditionFact, ...] = ()
    pregnancy: Pregnancy | None = None
    weights: tuple[WeightMeasurement, ...] = ()
    occupations: frozenset[Concept] = frozenset()
    allergies: tuple[AllergyFact, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    exposures: tuple[Exposure, ...] = ()
    immunoglobulin_dates: tuple[date, ...] = ()
    state_medical_aid: bool | None = None  # AME beneficiary; None when the record does not say
    skipped_resources: int = 0  # malformed or unusable resources ignored while building the record
    deceased: bool = False  # the record says the patient died (on or before the day of reading)
    unreadable: tuple[UnreadableValue, ...] = ()  # values of elements the rules read that could not be read
    other_patients: tuple[tuple[str, int], ...] = ()  # (resource type, count) of resources of another patient, ignored
    not_given_doses: tuple[NotGivenDose, ...] = ()  # Immunizations not done or entered in error

    @property
    def unreadable_birth_date(self) -> str | None:
        """The birth date as written, when the record gives one that cannot be read (``14/05/1996``)."""
        return next((v.text for v in self.unreadable if v.element == RecordElement.BIRTH_DATE), None)

    def doses_of(self, concept: Concept) -> tuple[VaccineDose, ...]:
        return tuple(sorted((d for d in self.vaccine_doses if d.is_a(concept)), key=lambda d: d.given_on))

    def active_conditions(self, concept: Concept) -> tuple[ConditionFact, ...]:
        return tuple(c for c in self.conditions if c.concept == concept and c.active)

    def has_condition(self, concept: Concept) -> bool:
        return bool(self.active_conditions(concept))

    def has_history(self, concept: Concept) -> bool:
        """A condition ever recorded, active or resolved (history of measles, of rubella)."""
        return any(c.concept == concept for c in self.conditions)

    def allergies_to(self, concept: Concept) -> tuple[AllergyFact, ...]:
        return tuple(a for a in self.allergies if concept in a.concepts)

    def medications_of(self, concept: Concept) -> tuple[MedicationFact, ...]:
        return tuple(m for m in self.medications if concept in m.concepts)

    @property
    def latest_weight(self) -> WeightMeasurement | None:
        return max(self.weights, key=lambda w: w.measured_at, default=None)

    def exposures_of(self, kind: ExposureKind) -> tuple[Exposure, ...]:
        return tuple(sorted((e for e in self.exposures if e.kind == kind), key=lambda e: e.last_contact))


@dataclass(frozen=True)
class DraftOrder:
    """A draft order from ``context.draftOrders``, read tolerantly (no intent, STU3 dosage shapes)."""

    resource_type: str
    resource_id: str | None
    concepts: frozenset[Concept]
    display: str
    dose_mg: Decimal | None = None
    dose_unit: str | None = None  # the unit as written when it is not mg
    frequency_per_day: Decimal | None = None
    duration_days: Decimal | None = None
    route: Route | None = None  # None when the order gives no route the service knows
    selected: bool = True  # listed in context.selections (order-select); always True on order-sign
    product: Product = UNKNOWN_PRODUCT  # form and strengths of the product ordered, when known
    medicine_unreadable: bool = False  # the order names no medicine that can be read: nothing was checked
    medicine_as_written: str = ""  # its medicationReference as sent, to say what could not be read

    @property
    def reference(self) -> str | None:
        return f"{self.resource_type}/{self.resource_id}" if self.resource_id else None


@dataclass(frozen=True)
class OrderContext:
    """The draft orders of an order-select or order-sign call."""

    hook: str
    orders: tuple[DraftOrder, ...] = ()
    other_patient_orders: int = 0  # draft orders whose subject is another patient: not checked

    def orders_of(self, concept: Concept) -> tuple[DraftOrder, ...]:
        return tuple(o for o in self.orders if concept in o.concepts and o.selected)

    @property
    def unreadable_orders(self) -> tuple[DraftOrder, ...]:
        """The orders advised on whose medicine cannot be read."""
        return tuple(o for o in self.orders if o.medicine_unreadable and o.selected)
