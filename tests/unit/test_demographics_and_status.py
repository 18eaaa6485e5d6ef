"""Postal code, département and death read from a Patient; the status read from a patient's MMR advice."""

from __future__ import annotations

from datetime import date

import pytest

from prevention_cds.fhir_in.demographics import demographics_of, departement_of
from prevention_cds.fhir_in.references import patient_id_of
from prevention_cds.rules.status import vaccination_status

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(("postal_code", "departement"), [
    ("75011", "75"), ("01000", "01"), ("20000", "2A"), ("20190", "2A"), ("20200", "2B"), ("20600", "2B"),
    ("97110", "971"), ("97600", "976"), ("98000", None), ("00100", None), ("7501", None), ("A1000", None),
    (None, None),
])
def test_departement_of_a_postal_code(postal_code: str | None, departement: str | None) -> None:
    assert departement_of(postal_code) == departement


def test_the_french_home_address_is_read_first() -> None:
    patient = {"resourceType": "Patient", "address": [
        {"use": "work", "postalCode": "69003", "country": "FR"},
        {"use": "home", "postalCode": "66101", "country": "US"},
        {"use": "home", "postalCode": "13 005"},
    ]}
    assert demographics_of(patient, TODAY).postal_code == "13005"
    assert demographics_of({"address": "not a list"}, TODAY).departement is None


@pytest.mark.parametrize(("element", "deceased", "unreadable"), [
    ({"deceasedBoolean": True}, True, False), ({"deceasedBoolean": False}, False, False),
    ({"deceasedDateTime": "2020-03-01T10:00:00+01:00"}, True, False), ({"deceasedDateTime": "2026"}, True, False),
    ({"deceasedDateTime": "2027-01-01"}, False, False), ({"deceasedDateTime": "yesterday"}, False, True), ({}, False, False),
])
def test_deceased_on_the_scan_day(element: dict[str, object], deceased: bool, unreadable: bool) -> None:
    found = demographics_of({"resourceType": "Patient", **element}, TODAY)
    assert (found.deceased, found.deceased_unreadable) == (deceased, unreadable)


@pytest.mark.parametrize(("reference", "patient_id"), [
    ("Patient/abc", "abc"), ("https://fhir.example.org/r4/Patient/a.b-1/_history/3", "a.b-1"),
    ("urn:uuid:0000e3ef-3cf9-572b-f476-6398236b3624", "0000e3ef-3cf9-572b-f476-6398236b3624"),
    ("Patient?identifier=x|1", None), ("#contained", None), ("Group/g1", None), ("Patient/", None), (3, None),
])
def test_patient_reference(reference: object, patient_id: str | None) -> None:
    assert patient_id_of({"resourceType": "Immunization", "patient": {"reference": reference}}) == patient_id


def test_no_advice_means_nothing_owed() -> None:
    found = vaccination_status(())
    assert (found.status, found.doses_counted, found.rule) == ("complete", None, None)
