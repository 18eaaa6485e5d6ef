"""The index case's facts as entered (a form or the API): read and checked, field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prevention_cds.rules.advice import Message
from prevention_cds.workspace.contacts import parse_date, parse_moment
from prevention_cds.workspace.errors import Invalid

DISEASES = ("iim", "measles")
SEROGROUPS = ("A", "B", "C", "W", "Y", "unknown")
TEXT_FIELDS = {"title": 200, "case_initials": 10, "case_postcode": 10, "case_condition_ref": 200,
               "team_name": 200, "team_phone": 40}
DATE_FIELDS = ("diagnosis_date", "rash_onset", "case_birth_date")
CASE_FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, "disease", "serogroup", "confirmed", "first_antibiotic_at", "case_sex",
               "case_hospitalised")
SEXES = ("", "female", "male", "other", "unknown")  # "": not said
SEX_WORDS = {"f": "female", "m": "male", "femme": "female", "homme": "male", "autre": "other", "inconnu": "unknown"}
TRUE_WORDS, FALSE_WORDS = ("true", "1", "on", "yes", "oui"), ("false", "0", "off", "no", "non", "")


def _text(value: Any) -> str | None:
    """A text field's value, stripped; None when it is not text (a JSON number has already lost a phone
    number's leading zero)."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):  # a form sends text, JSON true or false; 0 or null is neither
        return None
    text = value.strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


def read_case(fields: dict[str, Any], now: datetime, *, creating: bool) -> dict[str, Any]:
    """The case facts given in ``fields`` (others are left as they are), or :class:`Invalid` naming each
    field that cannot be read."""
    errors: list[Message] = []
    out: dict[str, Any] = {}
    unknown = sorted(set(fields) - set(CASE_FIELDS) - {"csrf_token"})
    if unknown:
        errors.append(Message.of("ws.case.error.unknown-fields", fields=", ".join(unknown)))
    for name, limit in TEXT_FIELDS.items():
        if name in fields:
            text = _text(fields[name])
            if text is None or len(text) > limit:  # said, never cut or dropped
                errors.append(Message.of("ws.case.error.text", field=name, limit=limit))
            out[name] = text or ""
    if (creating or "title" in out) and not out.get("title"):
        errors.append(Message.of("ws.case.error.title"))
    if "disease" in fields or creating:
        if fields.get("disease") not in DISEASES:
            errors.append(Message.of("ws.case.error.disease"))
        out["disease"] = fields.get("disease")
    if "serogroup" in fields:
        given = fields["serogroup"]
        serogroup = (given.strip().upper() or "UNKNOWN") if isinstance(given, str) else ""
        serogroup = "unknown" if serogroup == "UNKNOWN" else serogroup
        if serogroup not in SEROGROUPS:
            errors.append(Message.of("ws.case.error.serogroup", value=fields["serogroup"]))
        out["serogroup"] = serogroup
    for name in ("confirmed", "case_hospitalised"):
        if name in fields:
            value = _bool(fields[name])
            if value is None:
                errors.append(Message.of("ws.case.error.boolean", field=name))
            out[name] = value
    if "case_sex" in fields:
        given = _text(fields["case_sex"])
        sex = SEX_WORDS.get(given.lower(), given.lower()) if given is not None else ""
        if given is None or sex not in SEXES:
            errors.append(Message.of("ws.case.error.sex", value=fields["case_sex"]))
        out["case_sex"] = sex
    for name in DATE_FIELDS:
        if name in fields:
            given = _text(fields[name])
            text = given or ""
            day = parse_date(text) if text else None
            if given is None or (text and (day is None or day > now.date())):
                errors.append(Message.of("ws.case.error.date", field=name, value=str(fields[name])))
            out[name] = day.isoformat() if day else None
    if "first_antibiotic_at" in fields:
        given = _text(fields["first_antibiotic_at"])
        text = given or ""
        moment = parse_moment(text) if text else None
        if given is None or (text and (moment is None or not moment[1] or moment[0] > now)):
            errors.append(Message.of("ws.case.error.antibiotic", value=text))
        out["first_antibiotic_at"] = moment[0].isoformat(timespec="minutes") if moment and moment[1] else None
    if errors:
        raise Invalid(Message.of("ws.case.error"), errors)
    if "case_birth_date" in out:
        out["case_birth_date"] = out["case_birth_date"] or ""  # a text column: empty when not known
    return out
