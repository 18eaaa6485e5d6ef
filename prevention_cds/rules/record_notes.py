"""What the record says that the rules could not use, said on the cards of the rule set it concerns.

A value that cannot be read is never silently dropped, and another patient's resources are never silently
ignored: each card carries, as short lines the clinician can act on, the values of its rule set's elements that
could not be read ("1 dose de ROR à date illisible (« 1997-13-01 ») : non comptée, à vérifier"), the medicines and
allergies recognised by their name rather than a code, and the count of another patient's resources set aside.
A contact whose date cannot be read would leave no card at all: it gets its own (``exposure_date_advice``), and so
does a draft order whose medicine cannot be read (``unreadable_order_advice``).

Which notes a card carries depends on the rule set that wrote it (the prefix of its rule id) and what that rule set
reads (``READS``). The birth date is not here: the rules say themselves when it cannot be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from prevention_cds.rules.advice import Advice, Indicator, Message, ParamValue
from prevention_cds.rules.concepts import IMMUNOSUPPRESSIVE_TREATMENTS, Concept
from prevention_cds.rules.facts import ExposureKind, OrderContext, PatientRecord, RecordElement, UnreadableValue

C = Concept


@dataclass(frozen=True)
class Reads:
    """What a rule set reads, so that its cards say what of it could not be read."""

    concepts: frozenset[Concept]
    exposure: ExposureKind
    weight: bool


READS: Mapping[str, Reads] = {
    "mmr": Reads(
        frozenset({
            C.MMR_VACCINE, C.MMRV_VACCINE, C.LIVE_VACCINE, C.IMMUNOGLOBULIN, C.PREGNANCY, C.SEVERE_IMMUNODEFICIENCY,
            C.MEASLES_HISTORY, C.RUBELLA_HISTORY, C.HEALTHCARE_PROFESSIONAL, C.EARLY_CHILDHOOD_PROFESSIONAL,
            C.MMR_VACCINE_ALLERGEN, C.NEOMYCIN_ALLERGEN, C.GELATIN_ALLERGEN, C.ANAPHYLAXIS, C.HIV_INFECTION,
            C.IMMUNOCOMPROMISING_CONDITION, *IMMUNOSUPPRESSIVE_TREATMENTS,
        }),
        ExposureKind.MEASLES,
        weight=False,
    ),
    "iim": Reads(
        frozenset({
            C.MENC_VACCINE, C.MENACWY_VACCINE, C.MENB_VACCINE, C.PREGNANCY, C.SEVERE_IMMUNODEFICIENCY, C.IIM_DISEASE,
            C.PORPHYRIA, C.HEALTHCARE_PROFESSIONAL, C.EARLY_CHILDHOOD_PROFESSIONAL, C.RIFAMYCIN_ALLERGEN,
            C.CIPROFLOXACIN_ALLERGEN, C.CEPHALOSPORIN_ALLERGEN, C.BETA_LACTAM_ALLERGEN, C.ANAPHYLAXIS, C.RIFAMPICIN,
            C.CIPROFLOXACIN, C.CEFTRIAXONE, C.THIRD_GEN_CEPHALOSPORIN, C.RIFAMPICIN_INTERACTING,
            C.HORMONAL_CONTRACEPTIVE,
        }),
        ExposureKind.IIM,
        weight=True,
    ),
}

# Another patient's resources, by what the card calls them (one key for one, one for several)
OTHER_PATIENT_KEYS: Mapping[str, tuple[str, str]] = {
    "Immunization": ("record.other-patient.vaccination.one", "record.other-patient.vaccination.many"),
    "Condition": ("record.other-patient.condition.one", "record.other-patient.condition.many"),
    "Observation": ("record.other-patient.observation.one", "record.other-patient.observation.many"),
    "AllergyIntolerance": ("record.other-patient.allergy.one", "record.other-patient.allergy.many"),
    "MedicationRequest": ("record.other-patient.medication.one", "record.other-patient.medication.many"),
    "MedicationStatement": ("record.other-patient.medication.one", "record.other-patient.medication.many"),
    "MedicationAdministration": ("record.other-patient.medication.one", "record.other-patient.medication.many"),
    "Patient": ("record.other-patient.patient.one", "record.other-patient.patient.many"),
}
DRAFT_ORDER_KEYS = ("record.other-patient.draft-order.one", "record.other-patient.draft-order.many")
# Doses whose date cannot be read, by the vaccine they are of (the first group a dose belongs to names it)
DOSE_GROUPS: tuple[tuple[frozenset[Concept], tuple[str, str]], ...] = (
    (frozenset({C.MMR_VACCINE, C.MMRV_VACCINE}), ("record.unreadable.mmr-dose.one", "record.unreadable.mmr-dose.many")),
    (frozenset({C.LIVE_VACCINE}), ("record.unreadable.live-vaccine.one", "record.unreadable.live-vaccine.many")),
    (
        frozenset({C.MENC_VACCINE, C.MENACWY_VACCINE, C.MENB_VACCINE}),
        ("record.unreadable.meningococcal-dose.one", "record.unreadable.meningococcal-dose.many"),
    ),
    (
        frozenset({C.IMMUNOGLOBULIN}),
        ("record.unreadable.immunoglobulin.one", "record.unreadable.immunoglobulin.many"),
    ),
)
EXPOSURE_KEYS: Mapping[ExposureKind, str] = {
    ExposureKind.IIM: "record.exposure.iim",
    ExposureKind.MEASLES: "record.exposure.measles",
}
EXPOSURE_DATE_RULE = "record.exposure-date-unreadable"
ORDER_MEDICINE_RULE = "record.order-medicine-unreadable"


def _counted(keys: tuple[str, str], count: int, **params: ParamValue) -> Message:
    one, many = keys
    return Message.of(one, **params) if count == 1 else Message.of(many, count=count, **params)


def _quoted(values: Iterable[UnreadableValue]) -> tuple[Message, ...]:
    """The values as written, each quoted in the card's language (a dose without any date: "no date")."""
    return tuple(Message.of("record.quoted", text=v.text) if v.text else Message.of("record.no-date") for v in values)


