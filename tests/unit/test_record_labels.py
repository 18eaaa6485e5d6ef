"""A condition coded without a name is named by the project's ValueSet display, else by its code, never "sans
libellé"."""

from __future__ import annotations

import pytest

from fhir_factory import SNOMED, condition, patient
from prevention_cds.fhir_in.codes import label_of
from prevention_cds.fhir_in.record import build_record
from prevention_cds.terminology.index import CodeIndex

ICD10 = "http://hl7.org/fhir/sid/icd-10"
INDEX = CodeIndex.load()


@pytest.mark.parametrize(("system", "code", "label"), [
    (SNOMED, "23511006", "Meningococcal infectious disease"),  # listed with a display by the ValueSet
    (SNOMED, "418470004", "Porphyria"),
    (ICD10, "A39.0", "code CIM-10 (ICD-10) A39.0"),  # matched by an is-a filter: no display
    (ICD10, "E80.2", "code CIM-10 (ICD-10) E80.2"),
    (ICD10, "D84.9", "code CIM-10 (ICD-10) D84.9"),
])
def test_a_condition_coded_without_a_name_is_named_by_its_valueset_or_its_code(
    system: str, code: str, label: str
) -> None:
    record = build_record("p1", [patient(), condition("p1", system, code)], INDEX)
    assert [c.display for c in record.conditions] == [label]


@pytest.mark.parametrize(("system", "label"), [
    ("http://example.org/local", "code http://example.org/local|X1"),  # a system the project does not know: as sent
    ("urn:oid:2.16.840.1.113883.6.96", "code SNOMED CT X1"),  # an alias of a known system: its short name
])
def test_a_code_without_a_display_is_named_by_its_system_short_name_or_as_sent(system: str, label: str) -> None:
    assert label_of({"coding": [{"system": system, "code": "X1"}]}, INDEX) == label


def test_a_condition_with_a_text_keeps_it() -> None:
    coded = condition("p1", ICD10, "A39.0")
    coded["code"]["text"] = "Méningite à méningocoque"
    assert build_record("p1", [patient(), coded], INDEX).conditions[0].display == "Méningite à méningocoque"
