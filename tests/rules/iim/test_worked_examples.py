"""clinical.md §E, meningococcal examples 1 and 2."""

from datetime import timedelta
from decimal import Decimal

from prevention_cds.rules.advice import DoseSchedule, ForecastStatus, Indicator, Medicine, ProposeImmunization, Route
from prevention_cds.rules.facts import IimSerogroup, Sex

from .builders import (
    NOW,
    TODAY,
    Renderer,
    born_years_ago,
    evaluate,
    exposure,
    keys,
    only,
    recommended,
    record,
    rules_of,
)

RIFAMPICIN_SCHEDULE = DoseSchedule(frequency=2, period=Decimal(1), period_unit="d", duration_days=2)


def test_example_1_household_adult_serogroup_b() -> None:
    """Man, 35 y, 78 kg, lives with his wife (IIM B, hospitalised yesterday), last contact yesterday."""
    rec = record(born_years_ago(35), kg=78, exposures=(exposure("household", days_ago=1, serogroup=IimSerogroup.B),))
    advice = evaluate(rec)
    assert rules_of(advice) == ["iim.prophylaxis.rifampicin"]  # no vaccination card (serogroup B)
    card = advice[0]
    assert card.indicator is Indicator.WARNING
    rifampicin = recommended(card)
    assert rifampicin.medicine is Medicine.RIFAMPICIN_CAPSULE
    assert rifampicin.dose_mg == Decimal(600)
    assert rifampicin.route is Route.ORAL
    assert rifampicin.schedule == RIFAMPICIN_SCHEDULE
    assert rifampicin.weight_kg_used is None  # a fixed adult dose
    assert Renderer("fr").render(rifampicin.instruction) == (
        "Rifampicine gélule 300 mg : 600 mg (2 gélules) par voie orale toutes les 12 heures pendant 2 jours (4 prises)"
    )
    explanation = keys(card.explanation)
    assert "iim.precaution.rifampicin.colour" in explanation  # orange-red fluids, soft lenses
    assert "iim.vaccination.serogroup-not-covered" in explanation  # why no vaccine
    assert "iim.precaution.rifampicin.contraception" not in explanation  # a man without hormonal contraception


def test_example_2_classroom_neighbour_child_serogroup_c() -> None:
    """Boy, 8 y, 30 kg, classroom neighbour of a serogroup C case, last contact 3 days ago."""
    rec = record(
        born_years_ago(8),
        kg=30,
        weighed_days_ago=3,
        sex=Sex.MALE,
        exposures=(exposure("school-classroom-neighbour", days_ago=3, serogroup=IimSerogroup.C),),
    )
    advice = evaluate(rec)
    assert rules_of(advice) == ["iim.prophylaxis.rifampicin", "iim.vaccination"]
    rifampicin = recommended(advice[0])
    # 10 mg/kg x 30 kg = 300 mg: one 300 mg capsule per dose at 8 years, rather than a 120 mL bottle (issue 14 §5)
    assert (rifampicin.medicine, rifampicin.dose_mg, rifampicin.volume_ml) == (
        Medicine.RIFAMPICIN_CAPSULE,
        Decimal(300),
        None,
    )
    assert (rifampicin.weight_kg_used, rifampicin.mg_per_kg) == (Decimal(30), Decimal(10))
    assert rifampicin.schedule == RIFAMPICIN_SCHEDULE
    assert Renderer("fr").render(rifampicin.instruction) == (
        "Rifampicine gélule 300 mg : 300 mg (1 gélule) par voie orale toutes les 12 heures "
        "pendant 2 jours (4 prises), soit 10 mg/kg pour 30 kg (pesé le 18/11/2026) arrondi à la gélule"
    )
    assert rifampicin.dispense is not None and rifampicin.dispense.quantity == 4
    vaccination = only(advice, "iim.vaccination")
    actions = vaccination.suggestions[0].actions
    forecast = next(a.forecast for a in actions if isinstance(a, ProposeImmunization))
    assert forecast.vaccine is Medicine.MENACWY_CONJUGATE_VACCINE
    assert forecast.doses[0].status is ForecastStatus.DUE
    assert forecast.doses[0].due == TODAY
    assert vaccination.summary.params["last_day"] == (NOW - timedelta(days=3)).date() + timedelta(days=10)
