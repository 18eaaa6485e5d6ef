"""Meningococcal (IIM) prophylaxis rules: contacts of a case, the index case, and antibiotic order checks.

``IimRules.evaluate`` answers the ``iim-prophylaxis`` patient-view service; ``IimRules.check_orders`` the
rifampicin / ciprofloxacin / ceftriaxone checks of ``prevention-order-sign`` and ``prevention-order-select``.
Every number comes from ``prevention_cds/rules/data/iim.json``; the choices on ambiguous guidance are in
``docs/clinical-decisions.md``.
"""

from __future__ import annotations

from datetime import datetime

from prevention_cds.rules.advice import Advice
from prevention_cds.rules.facts import OrderContext, PatientRecord
from prevention_cds.rules.iim.contact_prophylaxis import contact_advice
from prevention_cds.rules.iim.index_case import index_case_advice
from prevention_cds.rules.iim.order_checks import check_orders as _check_orders
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.ruleset import RuleSettings

__all__ = ["IimRules"]


class IimRules:
    def evaluate(self, record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]:
        patient = PatientProfile.of(record, now)
        return index_case_advice(patient, settings) + contact_advice(patient, settings)

    def check_orders(
        self, record: PatientRecord, orders: OrderContext, now: datetime, settings: RuleSettings
    ) -> tuple[Advice, ...]:
        return _check_orders(PatientProfile.of(record, now), orders, settings)
