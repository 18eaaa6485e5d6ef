"""The record builder: FHIR JSON → PatientRecord, tolerant of bad resources."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest

from fhir_factory import SNOMED, condition, exposure, immunization, medication_request, patient, weight
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ExposureKind, IimSerogroup, MedicationStatus, RecordElement
from prevention_cds.rules.partial_date import Precision
from prevention_cds.terminology.index import BDPM


def test_partial_birth_dates_keep_their_precision() -> None:
    for text, precision in (("1975", Precision.YEAR), ("1975-06", Precision.MONTH), ("1975-06-03", Precision.DAY)):
        record = build_record("p1", [patient(birth_date=text)])
        assert record.birth_date is not None and record.birth_date.precision == precision
    assert build_record("p1", [patient(birth_date=None)]).birth_date is None


def test_mmr_doses_counted_only_when_completed() -> None:
    resources = [patient(), immunization("p1", "03", "2020-01-10"), immunization("p1", "94", "2020-03-10"),
                 immunization("p1", "03", "2021-01-10", status="not-done"),
                 immunization("p1", "03", "2021-02-10", status="entered-in-error"),
                 immunization("p1", "140", "2021-02-10")]  # influenza: not an MMR concept
    doses = build_record("p1", resources).doses_of(Concept.MMR_VACCINE)
    assert [d.given_on for d in doses] == [date(2020, 1, 10), date(2020, 3, 10)]
    assert doses[1].is_a(Concept.MMRV_VACCINE) and doses[0].is_a(Concept.LIVE_VACCINE)


FRENCH_VACCINES = [  # BDPM CIS -> the concepts its dose is (products checked in the BDPM files of May 2026)
    ("61896473", {Concept.MMR_VACCINE, Concept.LIVE_VACCINE}),  # Priorix
    ("64269668", {Concept.MMR_VACCINE, Concept.LIVE_VACCINE}),  # M-M-RVaxPro, syringe
    ("65194581", {Concept.MMR_VACCINE, Concept.LIVE_VACCINE}),  # M-M-RVaxPro, vial
    ("62102962", {Concept.YELLOW_FEVER_VACCINE, Concept.LIVE_VACCINE}),  # Stamaril
    ("62521070", {Concept.LIVE_VACCINE}),  # Varilrix
    ("69201849", {Concept.LIVE_VACCINE}),  # Varivax
    ("69241562", {Concept.MENACWY_VACCINE}),  # Nimenrix
    ("63064137", {Concept.MENACWY_VACCINE}),  # MenQuadfi
    ("68046787", {Concept.MENACWY_VACCINE}),  # Menveo
    ("63301248", {Concept.MENC_VACCINE}),  # Menjugate
    ("64493883", {Concept.MENB_VACCINE}),  # Bexsero
    ("65802140", {Concept.MENB_VACCINE}),  # Trumenba
]


@pytest.mark.parametrize(("cis", "concepts"), FRENCH_VACCINES, ids=[c for c, _ in FRENCH_VACCINES])
def test_a_french_vaccine_dose_coded_by_its_cis_alone_is_read(cis: str, concepts: set[Concept]) -> None:
    """French records code a vaccine by its BDPM CIS (the document core's mandatory slice), often with nothing else:
    the dose counts for its disease and, when live, for the spacing rules."""
    (read,) = build_record("p1", [patient(), immunization("p1", cis, "2020-01-10", system=BDPM)]).vaccine_doses
    assert read.given_on == date(2020, 1, 10)
    assert {c for c in concepts if read.is_a(c)} == concepts
    assert read.is_a(Concept.MMR_VACCINE) == (Concept.MMR_VACCINE in concepts)


def test_values_that_cannot_be_read_are_kept_for_the_card_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A dose dated 2020-13-45 is not counted but not lost either; a pregnancy with an onset of "yesterday" is still
    a pregnancy (its date is said on the card); resources of no known type are passed over."""
    bad_date = immunization("p1", "03", "2020-13-45")
    no_code = {"resourceType": "Immunization", "status": "completed", "vaccineCode": {"coding": "nope"}}
    garbage = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "77386006"}]},
               "onsetDateTime": "yesterday"}
    unknown = {"resourceType": "NotAResource", "id": "x"}
    with caplog.at_level(logging.WARNING):
        record = build_record("p1", [patient(), bad_date, no_code, garbage, unknown, {"no": "type"}])
    assert record.vaccine_doses == () and record.skipped_resources == 0
    assert record.has_condition(Concept.PREGNANCY)
    assert [(v.element, v.text) for v in record.unreadable] == [
        (RecordElement.DOSE_DATE, "2020-13-45"), (RecordElement.CONDITION_DATE, "yesterday")]
    assert Concept.MMR_VACCINE in record.unreadable[0].concepts
    messages = [r.getMessage() for r in caplog.records]
    assert messages and all("2020-13-45" not in m and "yesterday" not in m for m in messages)  # never values in logs


