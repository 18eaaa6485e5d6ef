"""Codings of the products, target diseases and reasons the service writes (``data/products.json``), and of the
routes (defined once, in the terminology's ValueSet administration-route)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from prevention_cds.terminology.routes import route_codings

Coding = dict[str, str]


@cache
def _products() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("prevention_cds.fhir_out").joinpath("data", "products.json").read_text(encoding="utf-8")
    )
    return document


def medicine_codings(medicine: str) -> list[Coding]:
    return [dict(c) for c in _products()["medicines"][medicine]["codings"]]


def medicine_text(medicine: str, language: str) -> str:
    text: str = _products()["medicines"][medicine]["text"][language]
    return text


def medicine_concept(medicine: str, language: str) -> dict[str, Any]:
    return {"coding": medicine_codings(medicine), "text": medicine_text(medicine, language)}


def target_disease_concept(diseases: tuple[str, ...], language: str) -> dict[str, Any]:
    # R4 allows one target disease per recommendation (and per evaluation): the first coded, all of them named,
    # in the answer's language
    text = ", ".join(_products()["target_diseases"][d]["text"][language] for d in diseases)
    return {"coding": [target_disease_coding(d) for d in diseases[:1]], "text": text[:1].upper() + text[1:]}


def route_coding(route: str) -> Coding:
    return dict(route_codings()[route])


def target_disease_coding(disease: str) -> Coding:
    return dict(_products()["target_diseases"][disease]["coding"])


def reason_coding(reason: str) -> Coding:
    return dict(_products()["reasons"][reason])


def authority_display() -> str:
    display: str = _products()["authority"]["display"]
    return display


def dose_status_coding(valid: bool) -> Coding:
    return dict(_products()["dose_statuses"]["valid" if valid else "notvalid"])


def dose_status_reason_coding(reason: str) -> Coding | None:
    """The coding of why a dose is not valid, when a code says it (else the reason is written as text only)."""
    coding = _products()["dose_status_reasons"].get(reason)
    return dict(coding) if coding is not None else None
