"""Reading draft orders (``fhir_in.draft_orders``): routes from the terminology's one definition."""

from __future__ import annotations

from typing import Any

import pytest

from prevention_cds.fhir_in.draft_orders import read_draft_order
from prevention_cds.rules.advice import Route
from prevention_cds.rules.concepts import Concept
from prevention_cds.terminology.index import CodeIndex
from prevention_cds.terminology.routes import route_codings


def _order_with_route(route: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "o1", "status": "draft",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J04AB02"}]},
            "dosageInstruction": [{"route": route}]}


@pytest.mark.parametrize("route", list(Route))
def test_every_route_written_is_read_back(route: Route) -> None:
    coding = dict(route_codings()[route.value])
    order = read_draft_order(_order_with_route({"coding": [coding]}), CodeIndex.load(), selected=True)
    assert order.route is route


@pytest.mark.parametrize(
    ("route", "read_as"),
    [({"coding": [{"code": "26643006"}]}, Route.ORAL),  # no system (the Sandbox): read by its code
     ({"coding": [{"code": ["26643006"]}]}, None), ({"coding": [{"code": "12345"}]}, None), ("oral", None)],
)
def test_a_route_is_read_by_its_code_and_an_unreadable_one_is_none(route: Any, read_as: Route | None) -> None:
    assert read_draft_order(_order_with_route(route), CodeIndex.load(), selected=True).route is read_as


def test_a_yellow_fever_vaccine_order_is_read_as_such() -> None:
    order = {"resourceType": "MedicationRequest", "id": "yf", "status": "draft",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J07BL01"}],
                                           "text": "STAMARIL"}}
    read = read_draft_order(order, CodeIndex.load(), selected=True)
    assert Concept.YELLOW_FEVER_VACCINE in read.concepts and read.display == "STAMARIL"
