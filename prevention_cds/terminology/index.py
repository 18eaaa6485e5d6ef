"""Code matching against the project's ValueSets.

``CodeIndex`` is built once from the ``ValueSet-*.json`` files shipped in this package and answers, for a
(system, code) pair found in a FHIR resource, which ValueSets contain it. Only the two compose forms the project
uses are understood (anything else is refused at load time, so a ValueSet cannot silently match nothing):

- ``compose.include[] = {system, concept: [{code, display}]}``: explicit codes;
- ``compose.include[] = {system, filter: [{property: "concept", op: "is-a", value: <parent>}]}`` for the
  hierarchical systems whose child codes start with the parent code (ICD-10 / CIM-10, ATC): the parent and every
  code that starts with it once dots are removed (``D84``, ``D84.9``, ``D849``; ``G03A``, ``G03AA07``).

A medicinal product code (an RxNorm clinical or branded drug, a French CIS or CIP13 code, an ATC combination: the
catalogue of ``medicines.py``) belongs to the ValueSets of its ingredients' codes as well: a list written as
ingredients and ATC classes matches the products that contain them.

Systems known under several URIs are folded together (ATC, ICD-10 / CIM-10 / ICD-10-CM, SNOMED CT, CVX, LOINC,
CIS), trailing slashes are ignored, ICD-10 and ATC codes are compared without dots and case-insensitively, and CVX codes
without leading zeros (``"3"`` = ``"03"``). Lookups are a few dictionary accesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Final

from prevention_cds import terminology
from prevention_cds.terminology.medicines import MedicineCatalogue, shipped_document

SNOMED: Final = "http://snomed.info/sct"
LOINC: Final = "http://loinc.org"
ICD10: Final = "http://hl7.org/fhir/sid/icd-10"
ATC: Final = "http://www.whocc.no/atc"
CVX: Final = "http://hl7.org/fhir/sid/cvx"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
BDPM: Final = "https://smt.esante.gouv.fr/terminologie-bdpm"  # CIS codes
CIP_UCD: Final = "https://smt.esante.gouv.fr/terminologie-cip_ucd"  # CIP13 (presentations) and UCD codes
# Systems the service writes (emitted resources and cards), besides the product codes
UCUM: Final = "http://unitsofmeasure.org"
FORECAST_STATUS_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
FORECAST_STATUS_VALUESET: Final = "http://hl7.org/fhir/ValueSet/immunization-recommendation-status"
OVERRIDE_REASON_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"

# Every URI a system is known by -> the one the index uses.
SYSTEM_ALIASES: Final[Mapping[str, str]] = {
    ATC: ATC,
    "https://smt.esante.gouv.fr/terminologie-atc": ATC,
    "urn:oid:2.16.840.1.113883.6.73": ATC,
    ICD10: ICD10,
    "https://smt.esante.gouv.fr/terminologie-cim-10": ICD10,
    "http://hl7.org/fhir/sid/icd-10-cm": ICD10,
    SNOMED: SNOMED,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    CVX: CVX,
    "urn:oid:2.16.840.1.113883.12.292": CVX,
    LOINC: LOINC,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    BDPM: BDPM,
    "urn:oid:1.2.250.1.213.2.3.1": BDPM,  # the CIS OID (ANS document core, CodeSystem FrCIS)
}

# How a card names a code's system when the code has no display (a clinician can look the code up by it).
SYSTEM_NAMES: Final[Mapping[str, str]] = {
    ICD10: "CIM-10 (ICD-10)", SNOMED: "SNOMED CT", ATC: "ATC", CVX: "CVX", LOINC: "LOINC", RXNORM: "RxNorm",
    BDPM: "CIS", CIP_UCD: "CIP/UCD",
}

# Systems where ``is-a`` means "starts with" and where dots and case do not matter.
HIERARCHICAL_SYSTEMS: Final = frozenset({ICD10, ATC})

_MEMO_LIMIT: Final = 65_536


def canonical_system(system: str | None) -> str | None:
    """The URI the index uses for ``system`` (aliases folded, trailing slashes and blanks removed)."""
    if system is None:
        return None
    cleaned = system.strip().rstrip("/")
    if not cleaned:
        return None
    return SYSTEM_ALIASES.get(cleaned, cleaned)


def normalise_code(system: str, code: str) -> str:
    """``code`` as the index compares it, for an already canonical ``system``."""
    cleaned = code.strip()
    if system in HIERARCHICAL_SYSTEMS:
        return cleaned.replace(".", "").replace(" ", "").upper()
    if system == CVX:
        return cleaned.lstrip("0") or ("0" if cleaned else "")
    return cleaned


class ValueSetFormatError(ValueError):
    """A shipped ValueSet uses a compose form the code matcher does not understand."""


def code_key(system: str, code: str) -> tuple[str, str] | None:
    """(system, code) as the index compares them; None when either is blank."""
    canonical = canonical_system(system)
    normalised = normalise_code(canonical, code) if canonical is not None else ""
    return (canonical, normalised) if canonical is not None and normalised else None


class CodeIndex:
    """Which of the project's ValueSets contain a given (system, code): directly, or through the ingredients of the
    medicinal product the code names (``medicines``)."""

    def __init__(self, valuesets: Iterable[Mapping[str, Any]], medicines: Mapping[str, Any] | None = None) -> None:
        explicit: dict[tuple[str, str], set[str]] = {}
        labels: dict[tuple[str, str], str] = {}
        prefixes: dict[tuple[str, str], set[str]] = {}
        systems: dict[str, set[str]] = {}
        ids: list[str] = []
        for valueset in valuesets:
            vs_id = valueset.get("id")
            if not isinstance(vs_id, str) or not vs_id:
                raise ValueSetFormatError("a ValueSet has no id")
            if vs_id in ids:
                raise ValueSetFormatError(f"ValueSet {vs_id} is defined twice")
            ids.append(vs_id)
            systems[vs_id] = set()
            compose = valueset.get("compose")
            includes = compose.get("include") if isinstance(compose, Mapping) else None
            if not isinstance(includes, list) or not includes:
                raise ValueSetFormatError(f"ValueSet {vs_id}: compose.include is missing or empty")
            if isinstance(compose, Mapping) and compose.get("exclude"):
                raise ValueSetFormatError(f"ValueSet {vs_id}: compose.exclude is not supported")
            for include in includes:
                self._read_include(vs_id, include, explicit, prefixes, systems[vs_id], labels)
        self._explicit: dict[tuple[str, str], frozenset[str]] = {
            key: frozenset(value) for key, value in explicit.items()
        }
        self._prefixes: dict[tuple[str, str], frozenset[str]] = {
            key: frozenset(value) for key, value in prefixes.items()
        }
        self._prefix_lengths: dict[str, tuple[int, ...]] = {}
        for system, prefix in self._prefixes:
            lengths = set(self._prefix_lengths.get(system, ())) | {len(prefix)}
            self._prefix_lengths[system] = tuple(sorted(lengths))
        self._systems: dict[str, frozenset[str]] = {key: frozenset(value) for key, value in systems.items()}
        self._labels = labels
        self._ids: tuple[str, ...] = tuple(ids)
        self._memo: dict[tuple[str | None, str | None], frozenset[str]] = {}
        self.medicines: MedicineCatalogue | None = (
            MedicineCatalogue(medicines, code_key) if medicines is not None else None
        )

    @staticmethod
    def _read_include(
        vs_id: str,
        include: Any,
        explicit: dict[tuple[str, str], set[str]],
        prefixes: dict[tuple[str, str], set[str]],
        systems: set[str],
        labels: dict[tuple[str, str], str],
    ) -> None:
        if not isinstance(include, Mapping):
            raise ValueSetFormatError(f"ValueSet {vs_id}: an include is not an object")
        unsupported = set(include) - {"system", "concept", "filter", "version"}
        if unsupported:
            raise ValueSetFormatError(f"ValueSet {vs_id}: unsupported include keys {sorted(unsupported)}")
        system = canonical_system(include.get("system") if isinstance(include.get("system"), str) else None)
        if system is None:
            raise ValueSetFormatError(f"ValueSet {vs_id}: an include has no system")
        concepts = include.get("concept")
        filters = include.get("filter")
        if (concepts is None) == (filters is None):
            raise ValueSetFormatError(f"ValueSet {vs_id}: an include needs either concept or filter")
        systems.add(system)
        if concepts is not None:
            if not isinstance(concepts, list) or not concepts:
                raise ValueSetFormatError(f"ValueSet {vs_id}: empty concept list for {system}")
            for concept in concepts:
                code = concept.get("code") if isinstance(concept, Mapping) else None
                if not isinstance(code, str) or not code.strip():
                    raise ValueSetFormatError(f"ValueSet {vs_id}: a concept of {system} has no code")
                key = (system, normalise_code(system, code))
                explicit.setdefault(key, set()).add(vs_id)
                display = concept.get("display")
                if isinstance(display, str) and display.strip():
                    # the "(unverified)" marker of a display is for the reviewers, not for a card
                    labels.setdefault(key, display.replace(" (unverified)", "").strip())
            return
        if system not in HIERARCHICAL_SYSTEMS:
            raise ValueSetFormatError(f"ValueSet {vs_id}: is-a filters are only understood for ICD-10 and ATC")
        if not isinstance(filters, list) or len(filters) != 1:
            raise ValueSetFormatError(f"ValueSet {vs_id}: give one is-a filter per include")
        only = filters[0]
        if (
            not isinstance(only, Mapping)
            or only.get("property") != "concept"
            or only.get("op") != "is-a"
            or not isinstance(only.get("value"), str)
            or not only["value"].strip()
        ):
            raise ValueSetFormatError(f"ValueSet {vs_id}: only {{property: concept, op: is-a}} filters")
        prefixes.setdefault((system, normalise_code(system, only["value"])), set()).add(vs_id)

    @classmethod
    def load(cls) -> CodeIndex:
        """The index of every ValueSet shipped in ``prevention_cds/terminology/package/`` (built once, then cached)."""
        return _shipped_index()

    @property
    def valueset_ids(self) -> tuple[str, ...]:
        return self._ids

    def include_systems(self, valueset_id: str) -> frozenset[str]:
        """The (canonical) systems a ValueSet draws its codes from."""
        return self._systems.get(valueset_id, frozenset())

    def valuesets_for(self, system: str | None, code: str | None) -> frozenset[str]:
        """Ids of every ValueSet containing (system, code); empty when either is missing.

        A code without a system matches nothing: a bare ``"03"`` could be anything.
        """
        raw = self._memo.get((system, code))
        if raw is not None:
            return raw  # the same (system, code) as written: no normalisation again (hot path)
        result = self._lookup(system, code)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[(system, code)] = result
        return result

    def _lookup(self, system: str | None, code: str | None) -> frozenset[str]:
        key = code_key(system, code) if system is not None and code is not None else None
        if key is None:
            return frozenset()
        result = self._direct(key)
        product = self.medicines.product(*key) if self.medicines is not None else None
        for amount in product.ingredients if product is not None else ():
            for coding in amount.ingredient.codings:
                ingredient_key = code_key(*coding)
                if ingredient_key is not None:
                    result = result | self._direct(ingredient_key)
        return result

    def _direct(self, key: tuple[str, str]) -> frozenset[str]:
        canonical, normalised = key
        result = self._explicit.get(key, frozenset())
        for length in self._prefix_lengths.get(canonical, ()):
            if length > len(normalised):
                break
            matched = self._prefixes.get((canonical, normalised[:length]))
            if matched:
                result = result | matched
        return result

    def label_of(self, codes: Iterable[tuple[str | None, str | None]]) -> str:
        """The display a ValueSet gives the first of the (system, code) pairs it lists ("BRILIQUE 90 mg, comprimé
        pelliculé"), for a record that codes a medicine without naming it; "" when none is listed."""
        for system, code in codes:
            key = code_key(system, code) if system is not None and code is not None else None
            label = self._labels.get(key) if key is not None else None
            if label:
                return label
        return ""

    def contains(self, valueset_id: str, system: str | None, code: str | None) -> bool:
        return valueset_id in self.valuesets_for(system, code)

    def valuesets_for_codings(self, codings: Iterable[Mapping[str, Any]]) -> frozenset[str]:
        """Union over the ``Coding`` objects of a CodeableConcept (non-string fields are ignored)."""
        result: frozenset[str] = frozenset()
        for coding in codings:
            system = coding.get("system")
            code = coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                result = result | self.valuesets_for(system, code)
        return result


@cache
def _shipped_index() -> CodeIndex:
    return CodeIndex(
        (resource for resource in terminology.all_resources() if resource.get("resourceType") == "ValueSet"),
        shipped_document(),
    )
