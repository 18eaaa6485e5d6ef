"""MMR (ROR) vaccination rules: the ``ror-vaccination`` patient-view service and the MMR checks of the order
hooks (clinical.md §B). Pure functions over the record; numbers come from ``prevention_cds/rules/data/mmr.json``."""

from __future__ import annotations

from datetime import datetime

from prevention_cds.rules.advice import Advice
from prevention_cds.rules.facts import OrderContext, PatientRecord
from prevention_cds.rules.mmr import order_checks, patient_view
from prevention_cds.rules.ruleset import RuleSettings


class MmrRules:
    def evaluate(self, record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]:
        return patient_view.evaluate(record, now, settings)

    def check_orders(
        self, record: PatientRecord, orders: OrderContext, now: datetime, settings: RuleSettings
    ) -> tuple[Advice, ...]:
        return order_checks.check_orders(record, orders, now, settings)


__all__ = ["MmrRules"]