def test_a_malformed_element_the_rules_do_not_read_hides_nothing() -> None:
    """A bad subject, narrative or extension does not cost a pregnancy or an allergy: missing either is the
    dangerous error (a live vaccine, a contraindicated antibiotic)."""
    pregnant = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "77386006"}]},
                "subject": "not a reference", "text": {"div": "<p>not checked</p>"}}
    allergy = {"resourceType": "AllergyIntolerance", "patient": 42, "extension": "junk",
               "code": {"coding": [{"system": SNOMED, "code": "373528008"}]}}  # neomycin
    record = build_record("p1", [patient(), pregnant, allergy])
    assert record.skipped_resources == 0
    assert record.has_condition(Concept.PREGNANCY) and record.allergies_to(Concept.NEOMYCIN_ALLERGEN)


def test_weight_units_are_converted_and_latest_wins() -> None:
    pounds = build_record("p1", [patient(), weight("p1", 66.1386786, "2026-01-01T10:00:00+01:00", unit="[lb_av]")])
    assert pounds.latest_weight is not None
    assert pounds.latest_weight.kilograms.quantize(Decimal("0.01")) == Decimal("30.00")
    record = build_record("p1", [patient(), weight("p1", 66.1386786, "2026-01-01T10:00:00+01:00", unit="[lb_av]"),
                                 weight("p1", 31000, "2026-11-18T10:00:00+01:00", unit="g")])
    latest = record.latest_weight
    assert latest is not None and latest.kilograms == Decimal(31) and latest.measured_at.day == 18


@pytest.mark.parametrize(("unit", "kg"), [("kilogram", "20"), ("Kilogrammes", "20"), ("pounds", "9.0718474")])
def test_weight_unit_words_are_read(unit: str, kg: str) -> None:
    record = build_record("p1", [patient(), weight("p1", 20, "2026-11-18T10:00:00+01:00", unit=unit)])
    assert record.latest_weight is not None and record.latest_weight.kilograms == Decimal(kg)


def test_an_unusable_latest_weight_falls_back_to_the_previous_one() -> None:
    broken = weight("p1", 31, "2026-11-18T10:00:00+01:00", unit="stone")
    record = build_record("p1", [patient(), broken, weight("p1", 30, "2026-10-01T10:00:00+02:00")])
    assert record.latest_weight is not None and record.latest_weight.kilograms == 30


def test_a_weight_with_a_malformed_period_is_skipped_not_fatal() -> None:
    broken = weight("p1", 31, "2026-11-18T10:00:00+01:00")
    del broken["effectiveDateTime"]
    broken["effectivePeriod"] = "not a period"
    alone = build_record("p1", [patient(), broken])
    assert alone.latest_weight is None and alone.skipped_resources == 0
    assert [(v.element, v.text, v.display) for v in alone.unreadable] == [
        (RecordElement.OBSERVATION_DATE, "not a period", "31 kg")]
    record = build_record("p1", [patient(), broken, weight("p1", 30, "2026-10-01T10:00:00+02:00")])
    assert record.latest_weight is not None and record.latest_weight.kilograms == 30


def test_weight_without_timezone_is_not_used_and_said() -> None:
    record = build_record("p1", [patient(), weight("p1", 30, "2026-11-18T10:00:00")])
    assert record.latest_weight is None and record.skipped_resources == 0
    assert [(v.element, v.text) for v in record.unreadable] == [
        (RecordElement.OBSERVATION_DATE, "2026-11-18T10:00:00")]


