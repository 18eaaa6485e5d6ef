"""The medicine of a draft order as EHRs send it: coded on the order, on a contained Medication, or on a Medication
sent with the orders; one that cannot be read is said on a card of its own, never checked as if it named nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_factory import ATC, SNOMED, condition, patient
from prevention_cds.fhir_in.draft_orders import read_order_context
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.concepts import Concept
from prevention_cds.terminology.index import BDPM, CodeIndex
from support.order_sign import order_sign_cards

INDEX = CodeIndex.load()
PREGNANT = [patient("p1", "1995-01-01", "female"), condition("p1", SNOMED, "77386006")]  # Pregnancy
MMR_CODE = {"coding": [{"system": ATC, "code": "J07BD52"}]}
RIFAMPICIN_CODE = {"coding": [{"system": ATC, "code": "J04AB02"}], "text": "rifampicine"}
MEDICATION = {"resourceType": "Medication", "id": "med9", "code": MMR_CODE}


def _draft(**medicine: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
            "subject": {"reference": "Patient/p1"}, **medicine}


def _sign(client: FlaskClient, resources: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return order_sign_cards(client, resources, {"resourceType": "Bundle", "type": "collection", "entry": entries})


def _critical(cards: list[dict[str, Any]]) -> list[str]:
    return [c["summary"] for c in cards if c["indicator"] == "critical"]


CONTAINED = _draft(medicationReference={"reference": "#med1"},
                   contained=[{"resourceType": "Medication", "id": "med1", "code": MMR_CODE}])


def test_an_mmr_draft_through_a_contained_medication_is_checked(client: FlaskClient) -> None:
    coded = _sign(client, PREGNANT, [{"resource": _draft(medicationCodeableConcept=MMR_CODE)}])
    contained = _sign(client, PREGNANT, [{"resource": CONTAINED}])
    assert _critical(coded) and _critical(contained) == _critical(coded)


def test_a_medication_sent_with_the_orders_is_what_the_reference_names_not_an_order(client: FlaskClient) -> None:
    draft = _draft(medicationReference={"reference": "Medication/med9"})
    cards = _sign(client, PREGNANT, [{"resource": draft}, {"fullUrl": "Medication/med9", "resource": MEDICATION}])
    assert len(_critical(cards)) == 1  # the order's card, none for the Medication
    context = read_order_context("order-sign", (draft, MEDICATION), frozenset(), INDEX, "p1")
    assert [o.reference for o in context.orders] == ["MedicationRequest/d1"]
    assert Concept.MMR_VACCINE in context.orders[0].concepts and not context.unreadable_orders


@pytest.mark.parametrize("reference", ["https://ehr.example.org/fhir/Medication/med9", "urn:uuid:med9"])
def test_an_absolute_reference_and_a_medication_of_the_record_are_resolved(reference: str) -> None:
    draft = _draft(medicationReference={"reference": reference})
    context = read_order_context("order-sign", (draft,), frozenset(), INDEX, "p1", record_resources=[MEDICATION])
    assert Concept.MMR_VACCINE in context.orders[0].concepts


def test_a_rifampicin_draft_through_a_contained_medication_is_read_with_its_dose() -> None:
    draft = _draft(medicationReference={"reference": "#m"},
                   contained=[{"resourceType": "Medication", "id": "m", "code": RIFAMPICIN_CODE}],
                   dosageInstruction=[{"doseAndRate": [{"doseQuantity": {"value": 600, "code": "mg"}}]}])
    order = read_order_context("order-sign", (draft,), frozenset(), INDEX, "p1").orders[0]
    assert Concept.RIFAMPICIN in order.concepts and order.dose_mg == 600 and order.display == "rifampicine"


def test_a_reference_display_names_the_medicine_when_the_medication_is_not_sent() -> None:
    draft = _draft(medicationReference={"reference": "Medication/absent", "display": "Rifampicine 300 mg gélule"})
    order = read_order_context("order-sign", (draft,), frozenset(), INDEX, "p1").orders[0]
    assert Concept.RIFAMPICIN in order.concepts and order.product.recognised_by_name
    assert not order.medicine_unreadable


def test_an_order_whose_medicine_cannot_be_read_is_said(client: FlaskClient) -> None:
    unreadable = [
        _draft(medicationReference={"reference": "Medication/missing"}),  # not sent
        _draft(medicationReference={"reference": "#nowhere"}),  # no such contained resource
        _draft(medicationReference={"reference": "#m"}, contained=[{"resourceType": "Medication", "id": "m"}]),
        _draft(medicationCodeableConcept={}),
        _draft(),  # no medicine at all
    ]
    for draft in unreadable:
        cards = _sign(client, PREGNANT, [{"resource": draft}])
        assert [c["summary"] for c in cards] == ["Commande non vérifiable : médicament non lisible"], draft
        assert cards[0]["indicator"] == "warning" and not cards[0].get("suggestions")
    detail = _sign(client, PREGNANT, [{"resource": unreadable[0]}])[0]["detail"]
    assert "« Medication/missing »" in detail and "ni dose" in detail


def test_unreadable_orders_are_counted_on_one_card_and_an_unselected_one_is_not_said() -> None:
    drafts = (_draft(medicationReference={"reference": "Medication/x"}) | {"id": "a"},
              _draft(medicationReference={"reference": "Medication/y"}) | {"id": "b"})
    sign = read_order_context("order-sign", drafts, frozenset(), INDEX, "p1")
    assert [o.medicine_as_written for o in sign.unreadable_orders] == ["Medication/x", "Medication/y"]
    select = read_order_context("order-select", drafts, frozenset({"MedicationRequest/a"}), INDEX, "p1")
    assert [o.reference for o in select.unreadable_orders] == ["MedicationRequest/a"]


@pytest.mark.parametrize(("selections", "selected"), [
    ({"MedicationRequest/a"}, ["a"]),
    ({"a"}, ["a"]),  # the id alone
    ({"https://ehr.example.org/fhir/MedicationRequest/b"}, ["b"]),  # an absolute URL
    ({"MedicationRequest/zz"}, ["a", "b"]),  # names no draft: every order is checked, none left unchecked
    (set(), ["a", "b"]),
])
def test_order_select_checks_the_selected_orders_and_all_of_them_when_none_is_named(
    selections: set[str], selected: list[str]
) -> None:
    drafts = (_draft(medicationCodeableConcept=MMR_CODE) | {"id": "a"},
              _draft(medicationCodeableConcept=MMR_CODE) | {"id": "b"})
    context = read_order_context("order-select", drafts, frozenset(selections), INDEX, "p1")
    assert [(o.reference or "").rsplit("/", 1)[1] for o in context.orders if o.selected] == selected


def test_a_service_request_is_not_a_medicine_order() -> None:
    lab = {"resourceType": "ServiceRequest", "id": "s1", "status": "draft", "subject": {"reference": "Patient/p1"}}
    assert not read_order_context("order-sign", (lab,), frozenset(), INDEX, "p1").unreadable_orders


def test_the_record_reads_a_medication_statement_through_a_medication_of_the_prefetch() -> None:
    statement = {"resourceType": "MedicationStatement", "id": "s1", "status": "active",
                 "subject": {"reference": "Patient/p1"}, "medicationReference": {"reference": "Medication/rif"}}
    medication = {"resourceType": "Medication", "id": "rif", "code": RIFAMPICIN_CODE}
    record = build_record("p1", [patient(), statement, medication], INDEX)
    assert record.medications_of(Concept.RIFAMPICIN)


def test_a_treatment_of_the_record_whose_medicine_cannot_be_read_is_said_on_the_cards(client: FlaskClient) -> None:
    statement = {"resourceType": "MedicationStatement", "id": "s1", "status": "active",
                 "subject": {"reference": "Patient/p1"}, "medicationReference": {"reference": "Medication/gone"}}
    record = build_record("p1", [patient(), statement], INDEX)
    assert [(v.element.value, v.text) for v in record.unreadable] == [("medicine", "Medication/gone")]
    cards = _sign(client, [*PREGNANT, statement], [{"resource": _draft(medicationCodeableConcept=MMR_CODE)}])
    assert "Traitement dont le médicament est illisible « Medication/gone »" in cards[0]["detail"]
    bare = {**statement, "medicationReference": {}}
    cards = _sign(client, [*PREGNANT, bare], [{"resource": _draft(medicationCodeableConcept=MMR_CODE)}])
    assert "(aucun médicament indiqué)" in cards[0]["detail"]


def test_an_order_coded_without_a_name_is_named_by_its_valueset() -> None:
    priorix = _draft(medicationCodeableConcept={"coding": [{"system": BDPM, "code": "61896473"}]})
    order = read_order_context("order-sign", (priorix,), frozenset(), INDEX, "p1").orders[0]
    assert order.display.startswith("PRIORIX") and Concept.MMR_VACCINE in order.concepts
