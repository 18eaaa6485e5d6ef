"""What the record says that the rules could not use goes on the cards of the rule set it concerns, in both
languages (rules/record_notes.py)."""

from __future__ import annotations

from datetime import date

import pytest

from advice_messages import all_messages, render_strict
from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    AllergyFact,
    DraftOrder,
    ExposureKind,
    MedicationFact,
    MedicationStatus,
    OrderContext,
    PatientRecord,
    Product,
    RecordElement,
    Sex,
    UnreadableValue,
)
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.record_notes import exposure_date_advice, record_notes, with_record_notes

E = RecordElement
MMR = frozenset({Concept.MMR_VACCINE, Concept.LIVE_VACCINE})
BY_NAME = Product(recognised_by_name=True)
UNREADABLE = (
    UnreadableValue(E.DOSE_DATE, "1997-13-01", MMR), UnreadableValue(E.DOSE_DATE, "", MMR),
    UnreadableValue(E.DOSE_DATE, "2019-02-30", frozenset({Concept.LIVE_VACCINE})),
    UnreadableValue(E.DOSE_DATE, "enfance", frozenset({Concept.MENC_VACCINE})),
    UnreadableValue(E.MEDICATION_DATE, "hier", frozenset({Concept.IMMUNOGLOBULIN})),
    UnreadableValue(E.SEX, "F"), UnreadableValue(E.DECEASED_DATE, "bientôt"),
    UnreadableValue(E.CONDITION_DATE, "yesterday", frozenset({Concept.PREGNANCY})),
    UnreadableValue(E.CONDITION_DATE, "2099", frozenset({Concept.PORPHYRIA}), "Porphyrie aiguë"),
    UnreadableValue(E.OBSERVATION_DATE, "?", frozenset({Concept.PREGNANCY})),
    UnreadableValue(E.DELIVERY_DATE, "mars", frozenset({Concept.PREGNANCY})),
    UnreadableValue(E.OBSERVATION_DATE, "2020 – x", frozenset({Concept.HEALTHCARE_PROFESSIONAL})),
    UnreadableValue(E.OBSERVATION_DATE, "10:00", display="31 kg"), UnreadableValue(E.WEIGHT, "31 stone"),
    UnreadableValue(E.EXPOSURE_DATE, "20/11/2026", exposure=ExposureKind.IIM),
    UnreadableValue(E.EXPOSURE_DETAIL_DATE, "lundi", exposure=ExposureKind.IIM),
    UnreadableValue(E.EXPOSURE_DATE, "samedi", exposure=ExposureKind.MEASLES),
)
RECORD = PatientRecord(
    "p1", PartialDate(2010, 5, 4), Sex.FEMALE,
    unreadable=UNREADABLE,
    other_patients=(("Immunization", 2), ("MedicationRequest", 1), ("MedicationStatement", 1), ("Observation", 1)),
    medications=(MedicationFact(frozenset({Concept.RIFAMPICIN}), "Rifampin 300 MG Oral Capsule",
                                MedicationStatus.ONGOING, product=BY_NAME),),
    allergies=(AllergyFact(frozenset({Concept.CIPROFLOXACIN_ALLERGEN}), "Allergie à la ciprofloxacine",
                           recognised_by_name=True),),
)
ORDERS = OrderContext("order-sign", (DraftOrder("MedicationRequest", "o1", frozenset({Concept.RIFAMPICIN}),
                                                "RIFADINE 300 mg, gélule", product=BY_NAME),), other_patient_orders=1)


def _keys(notes: tuple[Message, ...]) -> list[str]:
    return [note.key for note in notes]


def test_each_rule_set_gets_the_notes_of_what_it_reads() -> None:
    mmr, iim = record_notes(RECORD, "mmr", ORDERS), record_notes(RECORD, "iim", ORDERS)
    shared = ["record.other-patient.vaccination.many", "record.other-patient.medication.many",
              "record.other-patient.observation.one", "record.other-patient.draft-order.one"]
    assert _keys(mmr) == [*shared, "record.unreadable.mmr-dose.many", "record.unreadable.live-vaccine.one",
                          "record.unreadable.immunoglobulin.one", "record.unreadable.sex",
                          "record.unreadable.deceased-date", "record.unreadable.condition-date",
                          "record.unreadable.pregnancy-date", "record.unreadable.pregnancy-date",
                          "record.unreadable.occupation-period", "record.unreadable.exposure-date"]
    assert _keys(iim) == [*shared, "record.unreadable.meningococcal-dose.one", "record.unreadable.sex",
                          "record.unreadable.deceased-date", "record.unreadable.condition-date",
                          "record.unreadable.condition-date", "record.unreadable.pregnancy-date",
                          "record.unreadable.pregnancy-date", "record.unreadable.occupation-period",
                          "record.unreadable.weight-date", "record.unreadable.weight",
                          "record.unreadable.exposure-date", "record.unreadable.exposure-detail",
                          "record.recognised-by-name.medicine", "record.recognised-by-name.medicine",
                          "record.recognised-by-name.allergy"]
    assert record_notes(RECORD, "another-rule-set") == ()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_note_renders_in_both_languages(language: str) -> None:
    texts = [render_strict(n, language) for rules in ("mmr", "iim") for n in record_notes(RECORD, rules, ORDERS)]
    assert all(text and "{" not in text for text in texts)
    if language == "fr":
        assert "2 doses de ROR à date illisible (« 1997-13-01 »; sans date) : non comptées, à vérifier" in texts
        assert "2 vaccinations d'un autre patient ignorées" in texts
        assert "« RIFADINE 300 mg, gélule » reconnu par son nom (pas de code connu) : à vérifier" in texts


def test_notes_go_to_the_cards_of_their_rule_set() -> None:
    card = Advice("iim.weight-needed", Indicator.WARNING, Message.of("x"), (), (), ())
    other = Advice("other.rule", Indicator.INFO, Message.of("y"), (), (), ())
    annotated, untouched = with_record_notes((card, other), RECORD, ORDERS)
    assert annotated.record_notes == record_notes(RECORD, "iim", ORDERS) and untouched.record_notes == ()
    assert with_record_notes((card,), PatientRecord("p1", None, None)) == (card,)  # nothing to say


@pytest.mark.parametrize(("rule_set", "contact"), [("iim", "record.exposure.iim"), ("mmr", "record.exposure.measles")])
def test_a_contact_of_unreadable_date_gets_its_own_card(rule_set: str, contact: str) -> None:
    (advice,) = exposure_date_advice(RECORD, rule_set)
    assert advice.rule == "record.exposure-date-unreadable" and advice.suggestions == ()
    assert contact in {m.key for m in all_messages(advice)}
    for language in ("fr", "en"):
        for message in all_messages(advice):
            render_strict(message, language)
    dated = PatientRecord("p1", PartialDate(2010, 5, 4), None, immunoglobulin_dates=(date(2026, 1, 1),))
    assert exposure_date_advice(dated, rule_set) == ()
