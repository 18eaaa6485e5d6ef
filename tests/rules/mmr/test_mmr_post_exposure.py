"""Measles post-exposure: 72 hours, 6 days, age groups, professionals, immunoglobulins (issue 3, rule 4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest

from prevention_cds.rules.advice import ForecastStatus, Indicator, Message, ProposeMedication
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import Exposure, PatientRecord, Sex
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.ruleset import RuleSettings
from support.card_brevity import card_keys

from .records import (
    IMMUNODEFICIENCY,
    MEASLES_HISTORY,
    Scenario,
    actions,
    allergy,
    at,
    born,
    forecast_of,
    keys,
    measles_contact,
    mmr,
    patient,
    pregnant,
    rules_of,
    varicella,
)

NOW = at(2025, 6, 12, 10)
HEALTH = frozenset({Concept.HEALTHCARE_PROFESSIONAL})


def hours_ago(hours: float) -> Exposure:
    return measles_contact(NOW - timedelta(hours=hours))


def on_day(day: date) -> Exposure:
    """A contact recorded with a date only (midnight, has_time False), as the record builder makes it."""
    return measles_contact(datetime.combine(day, datetime.min.time(), tzinfo=NOW.tzinfo), has_time=False)


def exposed(
    birth: PartialDate | None, exposure: Exposure, sex: Sex | None = Sex.MALE, **details: object
) -> PatientRecord:
    return patient(birth, sex, exposures=(exposure,), **details)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    rules: tuple[str, ...]  # the cards, in order
    keys: frozenset[str] = field(default_factory=frozenset)  # message keys expected on the first card
    doses: tuple[int, ...] = ()  # dose numbers of the first card's forecast, when it has one
    now: datetime = NOW

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, self.now)


EIGHT_MONTHS = born(2024, 10, 1)
TEN_MONTHS = born(2024, 8, 1)
IG = "mmr.post-exposure.immunoglobulin"
PEP = "mmr.post-exposure.dose"

CASES = [
    Case(
        "infant 8 months, 72 h exactly: one uncounted dose (off-label before 9 months)",
        exposed(EIGHT_MONTHS, hours_ago(72)),
        (PEP,),
        frozenset({"mmr.summary.pep.infant", "mmr.explain.pep.within", "mmr.decision.pep-off-label"}),
        (1, 2, 3),
    ),
    Case(
        "infant 8 months, 73 h: immunoglobulins",
        exposed(EIGHT_MONTHS, hours_ago(73)),
        (IG,),
        frozenset({"mmr.explain.ig.infant-beyond-window", "mmr.decision.infant-beyond-window"}),
    ),
    Case(
        "infant 10 months, 30 h: dose, on label",
        exposed(TEN_MONTHS, hours_ago(30)),
        (PEP,),
        frozenset({"mmr.explain.pep.infant-uncounted"}),
        (1, 2, 3),
    ),
    Case(
        "infant exactly 6 months, 10 h: dose",
        exposed(born(2024, 12, 12), hours_ago(10)),
        (PEP,),
        frozenset({"mmr.decision.pep-off-label"}),
    ),
    Case(
        "infant 5 months: immunoglobulins (mother's status)",
        exposed(born(2025, 1, 1), hours_ago(10)),
        (IG,),
        frozenset({"mmr.explain.ig.infant-under-min-age", "mmr.decision.infant-mother-status"}),
    ),
    Case(
        "infant 10 months, date only two days ago: certainly within 72 h",
        exposed(TEN_MONTHS, on_day(date(2025, 6, 10))),
        (PEP,),
        frozenset({"mmr.fact.exposure-date"}),
    ),
    Case(
        "infant 10 months, date only three days ago: 72 h uncertain → immunoglobulins",
        exposed(TEN_MONTHS, on_day(date(2025, 6, 9))),
        (IG,),
        frozenset({"mmr.explain.ig.infant-window-uncertain", "mmr.decision.exposure-time-unknown"}),
    ),
    Case(
        "infant 10 months, varicella 10 days ago: no valid dose now → immunoglobulins",
        exposed(TEN_MONTHS, hours_ago(20), doses=(varicella(date(2025, 6, 2)),)),
        (IG,),
        frozenset({"mmr.explain.ig.infant-cannot-be-vaccinated"}),
    ),
    Case(
        "child 3 years with one dose, 30 h: complete to two now",
        exposed(born(2022, 3, 3), hours_ago(30), doses=(mmr(date(2023, 3, 10)),)),
        (PEP,),
        frozenset({"mmr.summary.pep.complete", "mmr.explain.pep.within"}),
        (2,),
    ),
    Case(
        "adult born 1990, no dose, 5 days: two doses, first now (beyond 72 h)",
        exposed(born(1990, 2, 2), hours_ago(120)),
        (PEP,),
        frozenset({"mmr.explain.pep.beyond", "mmr.explain.pep.complete"}),
        (1, 2),
    ),
    Case(
        "adult born 1990, two doses: nothing",
        exposed(born(1990, 2, 2), hours_ago(20), doses=(mmr(date(1991, 3, 1)), mmr(date(1996, 3, 1)))),
        (),
    ),
    Case(
        "adult born 1990, measles history, no dose: routine catch-up, not post-exposure",
        exposed(born(1990, 2, 2), hours_ago(20), conditions=(MEASLES_HISTORY,)),
        ("mmr.catch-up",),
    ),
    Case(
        "health professional born 1970, no dose: one dose",
        exposed(born(1970, 2, 2), hours_ago(20), occupations=HEALTH),
        (PEP,),
        frozenset({"mmr.summary.pep.professional", "mmr.decision.professional-immunity"}),
        (1,),
    ),
    Case(
        "health professional born 1970 with one dose, no history: one more",
        exposed(born(1970, 2, 2), hours_ago(20), doses=(mmr(date(2005, 1, 1)),), occupations=HEALTH),
        (PEP,),
        frozenset({"mmr.summary.pep.professional"}),
        (2,),
    ),
    Case(
        "health professional born 1970 with measles history: nothing",
        exposed(born(1970, 2, 2), hours_ago(20), occupations=HEALTH, conditions=(MEASLES_HISTORY,)),
        (),
    ),
    Case("man born 1970, not a professional: nothing", exposed(born(1970, 2, 2), hours_ago(20)), ()),
    Case(
        "immunocompromised adult: immunoglobulins and contraindication",
        exposed(born(1990, 2, 2), hours_ago(20), conditions=(IMMUNODEFICIENCY,)),
        (IG, "mmr.contraindicated.immunodeficiency"),
        frozenset({"mmr.explain.ig.immunodeficiency", "mmr.explain.ig.then-vaccinate"}),
    ),
    Case(
        "pregnant woman, no dose: immunoglobulins and vaccination after delivery",
        exposed(born(1995, 2, 2), hours_ago(20), Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1), date(2025, 11, 20))),
        (IG, "mmr.contraindicated.pregnancy"),
        frozenset({"mmr.explain.ig.pregnancy"}),
    ),
    Case(
        "pregnant woman with two doses: nothing",
        exposed(
            born(1995, 2, 2),
            hours_ago(20),
            Sex.FEMALE,
            doses=(mmr(date(1996, 3, 1)), mmr(date(2000, 3, 1))),
            pregnancy=pregnant(date(2025, 5, 1)),
        ),
        (),
    ),
    Case(
        "anaphylaxis to neomycin, exposed: contraindication card, critical",
        exposed(born(1990, 2, 2), hours_ago(20), allergies=(allergy(Concept.NEOMYCIN_ALLERGEN, Concept.ANAPHYLAXIS),)),
        ("mmr.contraindicated.anaphylaxis",),
        frozenset({"mmr.explain.pep.contraindicated"}),
    ),
    Case(
        "contact 8 days ago: no longer post-exposure, routine catch-up",
        exposed(born(1990, 2, 2), hours_ago(8 * 24)),
        ("mmr.catch-up",),
    ),
    Case(
        "infant 10 months, contact 7 days ago: immunoglobulin window closed, nothing yet",
        exposed(TEN_MONTHS, hours_ago(7 * 24 + 1)),
        (),
    ),
    Case(
        "unconfirmed index case: immunoglobulins, to be discussed",
        exposed(born(2025, 1, 1), measles_contact(NOW - timedelta(hours=10), confirmed=None)),
        (IG,),
        frozenset({"mmr.explain.ig.case-unconfirmed"}),
    ),
    Case(
        "partial birth date 2024 (5 to 17 months): age uncertain, critical",
        exposed(born(2024), hours_ago(10)),
        ("mmr.post-exposure.age-uncertain",),
        frozenset({"mmr.summary.age-uncertain", "mmr.decision.partial-birth-date"}),
        now=at(2025, 6, 12, 10),
    ),
    Case(
        "no birth date, immunocompromised: immunoglobulins and a card asking for the birth date",
        exposed(None, hours_ago(10), conditions=(IMMUNODEFICIENCY,)),
        (IG, "mmr.missing-birth-date"),
    ),
    Case(
        "no birth date, no contraindication: the birth date is needed, urgently",
        exposed(None, hours_ago(10), doses=(mmr(date(2001, 1, 1)),)),
        ("mmr.missing-birth-date",),
        frozenset({"mmr.explain.missing-birth-date.exposure", "mmr.fact.dose-recorded"}),
    ),
    Case(
        "adult born 1990, contact date only three days ago: vaccinate now, 72 h uncertain",
        exposed(born(1990, 2, 2), on_day(date(2025, 6, 9))),
        (PEP,),
        frozenset({"mmr.explain.pep.uncertain", "mmr.decision.exposure-time-unknown"}),
        (1, 2),
    ),
    Case(
        "adult born 1990, varicella 10 days ago: post-exposure dose from 28 days after it",
        exposed(born(1990, 2, 2), hours_ago(20), doses=(varicella(date(2025, 6, 2)),)),
        (PEP,),
        frozenset({"mmr.summary.pep.complete-from"}),
        (1, 2),
    ),
    Case(
        "index case known not confirmed: said in the facts",
        exposed(born(1990, 2, 2), measles_contact(NOW - timedelta(hours=10), confirmed=False)),
        (PEP,),
        frozenset({"mmr.fact.exposure-unconfirmed"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_post_exposure(case: Case) -> None:
    advices = case.scenario.run()
    assert tuple(rules_of(advices)) == case.rules
    if not advices:
        return
    first = advices[0]
    assert case.keys <= keys(first)
    if case.doses:
        assert tuple(d.dose_number for d in forecast_of(first).forecast.doses) == case.doses
    for advice in advices:
        if advice.rule == IG:
            assert advice.indicator == Indicator.CRITICAL
            assert not any(isinstance(a, ProposeMedication) for a in actions(advice))  # never a vaccine
        if advice.rule == PEP:
            assert advice.indicator == Indicator.WARNING
            first_dose = forecast_of(advice).forecast.doses[0]
            assert first_dose.due == max(case.now.date(), first_dose.earliest or case.now.date())


INFO = RuleSettings(info_card_when_up_to_date=True)
SCENARIOS = [
    Scenario(exposed(born(1970, 2, 2), hours_ago(20), conditions=(MEASLES_HISTORY,)), NOW, settings=INFO),
]


def test_exposed_immune_person_gets_an_info_card_when_configured() -> None:
    advice = SCENARIOS[0].run()[0]
    assert advice.rule == "mmr.up-to-date" and advice.summary.key == "mmr.summary.measles-immune"


def test_72_hour_deadline_and_6_day_immunoglobulin_deadline() -> None:
    infant = Scenario(exposed(TEN_MONTHS, hours_ago(30)), NOW).run()[0]
    assert infant.summary.params["deadline"] == NOW - timedelta(hours=30) + timedelta(hours=72)
    late = Scenario(exposed(EIGHT_MONTHS, hours_ago(73)), NOW).run()[0]
    assert late.summary.params["deadline"] == (NOW - timedelta(hours=73) + timedelta(days=6)).date()


def test_contraindicated_forecast_after_delivery_is_dated_from_the_expected_delivery() -> None:
    record = exposed(
        born(1995, 2, 2), hours_ago(20), Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1), date(2025, 11, 20))
    )
    card = Scenario(record, NOW).run()[1]
    doses = forecast_of(card).forecast.doses
    assert {d.status for d in doses} == {ForecastStatus.CONTRAINDICATED}
    assert doses[0].earliest == date(2025, 11, 20) and doses[1].earliest == date(2025, 12, 18)


@pytest.mark.parametrize(("hours", "beyond_on_card"), [(72, False), (73, True)], ids=["72 h", "73 h"])
def test_past_72_hours_the_card_says_the_dose_may_no_longer_prevent_this_infection(
    hours: int, beyond_on_card: bool
) -> None:
    scenario = Scenario(exposed(born(1990, 5, 4), hours_ago(hours)), NOW)
    (advice,) = scenario.run()
    assert advice.rule == PEP
    assert ("mmr.explain.pep.beyond" in card_keys(advice, NOW)) is beyond_on_card


def test_an_infants_counted_dose_after_the_post_exposure_dose_is_dated_by_the_minimum_age() -> None:
    (advice,) = Scenario(exposed(EIGHT_MONTHS, hours_ago(20)), NOW).run()
    timings = [m.params["timing"] for m in advice.explanation if m.key == "mmr.plan.dose"]
    found = [t.key if isinstance(t, Message) else None for t in timings]
    assert found == ["mmr.timing.post-exposure", "mmr.timing.at-min-age", "mmr.timing.on"]


def test_an_infants_series_description_counts_the_post_exposure_dose_apart() -> None:
    (advice,) = Scenario(exposed(EIGHT_MONTHS, hours_ago(20)), NOW).run()
    description = forecast_of(advice).forecast.description
    assert description.key == "mmr.forecast.description.uncounted"
    assert (description.params["counted"], description.params["target"], description.params["uncounted"]) == (0, 2, 1)


def test_a_professionals_dose_after_a_contact_lengthens_the_series_the_description_counts() -> None:
    record = patient(born(1970, 2, 2), Sex.MALE, (mmr(date(2010, 1, 1)),), occupations=HEALTH, exposures=(hours_ago(20),))
    (advice,) = Scenario(record, NOW).run()
    assert advice.rule == PEP
    description = forecast_of(advice).forecast.description
    assert (description.key, description.params["counted"], description.params["target"]) == (
        "mmr.forecast.description", 1, 2)
