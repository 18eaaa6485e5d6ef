"""A birth date the record gives but that cannot be read: the MMR card says so, with the value as written, and
proposes no dose (as without a birth date) instead of saying the date is missing."""

from __future__ import annotations

from advice_messages import all_messages
from prevention_cds.rules.facts import RecordElement, Sex, UnreadableValue

from .records import Scenario, at, only, patient

ILLEGIBLE = UnreadableValue(RecordElement.BIRTH_DATE, "14/05/1996", source_id="Patient/p1")
UNREADABLE_BIRTH = Scenario(patient(None, Sex.FEMALE, unreadable=(ILLEGIBLE,)), at(2026, 11, 21))
CASES: tuple[Scenario, ...] = (UNREADABLE_BIRTH,)


def test_an_unreadable_birth_date_is_said_as_written_not_missing() -> None:
    advice = only(UNREADABLE_BIRTH.run())
    assert advice.rule == "mmr.missing-birth-date" and advice.suggestions == ()
    assert advice.summary.key == "mmr.summary.unreadable-birth-date"
    keys = {m.key: m for m in all_messages(advice)}
    assert "mmr.fact.birth-date-missing" not in keys
    assert keys["mmr.fact.birth-date-unreadable"].params["birth_date"] == "14/05/1996"
