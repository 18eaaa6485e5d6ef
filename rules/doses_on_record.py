"""Interim rule path of the foundation: the MMR doses on record (replaced by the MMR rule set, issue 3)."""

from __future__ import annotations

from datetime import datetime

from rules.advice import Advice, GuidelineRef, Indicator, Message
from rules.concepts import Concept
from rules.facts import OrderContext, PatientRecord
from rules.ruleset import RuleSettings


class MmrDosesOnRecord:
    def evaluate(self, record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]:
        doses = record.doses_of(Concept.MMR_VACCINE)
        facts = tuple(Message.of("interim.fact.dose", date=d.given_on, display=d.display) for d in doses)
        return (
            Advice(
                rule="interim.mmr-doses-on-record",
                indicator=Indicator.INFO,
                summary=Message.of("interim.summary", count=len(doses)),
                explanation=(Message.of("interim.explanation"),),
                facts=facts,
                guideline=(GuidelineRef("ameli-ror", "Le calendrier vaccinal"),),
            ),
        )

    def check_orders(
        self, record: PatientRecord, orders: OrderContext, now: datetime, settings: RuleSettings
    ) -> tuple[Advice, ...]:
        return ()