def _dose_group(value: UnreadableValue) -> tuple[str, str] | None:
    return next((keys for concepts, keys in DOSE_GROUPS if value.concepts & concepts), None)


def _relevant(value: UnreadableValue, reads: Reads) -> bool:
    if value.element in (RecordElement.EXPOSURE_DATE, RecordElement.EXPOSURE_DETAIL_DATE):
        return value.exposure == reads.exposure
    if value.element == RecordElement.WEIGHT:
        return reads.weight
    if value.element in (RecordElement.SEX, RecordElement.DECEASED_DATE, RecordElement.MEDICINE):
        return True  # an unread medicine may contraindicate a vaccine or interact with an antibiotic
    if value.element == RecordElement.OBSERVATION_DATE and not value.concepts:
        return reads.weight  # the date of a weight
    return bool(value.concepts & reads.concepts)


def _unreadable_notes(values: list[UnreadableValue]) -> list[Message]:
    notes: list[Message] = []
    doses: dict[tuple[str, str], list[UnreadableValue]] = {keys: [] for _, keys in DOSE_GROUPS}
    for value in values:
        keys = _dose_group(value)
        if value.element in (RecordElement.DOSE_DATE, RecordElement.MEDICATION_DATE) and keys is not None:
            doses[keys].append(value)
    notes += [_counted(keys, len(items), values=_quoted(items)) for keys, items in doses.items() if items]
    for value in values:
        quoted = _quoted((value,))
        match value.element:
            case RecordElement.SEX:
                notes.append(Message.of("record.unreadable.sex", value=quoted))
            case RecordElement.DECEASED_DATE:
                notes.append(Message.of("record.unreadable.deceased-date", value=quoted))
            case RecordElement.MEDICINE:
                medicine = quoted if value.text else Message.of("record.no-medicine")
                notes.append(Message.of("record.unreadable.medicine", value=medicine))
            case RecordElement.CONDITION_DATE:
                what = value.display or Message.of("record.unnamed-condition")
                notes.append(Message.of("record.unreadable.condition-date", value=quoted, what=what))
            case RecordElement.OBSERVATION_DATE | RecordElement.DELIVERY_DATE if C.PREGNANCY in value.concepts:
                notes.append(Message.of("record.unreadable.pregnancy-date", value=quoted))
            case RecordElement.OBSERVATION_DATE if value.concepts:
                notes.append(Message.of("record.unreadable.occupation-period", value=quoted))
            case RecordElement.OBSERVATION_DATE:
                notes.append(Message.of("record.unreadable.weight-date", value=quoted))
            case RecordElement.WEIGHT:
                notes.append(Message.of("record.unreadable.weight", value=quoted))
            case RecordElement.EXPOSURE_DATE:
                notes.append(Message.of("record.unreadable.exposure-date", value=quoted))
            case RecordElement.EXPOSURE_DETAIL_DATE:
                notes.append(Message.of("record.unreadable.exposure-detail", value=quoted))
    return notes


