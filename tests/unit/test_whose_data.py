"""Whose data it is (issue 15 §1): only the context patient's resources are used, in every form a reference takes;
a prefetched Patient that is another patient is never used; another patient's resources are set aside and counted
on the card; a deceased patient gets no card."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from fault_server import FaultServer, refused_keys
from fhir_factory import SNOMED, condition, hook_request, immunization, patient, searchset
from prevention_cds.fhir_in.record import build_record
from prevention_cds.fhir_in.references import Owner, PatientIdentity
from prevention_cds.rules.concepts import Concept

ROR = "/cds-services/ror-vaccination"
UUID_P1 = "3f2b1c1e-8a4d-4e8b-9a55-0c1d2e3f4a5b"
UUID_OTHER = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"


def _dose(reference: Any) -> dict[str, Any]:
    dose = immunization("p1", "03", "2020-01-10")
    dose["patient"] = reference
    return dose


@pytest.mark.parametrize(("reference", "expected"), [
    ({"reference": "Patient/p1"}, Owner.PATIENT),
    ({"reference": "Patient/p1/_history/3"}, Owner.PATIENT),
    ({"reference": "https://ehr.example.org/fhir/Patient/p1"}, Owner.PATIENT),
    ({"reference": "https://ehr.example.org/fhir/Patient/p1/_history/2"}, Owner.PATIENT),
    ({"reference": "Patient/other"}, Owner.OTHER),
    ({"reference": "https://ehr.example.org/fhir/Patient/other"}, Owner.OTHER),
    ({"reference": "Group/household-1"}, Owner.OTHER),  # a subject that is not a patient
    ({"reference": f"urn:uuid:{UUID_OTHER}"}, Owner.OTHER),  # the id of another Patient given with it
    ({"reference": f"urn:uuid:{UUID_P1}"}, Owner.UNSTATED),  # no entry to resolve it against
    ({"reference": "#contained-patient"}, Owner.UNSTATED),
    ({"reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|1234"}, Owner.UNSTATED),  # conditional
    ({"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "1234"}}, Owner.UNSTATED),
    ("not a reference", Owner.UNSTATED),
    (None, Owner.UNSTATED),
])
def test_every_reference_form(reference: Any, expected: Owner) -> None:
    other = patient(UUID_OTHER)
    assert PatientIdentity("p1", [other]).owner(_dose(reference)) == expected


def test_a_bundle_urn_uuid_is_the_patient_when_it_is_its_id() -> None:
    """Synthea's transaction Bundles: the Patient's id is the uuid its entries refer to."""
    dose = _dose({"reference": f"urn:uuid:{UUID_P1}"})
    assert PatientIdentity(UUID_P1).owner(dose) == Owner.PATIENT
    record = build_record(UUID_P1, [patient(UUID_P1), dose])
    assert len(record.doses_of(Concept.MMR_VACCINE)) == 1 and record.other_patients == ()


def test_another_patients_resources_are_never_read_and_are_counted() -> None:
    resources = [
        patient("p1", "2010-05-04"), patient("other", "1980-01-01"),
        immunization("p1", "03", "2011-06-01"),
        immunization("other", "03", "2012-01-10"), immunization("other", "03", "2013-01-10"),
        _dose({"reference": f"urn:uuid:{UUID_OTHER}"}), patient(UUID_OTHER, "1975-01-01"),
    ]
    record = build_record("p1", resources)
    assert record.birth_date is not None and record.birth_date.year == 2010  # never the other Patient's
    assert [d.source_id for d in record.doses_of(Concept.MMR_VACCINE)] == [f"Immunization/{resources[2]['id']}"]
    assert dict(record.other_patients) == {"Immunization": 3, "Patient": 2}


def _card_text(response: Any) -> str:
    return "\n".join(c["summary"] + "\n" + c.get("detail", "") for c in response.get_json()["cards"])


def test_the_card_counts_another_patients_vaccinations(client: FlaskClient) -> None:
    resources = [patient("p1", "2010-05-04"), immunization("p1", "03", "2011-06-01"),
                 immunization("other", "03", "2012-01-10"), immunization("other", "03", "2013-01-10")]
    response = client.post(ROR, json=hook_request("patient-view", resources))
    assert response.status_code == 200
    assert_valid_response(response.get_json())
    text = _card_text(response)
    assert "2 vaccinations d'un autre patient ignorées" in text
    assert "dose 2/2" in text  # the other patient's doses did not count


def test_a_prefetched_patient_that_is_another_patient_is_fetched_again(client: FlaskClient) -> None:
    """context.patientId "p1" with the Patient of pat-w30 prefetched: never pat-w30's birth date for p1."""
    body = hook_request("patient-view", [patient("pat-w30", "1996-05-14")])
    with FaultServer() as server:
        body["fhirServer"] = server.base("ok")
        response = client.post(ROR, json=body)
        assert [path for path, _ in server.requests] == ["/ok/Patient/p1"]  # the server answers born 1990
    assert response.status_code == 200
    assert "1996" not in _card_text(response)


