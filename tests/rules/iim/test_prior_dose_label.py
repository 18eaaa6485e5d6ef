"""A previous meningococcal dose recorded without a name is worded by its kind in the card's language (a code's
display is English), never "sans libellé"."""

from __future__ import annotations

from datetime import date

import pytest

from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import IimSerogroup, VaccineDose

from .builders import born_years_ago, evaluate, exposure, record


@pytest.mark.parametrize(("language", "worded"), [
    ("fr", "la dose de vaccin méningococcique ACWY du 01/12/2025 est prise en compte"),
    ("en", "meningococcal ACWY vaccine"),
])
def test_an_unnamed_prior_meningococcal_dose_is_worded_by_its_kind(language: str, worded: str) -> None:
    dose = VaccineDose(date(2025, 12, 1), frozenset({Concept.MENACWY_VACCINE, Concept.MENC_VACCINE}), "", "Immunization/i")
    exposed = exposure("household", serogroup=IimSerogroup.C)
    advice = evaluate(record(born_years_ago(30), exposures=(exposed,), doses=(dose,)))
    lines = [render(m, language) for a in advice for m in (*a.explanation, *a.facts, *a.decisions)]
    assert any(worded in line for line in lines), lines
    assert not any("sans libellé" in line or "unnamed" in line.lower() for line in lines)
