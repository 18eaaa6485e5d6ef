"""Reading ``context.draftOrders`` tolerantly (cds-hooks.md §3.4 S15).

Clients send orders without ``intent`` (the Sandbox), STU3-shaped dosages (``doseQuantity`` on the Dosage) and
``doseAndRate`` as an object instead of an array (CDS Hooks Library examples), and RxNorm *product* codes (the
Sandbox's Rx View and Rx Sign: "Rifampin 300 MG Oral Capsule"), read through their ingredients with their form and
strength (``products.py``): a dose in capsules, tablets or mL of such a product is read in mg. An order is read from
its JSON rather than rejected by a strict model: the rules check it, they do not need it to be perfect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from prevention_cds.fhir_in.codes import name_of
from prevention_cds.fhir_in.medication import (
    MEDICINE_CONCEPTS,
    medication_concept,
    medications_by_reference,
    medicine_as_written,
)
from prevention_cds.fhir_in.products import medicine_of
from prevention_cds.fhir_in.references import Owner, PatientIdentity
from prevention_cds.rules.advice import Route
from prevention_cds.rules.facts import DraftOrder, OrderContext, Product
from prevention_cds.terminology.index import CodeIndex
from prevention_cds.terminology.routes import route_codings

# Matched on the code alone: clients send route codings without a system (the Sandbox).
ROUTES = {coding["code"]: Route(name) for name, coding in route_codings().items()}
MILLILITRE = frozenset({"ml"})
MG_PER_UNIT = {"mg": Decimal(1), "g": Decimal(1000), "ug": Decimal("0.001"), "mcg": Decimal("0.001")}
PERIOD_PER_DAY = {"d": Decimal(1), "h": Decimal(24), "min": Decimal(1440), "wk": Decimal(1) / Decimal(7)}
DAYS_PER_UNIT = {"d": Decimal(1), "h": Decimal(1) / Decimal(24), "wk": Decimal(7)}


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


LARGEST_READ = Decimal(10) ** 9  # no dose, frequency or duration of an order is anywhere near this


def _decimal(value: Any) -> Decimal | None:
    """A finite number of sensible size, or None: NaN, infinities and absurd magnitudes are not read."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and abs(number) < LARGEST_READ else None


def _dose(dosage: dict[str, Any], product: Product, index: CodeIndex) -> tuple[Decimal | None, str | None]:
    """The dose in mg, else the unit it is written in: a dose in capsules, tablets or mL is in mg when the product's
    strength is known."""
    quantity = _first(dosage.get("doseAndRate")).get("doseQuantity") or dosage.get("doseQuantity")
    if not isinstance(quantity, dict):
        return None, None
    value = _decimal(quantity.get("value"))
    unit = str(quantity.get("code") or quantity.get("unit") or "")
    if value is None:
        return None, unit or None
    factor = MG_PER_UNIT.get(unit.lower())
    if factor is None:
        factor = _mg_per_presentation(unit, product, index)
    return (value * factor, None) if factor is not None else (None, unit or None)


def _mg_per_presentation(unit: str, product: Product, index: CodeIndex) -> Decimal | None:
    """The mg in one ``unit`` of a product of one ingredient whose strength is known: one capsule or tablet of it
    ("{capsule}", "gélule"; the unit must name the product's own form), or one mL of its suspension. None for a
    combination (which ingredient the dose is of is not said) or a unit that names another form."""
    if len(product.strengths) != 1 or product.form is None:
        return None
    strength = product.strengths[0]
    if unit.lower() in MILLILITRE:
        return strength.mg / strength.per_ml if strength.per_ml else None
    named = index.medicines.form_named(unit) if index.medicines is not None else None
    return strength.mg if strength.per_ml is None and named == product.form.value else None


