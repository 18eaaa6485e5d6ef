"""The record builder reads what weakens immunity: conditions (HIV, blood cancers, transplants, chemotherapy) by
ICD-10 and SNOMED CT, treatments by their ATC code, and when a treatment was stopped."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_factory import ATC, SNOMED, condition, medication_statement, patient
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.concepts import IMMUNOSUPPRESSIVE_TREATMENTS, Concept
from prevention_cds.rules.facts import MedicationStatus
from prevention_cds.terminology.index import BDPM

ICD = "http://hl7.org/fhir/sid/icd-10"
C = Concept

CONDITIONS = [
    (ICD, "B20", {C.HIV_INFECTION}), (ICD, "B24", {C.HIV_INFECTION}), (ICD, "Z21", {C.HIV_INFECTION}),
    (SNOMED, "86406008", {C.HIV_INFECTION}),
    (SNOMED, "62479008", {C.SEVERE_IMMUNODEFICIENCY}),  # AIDS
    (ICD, "C91.0", {C.IMMUNOCOMPROMISING_CONDITION}), (ICD, "C83.3", {C.IMMUNOCOMPROMISING_CONDITION}),
    (ICD, "C81", {C.IMMUNOCOMPROMISING_CONDITION}), (ICD, "C90.0", {C.IMMUNOCOMPROMISING_CONDITION}),
    (ICD, "C96.9", {C.IMMUNOCOMPROMISING_CONDITION}),
    (ICD, "Z94.0", {C.IMMUNOCOMPROMISING_CONDITION}), (ICD, "Z94.4", {C.IMMUNOCOMPROMISING_CONDITION}),
    (ICD, "Z94.8", {C.IMMUNOCOMPROMISING_CONDITION}), (ICD, "Z51.1", {C.IMMUNOCOMPROMISING_CONDITION}),
    (SNOMED, "93143009", {C.IMMUNOCOMPROMISING_CONDITION}), (SNOMED, "118600007", {C.IMMUNOCOMPROMISING_CONDITION}),
    (SNOMED, "109989006", {C.IMMUNOCOMPROMISING_CONDITION}),
    # not immunocompromising by themselves: a cornea or skin graft, a solid tumour, hormone therapy's indication
    (ICD, "Z94.7", set()), (ICD, "Z94.5", set()), (ICD, "C80", set()), (ICD, "C97", set()), (ICD, "B19", set()),
]


@pytest.mark.parametrize(("system", "code", "concepts"), CONDITIONS, ids=[c for _, c, _ in CONDITIONS])
def test_an_immunocompromising_condition_is_read_by_its_code(system: str, code: str, concepts: set[Concept]) -> None:
    record = build_record("p1", [patient(), condition("p1", system, code)])
    assert {c.concept for c in record.conditions} == concepts


MEDICINES = [
    ("L04AX03", {C.IMMUNOSUPPRESSANT}),  # methotrexate (immunosuppressant)
    ("L01BA01", {C.ANTINEOPLASTIC}),  # methotrexate (antineoplastic)
    ("L04AX01", {C.IMMUNOSUPPRESSANT}),  # azathioprine
    ("L04AB02", {C.IMMUNOSUPPRESSANT}),  # infliximab
    ("L04AD02", {C.IMMUNOSUPPRESSANT}),  # tacrolimus
    ("L01FA01", {C.ANTI_CD20_ANTIBODY, C.ANTINEOPLASTIC}),  # rituximab
    ("L04AG08", {C.ANTI_CD20_ANTIBODY, C.IMMUNOSUPPRESSANT}),  # ocrelizumab
    ("L01AA01", {C.ANTINEOPLASTIC}),  # cyclophosphamide
    ("H02AB07", {C.SYSTEMIC_GLUCOCORTICOID}),  # prednisone
    ("L02BA01", set()),  # tamoxifen: hormone therapy, not on the lists
    ("R03BA02", set()),  # inhaled budesonide
]


@pytest.mark.parametrize(("atc", "concepts"), MEDICINES, ids=[a for a, _ in MEDICINES])
def test_an_immunosuppressive_treatment_is_read_by_its_atc_code(atc: str, concepts: set[Concept]) -> None:
    record = build_record("p1", [patient(), medication_statement("p1", ATC, atc)])
    assert {c for m in record.medications for c in m.concepts} & IMMUNOSUPPRESSIVE_TREATMENTS == concepts


def test_the_end_of_a_stopped_treatment_is_read() -> None:
    statement = medication_statement("p1", ATC, "L04AX03", status="stopped")
    statement["effectivePeriod"] = {"start": "2024-01-10", "end": "2025-03-02"}
    (read,) = build_record("p1", [patient(), statement]).medications
    assert (read.status, read.started, read.ended) == (MedicationStatus.FINISHED, date(2024, 1, 10), date(2025, 3, 2))


def test_a_treatment_without_an_end_has_none() -> None:
    (read,) = build_record("p1", [patient(), medication_statement("p1", ATC, "L04AX03")]).medications
    assert read.ended is None


def test_a_blood_cancer_in_remission_is_read_as_such() -> None:
    (read,) = build_record("p1", [patient(), condition("p1", ICD, "C81.1", clinical="remission")]).conditions
    assert (read.concept, read.active, read.in_remission) == (C.IMMUNOCOMPROMISING_CONDITION, False, True)


FRENCH_PRODUCTS = [  # BDPM CIS -> the concepts it is (the BDPM files of May 2026)
    ("64204250", {C.IMMUNOSUPPRESSANT}),  # IMUREL 50 mg tablet (azathioprine)
    ("60129957", {C.IMMUNOSUPPRESSANT, C.ANTINEOPLASTIC}),  # METOJECT pen (methotrexate: both classes)
    ("62554177", {C.ANTINEOPLASTIC}),  # ENDOXAN 50 mg (cyclophosphamide)
    ("62002638", {C.ANTI_CD20_ANTIBODY, C.ANTINEOPLASTIC}),  # MABTHERA 500 mg (rituximab)
    ("60118715", {C.SYSTEMIC_GLUCOCORTICOID}),  # CORTANCYL 1 mg (prednisone)
    ("65008233", set()),  # COLOFOAM rectal foam: a local corticosteroid
]


@pytest.mark.parametrize(("cis", "concepts"), FRENCH_PRODUCTS, ids=[c for c, _ in FRENCH_PRODUCTS])
def test_a_french_product_coded_by_its_cis_alone_is_read(cis: str, concepts: set[Concept]) -> None:
    record = build_record("p1", [patient(), medication_statement("p1", BDPM, cis)])
    assert {c for m in record.medications for c in m.concepts} & IMMUNOSUPPRESSIVE_TREATMENTS == concepts
