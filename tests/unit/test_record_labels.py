"""A condition coded without a name is named by the project's ValueSet display, else by its code, never "sans
libellé"."""

from __future__ import annotations

import pytest

from fhir_factory import SNOMED, condition, patient
from prevention_cds.fhir_in.record import build_record
from prevention_cds.terminology.index import CodeIndex

ICD10 = "http://hl7.org/fhir/sid/icd-10"
INDEX = CodeIndex.load()


@pytest.mark.parametrize(("system", "code", "label"), [
    (SNOMED, "23511006", "Meningococcal infectious disease"),  # listed with a display by the ValueSet
    (SNOMED, "418470004", "Porphyria"),
    (ICD10, "A39.0", "code http://hl7.org/fhir/sid/icd-10|A39.0"),  # matched by an is-a filter: no display
    (ICD10, "E80.2", "code http://hl7.org/fhir/sid/icd-10|E80.2"),
    (ICD10, "D84.9", "code http://hl7.org/fhir/sid/icd-10|D84.9"),
])
def test_a_condition_coded_without_a_name_is_named_by_its_valueset_or_its_code(
    system: str, code: str, label: str
) -> None:
    record = build_record("p1", [patient(), condition("p1", system, code)], INDEX)
    assert [c.display for c in record.conditions] == [label]


def test_a_condition_with_a_text_keeps_it() -> None:
    coded = condition("p1", ICD10, "A39.0")
    coded["code"]["text"] = "Méningite à méningocoque"
    assert build_record("p1", [patient(), coded], INDEX).conditions[0].display == "Méningite à méningocoque"
