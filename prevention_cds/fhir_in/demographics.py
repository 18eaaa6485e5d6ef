"""What a population table says of a patient beyond the rules' facts: postal code, département, death.

The département is read from the postal code of the patient's French address (home first): its first two
digits, 2A / 2B for Corsica and three digits overseas. A postal code names a distribution office, not a
commune, so a few communes near a border get the neighbouring département (docs/scan.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from prevention_cds.fhir_in.patient import deceased

FRENCH_COUNTRIES = frozenset({"fr", "fra", "france"})
POSTAL_CODE = re.compile(r"\d{5}")
ADDRESS_USE_ORDER = ("home", None, "temp", "work", "billing", "old")
# Corsica's postal codes: 200xx-201xx Corse-du-Sud, 202xx-206xx Haute-Corse
CORSICA_SOUTH_BELOW = 20200


@dataclass(frozen=True)
class Demographics:
    postal_code: str | None
    departement: str | None
    deceased: bool
    deceased_unreadable: bool  # a deceasedDateTime that is not a date: the patient is not excluded on it


def demographics_of(patient: dict[str, Any], today: date) -> Demographics:
    postal_code = _postal_code(patient.get("address"))
    died, unreadable = deceased(patient, today)
    return Demographics(postal_code, departement_of(postal_code), died, unreadable)


def departement_of(postal_code: str | None) -> str | None:
    if postal_code is None or not POSTAL_CODE.fullmatch(postal_code) or postal_code.startswith(("00", "98", "99")):
        return None
    if postal_code.startswith("97"):
        return postal_code[:3]
    if postal_code.startswith("20"):
        return "2A" if int(postal_code) < CORSICA_SOUTH_BELOW else "2B"
    return postal_code[:2]


def _postal_code(addresses: Any) -> str | None:
    """The postal code of the first French address by use (an address without country is taken as French)."""
    if not isinstance(addresses, list):
        return None
    candidates = [a for a in addresses if isinstance(a, dict) and isinstance(a.get("postalCode"), str)]
    candidates = [a for a in candidates if not isinstance(a.get("country"), str)
                  or a["country"].strip().lower() in FRENCH_COUNTRIES]
    candidates.sort(key=lambda a: ADDRESS_USE_ORDER.index(a.get("use")) if a.get("use") in ADDRESS_USE_ORDER
                    else len(ADDRESS_USE_ORDER))
    for address in candidates:
        code = address["postalCode"].replace(" ", "")
        if POSTAL_CODE.fullmatch(code):
            return str(code)
    return None
