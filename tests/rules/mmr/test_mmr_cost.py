"""Free vaccine up to 17 years inclusive or AME, 65 % otherwise (issue 3, rule 6)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from prevention_cds.rules.advice import Message
from prevention_cds.rules.facts import PatientRecord

from .records import Scenario, at, born, medication_of, only, patient

TODAY = at(2025, 6, 1)


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    cost_key: str

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, TODAY)


CASES = [
    Case("17 years and 364 days: free", patient(born(2007, 6, 2)), "mmr.cost.free-minor"),
    Case("18th birthday today: 65 %, AME unknown", patient(born(2007, 6, 1)), "mmr.cost.reimbursed-unless-ame"),
    Case("adult, AME: free", patient(born(1990, 1, 1), state_medical_aid=True), "mmr.cost.free-ame"),
    Case("adult, not AME: 65 %", patient(born(1990, 1, 1), state_medical_aid=False), "mmr.cost.reimbursed"),
    Case("minor with AME: minor wording", patient(born(2015, 1, 1), state_medical_aid=True), "mmr.cost.free-minor"),
    Case(
        "birth year 2007 only, 17 or 18: say it depends",
        patient(born(2007), state_medical_aid=False),
        "mmr.cost.free-if-minor",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cost_wording_on_card_and_prescription(case: Case) -> None:
    advice = only(case.scenario.run())
    explained = {m.key for m in advice.explanation}
    assert case.cost_key in explained
    notes = medication_of(advice).proposal.notes
    assert case.cost_key in {n.key for n in notes}  # travels with the prescription
    if case.cost_key == "mmr.cost.reimbursed-unless-ame":
        assert Message.of("mmr.decision.ame-unknown") in advice.decisions
