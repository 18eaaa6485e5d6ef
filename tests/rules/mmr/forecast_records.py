"""Records only a forecast tells apart (Immunizations not done or entered in error, a dose without a readable date,
a deceased patient): part of the rule suite (``suite.py``), so that the cards and the forecast run on them too."""

from __future__ import annotations

from datetime import date

from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import NotGivenDose, NotGivenStatus, RecordElement, UnreadableValue

from .records import Scenario, at, born, mmr, patient

INFANT = born(2024, 6, 10)
MMR_CODES = frozenset({Concept.MMR_VACCINE, Concept.LIVE_VACCINE})

NOT_GIVEN = Scenario(
    patient(
        INFANT,
        doses=(mmr(date(2025, 6, 10), "given"),),
        not_given_doses=(
            NotGivenDose(NotGivenStatus.NOT_DONE, date(2025, 6, 12), MMR_CODES, "", "Immunization/refused"),
            NotGivenDose(NotGivenStatus.ENTERED_IN_ERROR, None, MMR_CODES, "M-M-RVaxPro", "Immunization/typo"),
            NotGivenDose(NotGivenStatus.NOT_DONE, None, frozenset({Concept.LIVE_VACCINE}), "Varivax"),  # not MMR
        ),
        unreadable=(UnreadableValue(RecordElement.DOSE_DATE, "1997-13-01", MMR_CODES, "ROR", "Immunization/old"),),
    ),
    at(2025, 8, 10),
)
DECEASED = Scenario(patient(INFANT, deceased=True), at(2025, 6, 1))
UNREADABLE_BIRTH_DATE = Scenario(
    patient(None, unreadable=(UnreadableValue(RecordElement.BIRTH_DATE, "14/05/1996"),)), at(2025, 6, 1)
)
SCENARIOS = [NOT_GIVEN, DECEASED, UNREADABLE_BIRTH_DATE]
