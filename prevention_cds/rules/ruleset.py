"""What every rule set offers the service layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from prevention_cds.rules.advice import Advice
from prevention_cds.rules.facts import OrderContext, PatientRecord


@dataclass(frozen=True)
class RuleSettings:
    """Deployment switches that change what the rules answer (set by configuration, never by a request)."""

    rifampicin_shortage_mode: bool = False  # ANSM restriction: second-line antibiotics first (clinical.md A.0)
    info_card_when_up_to_date: bool = False  # MMR: an info card when nothing is owed


class PatientViewRules(Protocol):
    def evaluate(self, record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]: ...


class OrderRules(Protocol):
    def check_orders(
        self, record: PatientRecord, orders: OrderContext, now: datetime, settings: RuleSettings
    ) -> tuple[Advice, ...]: ...