def test_conditions_active_resolved_and_refuted() -> None:
    refuted = condition("p1", SNOMED, "77386006")
    refuted["verificationStatus"] = {"coding": [{"code": "refuted"}]}
    record = build_record("p1", [patient(), condition("p1", SNOMED, "234532001"),
                                 condition("p1", SNOMED, "14189004", clinical="resolved"), refuted,
                                 condition("p1", "http://hl7.org/fhir/sid/icd-10", "D84.9")])
    assert record.has_condition(Concept.SEVERE_IMMUNODEFICIENCY)
    assert record.has_history(Concept.MEASLES) and not record.has_condition(Concept.MEASLES)
    assert record.pregnancy is None
    assert len(record.active_conditions(Concept.SEVERE_IMMUNODEFICIENCY)) == 2


def test_measles_the_disease_and_a_history_of_measles_are_two_concepts() -> None:
    provisional = condition("p1", SNOMED, "14189004")
    provisional["verificationStatus"] = {"coding": [{"code": "provisional"}]}
    provisional["onsetDateTime"] = "2026-11-19"
    history = condition("p1", SNOMED, "161419000")
    icd = condition("p1", "http://hl7.org/fhir/sid/icd-10", "B05.9", clinical="inactive")
    record = build_record("p1", [patient(), provisional, history, icd])
    (current, past) = [c for c in record.conditions if c.concept == Concept.MEASLES]
    assert current.active and not current.confirmed and current.onset == date(2026, 11, 19)
    assert not past.active and past.confirmed
    assert [c.concept for c in record.conditions if c.concept != Concept.MEASLES] == [Concept.MEASLES_HISTORY]


def test_a_yellow_fever_vaccine_is_a_live_vaccine_and_itself() -> None:
    record = build_record("p1", [patient(), immunization("p1", "37", "2026-11-21")])
    (dose,) = record.vaccine_doses
    assert dose.concepts == {Concept.LIVE_VACCINE, Concept.YELLOW_FEVER_VACCINE}


def test_pregnancy_from_condition_and_observation() -> None:
    observation = {"resourceType": "Observation", "id": "o", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
                   "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-11-01",
                   "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "77386006"}]}}
    delivery = {"resourceType": "Observation", "id": "d", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "11778-8"}]},
                "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-11-01", "valueDateTime": "2027-04-02"}
    record = build_record("p1", [patient(), observation, delivery])
    assert record.pregnancy is not None and record.pregnancy.pregnant
    assert record.pregnancy.expected_delivery == date(2027, 4, 2)
    assert build_record("p1", [patient(), condition("p1", SNOMED, "77386006")]).pregnancy.pregnant  # type: ignore[union-attr]


def test_exposure_profile_is_read() -> None:
    iim = exposure("p1", "iim-contact", "2026-11-18T18:30:00+01:00", "household", "W",
                   rifampicin_resistant_strain=True)
    measles = exposure("p1", "measles-contact", "2026-11-20", "creche-same-section")
    record = build_record("p1", [patient(), iim, measles])
    by_kind = {e.kind: e for e in record.exposures}
    assert by_kind[ExposureKind.IIM].serogroup == IimSerogroup.W and by_kind[ExposureKind.IIM].has_time
    assert by_kind[ExposureKind.IIM].rifampicin_resistant and by_kind[ExposureKind.IIM].setting == "household"
    assert not by_kind[ExposureKind.MEASLES].has_time


def test_medications_and_allergies() -> None:
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
               "code": {"coding": [{"system": SNOMED, "code": "387159009"}]}, "criticality": "high",
               "reaction": [{"manifestation": [{"coding": [{"system": SNOMED, "code": "39579001"}]}]}]}
    resolved = {**allergy, "id": "a2", "clinicalStatus": {"coding": [{"code": "resolved"}]}}
    active_pi = medication_request("p1", "J05AR10", "lopinavir/ritonavir", status="active")
    record = build_record("p1", [patient(), allergy, resolved, active_pi])
    assert len(record.allergies_to(Concept.RIFAMYCIN_ALLERGEN)) == 1 and record.allergies[0].anaphylactic
    assert record.medications_of(Concept.RIFAMPICIN_INTERACTING)