def _timing(dosage: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    timing = dosage.get("timing")
    repeat = _first(timing.get("repeat") if isinstance(timing, dict) else None)
    frequency = _decimal(repeat.get("frequency"))
    period = _decimal(repeat.get("period"))
    per_day = PERIOD_PER_DAY.get(str(repeat.get("periodUnit")))
    frequency_per_day = (frequency / period * per_day) if frequency and period and per_day else None
    raw_bounds = repeat.get("boundsDuration")
    bounds: dict[str, Any] = raw_bounds if isinstance(raw_bounds, dict) else {}
    bound_value = _decimal(bounds.get("value"))
    days_per_unit = DAYS_PER_UNIT.get(str(bounds.get("code") or bounds.get("unit") or ""))
    duration = bound_value * days_per_unit if bound_value is not None and days_per_unit else None
    count = _decimal(repeat.get("count"))
    if duration is None and count is not None and frequency_per_day:
        duration = count / frequency_per_day
    return frequency_per_day, duration


def _route(dosage: dict[str, Any]) -> Route | None:
    route = dosage.get("route")
    for coding in (route.get("coding") or ()) if isinstance(route, dict) else ():
        if isinstance(coding, dict) and isinstance(code := coding.get("code"), str) and code in ROUTES:
            return ROUTES[code]
    return None


# Orders of a medicine: one whose medicine cannot be read is said, never checked as if it named nothing
MEDICINE_ORDERS = frozenset({"MedicationRequest"})


def order_concept(resource: dict[str, Any], medications: Mapping[str, dict[str, Any]]) -> Any:
    """What a draft order orders (the medicine of a MedicationRequest, the code of another order), None when it
    cannot be read."""
    if resource.get("resourceType") in MEDICINE_ORDERS or "medicationReference" in resource:
        return medication_concept(resource, medications)
    return resource.get("code") or {}  # a ServiceRequest, a DeviceRequest...: not a medicine, nothing to say


def read_draft_order(
    resource: dict[str, Any],
    index: CodeIndex,
    selected: bool,
    medications: Mapping[str, dict[str, Any]] | None = None,
) -> DraftOrder:
    concept = order_concept(resource, medications or {})
    medicine = medicine_of(concept, index, MEDICINE_CONCEPTS)
    dosage = _first(resource.get("dosageInstruction"))
    dose_mg, dose_unit = _dose(dosage, medicine.product, index)
    frequency, duration = _timing(dosage)
    rid = resource.get("id")
    return DraftOrder(
        resource_type=str(resource["resourceType"]),
        resource_id=rid if isinstance(rid, str) and rid else None,
        concepts=medicine.concepts,
        display=name_of(concept, index),  # an order coded by its CIS alone is named as the BDPM names it
        dose_mg=dose_mg,
        dose_unit=dose_unit,
        frequency_per_day=frequency,
        duration_days=duration,
        route=_route(dosage),
        selected=selected,
        product=medicine.product,
        medicine_unreadable=concept is None,
        medicine_as_written=medicine_as_written(resource),
    )


def read_order_context(
    hook: str,
    resources: tuple[dict[str, Any], ...],
    selections: frozenset[str],
    index: CodeIndex,
    patient_id: str | None = None,
    record_resources: Iterable[dict[str, Any]] = (),
) -> OrderContext:
    """On order-select only the orders named in ``selections`` are advised on; all of them if none are, or if no
    selection names one of the drafts (a selection the EHR wrote otherwise must not leave its order unchecked). A
    selection names an order by its reference, its id alone or an absolute URL ending in its reference. A draft
    order whose subject is another patient than ``patient_id`` is not checked, and counted for the card. A
    Medication sent with the orders (or in the record's resources) is what an order's medicationReference names,
    not an order."""
    others = 0
    identity = PatientIdentity(patient_id) if patient_id is not None else None
    medications = medications_by_reference((*record_resources, *resources))
    drafts = []
    for resource in resources:
        if resource.get("resourceType") == "Medication":
            continue
        if identity is not None and identity.owner(resource) == Owner.OTHER:
            others += 1
            continue
        drafts.append(resource)
    named = [_selected(resource, selections) for resource in drafts]
    every = hook != "order-select" or not any(named)
    orders = [read_draft_order(resource, index, every or chosen, medications)
              for resource, chosen in zip(drafts, named, strict=True)]
    return OrderContext(hook=hook, orders=tuple(orders), other_patient_orders=others)


def _selected(resource: dict[str, Any], selections: frozenset[str]) -> bool:
    reference = f"{resource.get('resourceType')}/{resource.get('id')}"
    return any(s in (reference, resource.get("id")) or s.endswith("/" + reference) for s in selections)