def test_a_prefetched_patient_that_is_another_patient_without_fhir_server_is_412_naming_the_key(
    client: FlaskClient,
) -> None:
    response = client.post(ROR, json=hook_request("patient-view", [patient("pat-w30", "1996-05-14")]))
    assert response.status_code == 412
    issue = response.get_json()["issue"][0]
    assert "'patient'" in issue["diagnostics"] and issue["expression"] == ["prefetch.patient"]


def test_a_fetched_patient_that_is_another_patient_is_412(client: FlaskClient) -> None:
    class OtherPatientServer(FaultServer):
        def answer(self, mode: str, prefix: str, fhir_path: str, authorization: str | None) -> tuple[int, bytes]:
            if fhir_path.startswith("Patient/"):
                return 200, b'{"resourceType": "Patient", "id": "pat-w30", "birthDate": "1996-05-14"}'
            return super().answer(mode, prefix, fhir_path, authorization)

    body = hook_request("patient-view", [])
    assert refused_keys(client, ROR, body, "patient", OtherPatientServer(), "ok") == ["prefetch.patient"]


@pytest.mark.parametrize(("subject", "checked"), [("Patient/p1", True), ("Patient/other", False)])
def test_a_draft_order_of_another_patient_is_not_checked(client: FlaskClient, subject: str, checked: bool) -> None:
    """An MMR order signed for a pregnant woman is contraindicated; the same order for another patient is not hers."""
    order = {"resourceType": "MedicationRequest", "id": "mmr-order", "status": "draft", "intent": "order",
             "subject": {"reference": subject},
             "medicationCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]}}
    resources = [patient("p1", "1995-01-01"), condition("p1", SNOMED, "77386006")]  # pregnancy
    body = hook_request("order-sign", resources,
                        context={"patientId": "p1", "userId": "Practitioner/dr1", "draftOrders": searchset([order])})
    response = client.post("/cds-services/prevention-order-sign", json=body)
    assert response.status_code == 200
    assert any("MedicationRequest/mmr-order" in str(card) for card in response.get_json()["cards"]) == checked


DECEASED = [{"deceasedBoolean": True}, {"deceasedDateTime": "2024-03-01T10:00:00+01:00"}]


@pytest.mark.parametrize("death", DECEASED)
def test_a_deceased_patient_gets_no_card_and_the_log_says_so(
    client: FlaskClient, death: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    for url, hook in ((ROR, "patient-view"), ("/cds-services/prevention-order-sign", "order-sign")):
        extra: dict[str, Any] = {"context": {"patientId": "p1", "draftOrders": searchset([])}} if hook == "order-sign" else {}
        with caplog.at_level(logging.INFO):
            response = client.post(url, json=hook_request(hook, [{**patient("p1", "2015-01-01"), **death}], **extra))
        assert response.status_code == 200 and response.get_json()["cards"] == []
        assert any("deceased patient, no card" in r.getMessage() for r in caplog.records)
        caplog.clear()


def test_a_death_dated_after_today_or_unreadable_is_not_a_death(client: FlaskClient) -> None:
    for death in ("2030-01-01", "bientôt"):
        resources = [{**patient("p1", "2015-01-01"), "deceasedDateTime": death}]
        response = client.post(ROR, json=hook_request("patient-view", resources))
        assert response.status_code == 200 and response.get_json()["cards"], death
    assert "Date de décès illisible : « bientôt »" in _card_text(response)
