"""The words a spreadsheet or a form may use (French first) and the codes they become (``data/vocabulary.json``).

Contact settings are recognised by their code, by their French designation in the contact-setting CodeSystem and
by the label the cards use for them; every other list names the ValueSet its codes belong to.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from prevention_cds import terminology
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message

Coding = dict[str, str]


@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces: how words are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@cache
def vocabulary() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("prevention_cds.workspace").joinpath("data", "vocabulary.json").read_text(encoding="utf-8")
    )
    return document


@dataclass(frozen=True)
class Term:
    """A word of a free list (an allergy, a treatment) and, when the rules know it, its code."""

    written: str
    label: str
    coding: Coding | None

    @property
    def recognised(self) -> bool:
        return self.coding is not None


@cache
def _entries(kind: str) -> dict[str, tuple[str, Coding]]:
    return {fold(word): (entry["label"], dict(entry["coding"]))
            for entry in vocabulary()[kind] for word in entry["words"]}


ATC_CODE = re.compile(r"^[A-V]\d\d([A-Z]([A-Z](\d\d)?)?)?$")
ATC_SYSTEM = "http://www.whocc.no/atc"


def allergy_term(written: str) -> Term:
    found = _entries("allergies").get(fold(written))
    return Term(written, found[0], found[1]) if found else Term(written, written, None)


_STRENGTH = re.compile(r"\s\d.*$")  # "warfarine 5 mg le soir": the name is the words before the first number


def treatment_term(written: str) -> Term:
    """A treatment by its name (a DCI or a brand, with or without its strength), else an ATC code, else
    unrecognised. The whole name is compared, never a word inside a longer one."""
    folded = fold(written)
    found = _entries("treatments").get(folded) or _entries("treatments").get(_STRENGTH.sub("", folded))
    if found:
        return Term(written, found[0], found[1])
    code = written.strip().upper().replace(" ", "")
    if ATC_CODE.match(code):  # an ATC code: the rules' ValueSets decide what it is
        return Term(written, code, {"system": ATC_SYSTEM, "code": code})
    return Term(written, written, None)


def split_list(text: str) -> list[str]:
    """A free list: items separated by commas, semicolons, slashes, '|' or '+'."""
    return [item.strip() for item in re.split(r"[,;/|+]", text) if item.strip()]


@cache
def _choices(kind: str) -> dict[str, str]:
    return {fold(word): value for value, words in vocabulary()[kind].items() for word in words}


def sex_of(text: str) -> str | None:
    return _choices("sexes").get(fold(text))


def pregnancy_of(text: str) -> str | None:
    return _choices("pregnancy").get(fold(text))


def answer_of(text: str) -> str | None:
    """yes, no or unknown for a yes/no column; None when the text is none of them."""
    return _choices("answers").get(fold(text))


@cache
def condition_columns() -> dict[str, str]:
    """The sheet's yes/no condition columns and the condition each states (``data/vocabulary.json``)."""
    return {entry["column"]: name for name, entry in vocabulary()["conditions"].items() if not name.startswith("$")}


def condition_coding(name: str) -> Coding:
    return dict(vocabulary()["conditions"][name]["coding"])


def condition_label(name: str) -> str:
    return str(vocabulary()["conditions"][name]["label"])


def may_be_immunosuppressive(term: Term) -> bool:
    """A treatment of a family that may cause an immunodeficiency (its ATC group in ``data/vocabulary.json``)."""
    coding = term.coding or {}
    prefixes = vocabulary()["immunosuppressive_treatments"]["atc_prefixes"]
    return coding.get("system") == ATC_SYSTEM and coding.get("code", "").startswith(tuple(prefixes))


def occupation_of(text: str) -> str | None:
    table = {fold(w): key for key, entry in vocabulary()["occupations"].items() for w in entry["words"]}
    return table.get(fold(text))


def occupation_coding(occupation: str) -> Coding | None:
    entry = vocabulary()["occupations"].get(occupation) or {}
    return dict(entry["coding"]) if "coding" in entry else None


def observation_coding(name: str) -> Coding:
    return dict(vocabulary()["observations"][name]["coding"])


# --- contact settings ---------------------------------------------------------------------------------------


@cache
def settings_codesystem() -> list[dict[str, Any]]:
    concepts: list[dict[str, Any]] = terminology.load("CodeSystem", "contact-setting")["concept"]
    return concepts


def setting_codes(disease: str | None = None) -> list[str]:
    """Every contact setting, or those a form offers for a disease."""
    hidden = set(vocabulary()["settings_not_offered"].get(disease, ())) if disease else set()
    return [c["code"] for c in settings_codesystem() if c["code"] not in hidden]


@cache
def setting_label(code: str, language: str = "fr") -> str:
    """The French designation of the CodeSystem (its display in English)."""
    for concept in settings_codesystem():
        if concept["code"] == code:
            if language == "fr":
                return str(next((d["value"] for d in concept.get("designation", ()) if d.get("language") == "fr"),
                                concept["display"]))
            return str(concept["display"])
    return code


@cache
def _setting_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for code in setting_codes():
        for text in (code, setting_label(code, "fr"), setting_label(code, "en"),
                     render(Message.of(f"iim.setting.{code}"), "fr"), render(Message.of(f"iim.setting.{code}"), "en")):
            words.setdefault(fold(text), code)
    return words


def setting_of(text: str) -> str | None:
    """A contact-setting code from its code or one of its labels."""
    return _setting_words().get(fold(text))
