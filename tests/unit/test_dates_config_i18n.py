"""Small pure pieces: partial dates, calendar arithmetic, configuration, message rendering."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from prevention_cds.fhir_out.i18n import catalog, format_template, format_value, negotiate_language
from prevention_cds.rules.calendar_math import add_months, completed_months, completed_years
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.settings import ConfigError, Settings
from prevention_cds.workspace.i18n import catalog as workspace_catalog


def test_partial_date_bounds() -> None:
    assert PartialDate.parse("1980").earliest == date(1980, 1, 1)
    assert PartialDate.parse("1980").latest == date(1980, 12, 31)
    assert PartialDate.parse("2024-02").latest == date(2024, 2, 29)
    with pytest.raises(ValueError):
        PartialDate.parse("2024-02-30")
    with pytest.raises(ValueError):
        PartialDate.parse("24-02")


def test_calendar_math_edges() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    born = date(2024, 7, 10)
    assert completed_months(born, date(2025, 7, 9)) == 11 and completed_months(born, date(2025, 7, 10)) == 12
    assert completed_years(date(2008, 11, 21), date(2026, 11, 20)) == 17
    assert completed_years(date(2008, 11, 21), date(2026, 11, 21)) == 18


def test_settings_from_environment() -> None:
    env = {"PREVENTION_CDS_PORT": "9000", "PREVENTION_CDS_FHIR_ALLOWED_ORIGINS": "https://fhir.chu.fr, https://b.fr/",
           "PREVENTION_CDS_RIFAMPICIN_SHORTAGE_MODE": "yes", "PREVENTION_CDS_AUTH_MODE": "sandbox"}
    settings = Settings.from_env(env)
    assert settings.port == 9000 and settings.fhir_allowed_origins == ("https://fhir.chu.fr", "https://b.fr")
    assert settings.rule_settings.rifampicin_shortage_mode and settings.auth_mode == "sandbox"


@pytest.mark.parametrize("env", [{"PREVENTION_CDS_PORT": "http"}, {"PREVENTION_CDS_AUTH_MODE": "maybe"},
                                 {"PREVENTION_CDS_FHIR_ALLOWED_ORIGINS": "fhir.chu.fr"},
                                 {"PREVENTION_CDS_DEFAULT_LANGUAGE": "de"}, {"PREVENTION_CDS_DEV": "perhaps"}])
def test_bad_settings_are_refused_with_their_name(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="PREVENTION_CDS_"):
        Settings.from_env(env)


def test_language_negotiation() -> None:
    assert negotiate_language(None) == "fr"
    assert negotiate_language("en-US,en;q=0.9,fr;q=0.8") == "en"
    assert negotiate_language("de-DE, fr;q=0.5, en;q=0.4") == "fr"
    assert negotiate_language("de-DE", default="en") == "en"
    assert negotiate_language("fr;q=0, en;q=0.1") == "en"


def test_values_render_per_language() -> None:
    assert format_value(date(2025, 6, 12), "fr") == "12/06/2025" and format_value(date(2025, 6, 12), "en") == "2025-06-12"
    assert format_value(Decimal("7.50"), "fr") == "7,5" and format_value(Decimal("600"), "en") == "600"
    assert format_value(datetime(2025, 6, 12, 14, 30), "fr") == "12/06/2025 14:30"


@pytest.mark.parametrize("template", ["{value!r}", "{dose.mg}", "{when:{spec}}", "{0}"])
def test_a_template_field_that_is_not_a_plain_name_is_refused(template: str) -> None:
    with pytest.raises(ValueError):
        format_template(template, {"value": 1, "dose": 1, "when": 1, "spec": "", "0": 1}, "fr")


def test_every_catalog_template_has_plain_fields_only() -> None:
    any_value: defaultdict[str, int] = defaultdict(lambda: 1)
    for language in ("fr", "en"):
        for template in {**catalog(language), **workspace_catalog(language)}.values():
            format_template(template, any_value, language)  # raises ValueError on a field that is not plain