def _by_name(record: PatientRecord, orders: OrderContext | None, reads: Reads) -> list[Message]:
    named = [m.display for m in record.medications if m.product.recognised_by_name and m.concepts & reads.concepts]
    if orders is not None:
        named += [o.display for o in orders.orders if o.product.recognised_by_name and o.concepts & reads.concepts]
    notes = [Message.of("record.recognised-by-name.medicine", display=d) for d in dict.fromkeys(named)]
    allergies = [a.display for a in record.allergies if a.recognised_by_name and a.concepts & reads.concepts]
    notes += [Message.of("record.recognised-by-name.allergy", display=d) for d in dict.fromkeys(allergies)]
    return notes


def _other_patients(record: PatientRecord, orders: OrderContext | None) -> list[Message]:
    counts: dict[tuple[str, str], int] = {}
    for kind, count in record.other_patients:
        keys = OTHER_PATIENT_KEYS.get(kind)
        if keys is not None:
            counts[keys] = counts.get(keys, 0) + count
    if orders is not None and orders.other_patient_orders:
        counts[DRAFT_ORDER_KEYS] = orders.other_patient_orders
    return [_counted(keys, count) for keys, count in counts.items()]


def record_notes(record: PatientRecord, rule_set: str, orders: OrderContext | None = None) -> tuple[Message, ...]:
    """The notes the cards of ``rule_set`` ("mmr", "iim") carry for this record (none for a rule set not in READS)."""
    reads = READS.get(rule_set)
    if reads is None:
        return ()
    unreadable = [v for v in record.unreadable if _relevant(v, reads)]
    return (*_other_patients(record, orders), *_unreadable_notes(unreadable), *_by_name(record, orders, reads))


def with_record_notes(
    advice: Iterable[Advice], record: PatientRecord, orders: OrderContext | None = None
) -> tuple[Advice, ...]:
    """Each advice with the notes of the rule set that wrote it."""
    notes: dict[str, tuple[Message, ...]] = {}
    annotated = []
    for item in advice:
        rule_set = item.rule.split(".", 1)[0]
        if rule_set not in notes:
            notes[rule_set] = record_notes(record, rule_set, orders)
        annotated.append(replace(item, record_notes=notes[rule_set]) if notes[rule_set] else item)
    return tuple(annotated)


def exposure_date_advice(record: PatientRecord, rule_set: str) -> tuple[Advice, ...]:
    """A contact of ``rule_set``'s disease recorded without a readable date: no window can be judged, and no other
    card of the rule set would mention it. The card asks for the date; it proposes nothing."""
    reads = READS.get(rule_set)
    if reads is None:
        return ()
    undated = [
        v for v in record.unreadable if v.element == RecordElement.EXPOSURE_DATE and v.exposure == reads.exposure
    ]
    if not undated:
        return ()
    contact = Message.of(EXPOSURE_KEYS[reads.exposure])
    return (
        Advice(
            rule=EXPOSURE_DATE_RULE,
            indicator=Indicator.WARNING,
            summary=Message.of("record.summary.exposure-date-unreadable", contact=contact),
            explanation=(Message.decisive_of("record.explain.exposure-date-unreadable", contact=contact),),
            facts=(),
            guideline=(),
            record_notes=record_notes(record, rule_set),
        ),
    )


def unreadable_order_advice(orders: OrderContext) -> tuple[Advice, ...]:
    """Draft orders whose medicine cannot be read (a medicationReference to a Medication not sent, a Medication
    without a code or a text, no medicine at all): no rule could check them, and none would say so. The card names
    them as sent; it proposes nothing."""
    unreadable = orders.unreadable_orders
    if not unreadable:
        return ()
    written = tuple(
        Message.of("record.quoted", text=o.medicine_as_written) if o.medicine_as_written
        else Message.of("record.order-without-medicine")
        for o in unreadable
    )
    return (
        Advice(
            rule=ORDER_MEDICINE_RULE,
            indicator=Indicator.WARNING,
            summary=_counted(
                ("record.summary.order-medicine-unreadable.one", "record.summary.order-medicine-unreadable.many"),
                len(unreadable),
            ),
            explanation=(Message.decisive_of("record.explain.order-medicine-unreadable", values=written),),
            facts=(),
            guideline=(),
        ),
    )