@pytest.mark.parametrize(("stated", "unknown"), [
    ({}, True),  # neither a criticality nor a reaction: nobody said it was mild
    ({"criticality": "unable-to-assess"}, True),
    ({"criticality": "low"}, False),
    ({"criticality": "high"}, False),
    ({"reaction": [{"manifestation": [{"text": "eczéma de contact"}]}]}, False),  # a reaction recorded
    ({"reaction": [{"substance": {"text": "néomycine"}}]}, True),  # a reaction without its manifestation
])
def test_an_allergy_says_whether_its_severity_is_known(stated: dict[str, object], unknown: bool) -> None:
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
               "code": {"coding": [{"system": SNOMED, "code": "373528008"}], "text": "néomycine"}, **stated}
    (read,) = build_record("p1", [patient(), allergy]).allergies_to(Concept.NEOMYCIN_ALLERGEN)
    assert read.severity_unknown is unknown


def test_the_mmr_rules_never_read_a_body_weight() -> None:
    """MMR doses do not depend on weight: keep the MMR rules free of it."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "prevention_cds" / "rules" / "mmr"
    mmr_code = "\n".join(p.read_text(encoding="utf-8") for p in folder.glob("*.py"))
    assert "latest_weight" not in mmr_code and ".weights" not in mmr_code and "WeightMeasurement" not in mmr_code


def test_every_resource_type_read_has_one_reader_and_its_typed_elements() -> None:
    from prevention_cds.fhir_in.record import READERS
    from prevention_cds.fhir_in.typed_elements import TYPED_ELEMENTS

    assert set(READERS) == set(TYPED_ELEMENTS)


def _occupation(period: dict[str, str] | None) -> dict[str, object]:
    return {"resourceType": "Observation", "id": "occ", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "11341-5"}]},
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "223366009"}]},
            **({"effectivePeriod": period} if period else {"effectiveDateTime": "2020-01-01"})}


def test_an_occupation_counts_until_its_period_ends() -> None:
    health = frozenset({Concept.HEALTHCARE_PROFESSIONAL})
    assert build_record("p1", [patient(), _occupation(None)]).occupations == health
    assert build_record("p1", [patient(), _occupation({"start": "2010-01-01"})]).occupations == health
    ended = _occupation({"start": "2010-01-01", "end": "2020-01-01"})
    assert build_record("p1", [patient(), ended]).occupations == frozenset()


def test_an_exposure_period_still_open_has_its_last_contact_now() -> None:
    from conftest import FROZEN_NOW

    ongoing = exposure("p1", "iim-contact", "2026-11-18T18:30:00+01:00", "household")
    del ongoing["effectiveDateTime"]
    ongoing["effectivePeriod"] = {"start": "2026-11-18T18:30:00+01:00"}
    record = build_record("p1", [patient(), ongoing], now=FROZEN_NOW)
    assert record.exposures[0].last_contact == FROZEN_NOW and record.exposures[0].has_time
    assert record.exposures[0].first_contact is not None and record.exposures[0].first_contact.day == 18


@pytest.mark.parametrize(
    ("status", "read_as"),
    [("active", MedicationStatus.ONGOING), ("on-hold", MedicationStatus.ONGOING),
     ("completed", MedicationStatus.FINISHED), ("stopped", MedicationStatus.FINISHED),
     ("whatever", MedicationStatus.UNSTATED), (None, MedicationStatus.UNSTATED),
     ("cancelled", None), ("entered-in-error", None), ("draft", None), ("not-done", None)],
)
def test_medication_statuses_are_read_as_where_the_medicine_stands(
    status: str | None, read_as: MedicationStatus | None
) -> None:
    resource = medication_request("p1", "J05AR10", "lopinavir/ritonavir", status="active")
    if status is None:
        del resource["status"]
    else:
        resource["status"] = status
    medications = build_record("p1", [patient(), resource]).medications
    assert [m.status for m in medications] == ([read_as] if read_as else [])


def test_an_administration_not_done_is_not_a_medicine_given() -> None:
    """The index case of an IIM treated with a third-generation cephalosporin needs no eradication course: an
    administration recorded as not done must not pass for that treatment."""
    given = {"resourceType": "MedicationAdministration", "id": "ma1", "status": "completed",
             "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-11-19T10:00:00+01:00",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J01DD04"}]}}
    not_done = {**given, "id": "ma2", "status": "not-done"}
    assert [m.source_id for m in build_record("p1", [patient(), given, not_done]).medications] == [
        "MedicationAdministration/ma1"]
