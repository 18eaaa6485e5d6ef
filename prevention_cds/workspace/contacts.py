"""One contact as entered (a form or a spreadsheet row): read, checked, and said back when it cannot be read.

A value that cannot be read is an error of its row, named; nothing is guessed and nothing is silently dropped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from prevention_cds.adapters.workspace_db import PHONE_LENGTH
from prevention_cds.rules.advice import Message
from prevention_cds.settings import PRACTICE_TIMEZONE
from prevention_cds.workspace import vocabulary

# The spreadsheet's columns, in the template's order (French headers).
COLUMNS = ("nom", "prenom", "date_naissance", "sexe", "poids_kg", "date_pesee", "situation", "dernier_contact",
           "grossesse", "immunodepression", "immunodepression_nature", "porphyrie", "hepatopathie_severe",
           "antecedent_rougeole", "allergies", "traitements", "doses_ror", "profession", "telephone", "commentaire")
NATURE_COLUMN = "immunodepression_nature"  # the immunodeficiency in words: a nature given means "yes"
IMMUNODEFICIENCY = "immunodeficiency"  # the condition of data/vocabulary.json the nature belongs to
NATURE_KEY = "immunodeficiency-nature"
ANSWER_WORDS = {"yes": "oui", "no": "non", "unknown": "inconnu"}
OPTIONAL_COLUMNS = ("groupe",)  # a group of the investigation: its setting and last contact for the row
# The stored fields a column fills. A weight and its date, a moment and whether it has a time go together: a new
# weight never keeps the old weighing date. The weighing date alone fills nothing (it needs a weight).
COLUMN_FIELDS: dict[str, tuple[str, ...]] = {
    "nom": ("last_name",), "prenom": ("first_name",), "date_naissance": ("birth_date",), "sexe": ("sex",),
    "poids_kg": ("weight_kg", "weighed_on"), "date_pesee": (), "situation": ("setting",),
    "dernier_contact": ("last_contact", "has_time"), "grossesse": ("pregnancy",), "allergies": ("allergies",),
    "traitements": ("treatments",), "doses_ror": ("mmr_doses",), "profession": ("occupation",),
    "telephone": ("phone",), "commentaire": ("comment",), "groupe": ("group_id",),
}
MAX_NAME_LENGTH = 100
MAX_COMMENT_LENGTH = 20_000  # a long note is stored whole; beyond, not a comment (a pasted file): refused
MAX_WEIGHT_KG = Decimal(500)  # beyond, not a weight at all (the rules judge plausibility by age)
MAX_MMR_DOSES = 5


@dataclass(frozen=True)
class GroupFacts:
    id: int
    name: str
    setting: str
    last_contact: datetime
    has_time: bool


@dataclass(frozen=True)
class ContactInput:
    last_name: str
    first_name: str
    birth_date: str | None  # AAAA-MM-JJ, or AAAA when only the year is known
    sex: str
    weight_kg: Decimal | None
    weighed_on: date | None
    setting: str | None  # None: the group's
    last_contact: datetime | None  # None: the group's
    has_time: bool
    pregnancy: str
    allergies: tuple[str, ...]
    treatments: tuple[str, ...]
    mmr_doses: dict[str, Any]  # {} unknown, {"count": n}, {"dates": [...]}
    occupation: str
    phone: str
    comment: str
    group_id: int | None = None
    blank: frozenset[str] = frozenset()  # the stored fields whose cells were empty: an update keeps their values
    # what the team knows of the contact's conditions: {"immunodeficiency": "yes"|"no", ...,
    # "immunodeficiency-nature": words}; a condition not stated is unknown (an update keeps what was stored)
    conditions: dict[str, str] = field(default_factory=dict)

    @property
    def identity_key(self) -> str:
        return "|".join((vocabulary.fold(self.last_name), vocabulary.fold(self.first_name), self.birth_date or ""))


@dataclass
class RowResult:
    line: int
    contact: ContactInput | None = None
    errors: list[Message] = field(default_factory=list)


def columns_of(stored_fields: list[str]) -> list[str]:
    """The spreadsheet columns that fill these stored fields (what a report names), each once."""
    return list(dict.fromkeys(column for name in stored_fields for column, fields in COLUMN_FIELDS.items()
                              if name in fields))


def as_row(contact: Any) -> dict[str, str]:
    """A stored contact as the spreadsheet row that would enter it again (the edit form's values)."""
    doses = json.loads(contact.mmr_doses)
    moment = contact.last_contact or ""
    row = {
        "nom": contact.last_name, "prenom": contact.first_name, "date_naissance": contact.birth_date or "",
        "sexe": {"female": "F", "male": "M", "other": "autre"}.get(contact.sex, "inconnu"),
        "poids_kg": contact.weight_kg or "", "date_pesee": contact.weighed_on or "",
        "situation": contact.setting or "",
        "dernier_contact": (moment[:16].replace("T", " ") if contact.has_time else moment[:10]),
        "grossesse": {"yes": "oui", "no": "non"}.get(contact.pregnancy, "inconnu"),
        "allergies": ", ".join(json.loads(contact.allergies)), "traitements": ", ".join(json.loads(contact.treatments)),
        "doses_ror": str(doses["count"]) if "count" in doses else "|".join(doses.get("dates", ())),
        "profession": {"healthcare": "professionnel de santé", "early-childhood": "petite enfance"}.get(
            contact.occupation, "autre"),
        "telephone": contact.phone, "commentaire": contact.comment,
    }
    conditions = json.loads(contact.conditions or "{}")
    for column, name in vocabulary.condition_columns().items():
        row[column] = ANSWER_WORDS[conditions.get(name, "unknown")]
    row[NATURE_COLUMN] = conditions.get(NATURE_KEY, "")
    return row


def parse_date(text: str) -> date | None:
    """AAAA-MM-JJ or JJ/MM/AAAA (also JJ-MM-AAAA, JJ.MM.AAAA); None when it is neither."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


_MOMENT = re.compile(r"^(?P<date>[0-9./-]+)(?:[ T]+(?P<h>\d{1,2})\s*[:hH]\s*(?P<m>\d{2})?(?::\d{2})?)?$")


def parse_moment(text: str) -> tuple[datetime, bool] | None:
    """A date with an optional time (``2026-11-18 14:30``, ``18/11/2026 14h30``), in Paris time."""
    match = _MOMENT.match(text.strip())
    if not match:
        return None
    day = parse_date(match["date"])
    if day is None:
        return None
    if match["h"] is None:
        return datetime.combine(day, time(0, 0), tzinfo=PRACTICE_TIMEZONE), False
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute), tzinfo=PRACTICE_TIMEZONE), True


def _error(errors: list[Message], key: str, **params: Any) -> None:
    errors.append(Message.of(f"ws.import.error.{key}", **params))


def _text(row: dict[str, str], name: str) -> str:
    return unicodedata.normalize("NFC", (row.get(name) or "").strip())


def read_contact(row: dict[str, str], line: int, now: datetime, groups: dict[str, GroupFacts],
                 default_group: GroupFacts | None = None) -> RowResult:
    """One row (values by column name) → the contact, or the reasons it cannot be read."""
    errors: list[Message] = []
    today = now.date()
    last_name, first_name = _text(row, "nom"), _text(row, "prenom")
    if not last_name:
        _error(errors, "name-missing", column="nom")
    if not first_name:
        _error(errors, "name-missing", column="prenom")
    for column, value in (("nom", last_name), ("prenom", first_name)):
        if len(value) > MAX_NAME_LENGTH:
            _error(errors, "too-long", column=column, length=len(value), max=MAX_NAME_LENGTH)
    phone, comment = _text(row, "telephone"), _text(row, "commentaire")
    if len(phone) > PHONE_LENGTH:
        _error(errors, "too-long", column="telephone", length=len(phone), max=PHONE_LENGTH)
    if len(comment) > MAX_COMMENT_LENGTH:
        _error(errors, "too-long", column="commentaire", length=len(comment), max=MAX_COMMENT_LENGTH)

    birth_text, birth = _text(row, "date_naissance"), None
    if birth_text:
        if re.fullmatch(r"\d{4}", birth_text) and 1880 <= int(birth_text) <= today.year:
            birth = birth_text
        elif (born := parse_date(birth_text)) is None:
            _error(errors, "date", column="date_naissance", value=birth_text)
        elif born > today or born.year < 1880:
            _error(errors, "birth-implausible", value=birth_text)
        else:
            birth = born.isoformat()

    sex = vocabulary.sex_of(_text(row, "sexe"))
    if sex is None:
        _error(errors, "choice", column="sexe", value=_text(row, "sexe"), choices="F, M, autre, inconnu")

    weight, weighed_on = _weight(row, errors, today)

    group = default_group
    group_name = _text(row, "groupe")
    if group_name:
        group = groups.get(vocabulary.fold(group_name))
        if group is None:
            _error(errors, "group-unknown", value=group_name)
    setting_text, setting = _text(row, "situation"), None
    if setting_text:
        setting = vocabulary.setting_of(setting_text)
        if setting is None:
            _error(errors, "setting-unknown", value=setting_text)
    elif group is None:
        _error(errors, "setting-missing")
    contact_text = _text(row, "dernier_contact")
    moment: tuple[datetime, bool] | None = None
    if contact_text:
        moment = parse_moment(contact_text)
        if moment is None:
            _error(errors, "moment", column="dernier_contact", value=contact_text)
        elif moment[0].date() > today:
            _error(errors, "future", column="dernier_contact", value=contact_text)
    elif group is None:
        _error(errors, "last-contact-missing")

    pregnancy = vocabulary.pregnancy_of(_text(row, "grossesse"))
    if pregnancy is None:
        _error(errors, "choice", column="grossesse", value=_text(row, "grossesse"), choices="oui, non, inconnu")
    occupation = vocabulary.occupation_of(_text(row, "profession"))
    if occupation is None:
        _error(errors, "choice", column="profession", value=_text(row, "profession"),
               choices="professionnel de santé, petite enfance, autre")
    doses = _mmr_doses(_text(row, "doses_ror"), errors, today)
    conditions = _conditions(row, errors)

    if errors:
        return RowResult(line, None, errors)
    group_id = group.id if group is not None and (group_name or not (setting and moment)) else None
    assert sex is not None and pregnancy is not None and occupation is not None
    return RowResult(line, ContactInput(
        last_name=last_name,
        first_name=first_name,
        birth_date=birth,
        sex=sex,
        weight_kg=weight,
        weighed_on=weighed_on,
        setting=setting,
        last_contact=moment[0] if moment else None,
        has_time=moment[1] if moment else False,
        pregnancy=pregnancy,
        allergies=tuple(vocabulary.split_list(_text(row, "allergies"))),
        treatments=tuple(vocabulary.split_list(_text(row, "traitements"))),
        mmr_doses=doses,
        occupation=occupation,
        phone=phone,
        comment=comment,
        # a group named in the row, or the import's group for a row that takes its setting or its date
        group_id=group_id,
        blank=frozenset(name for column, fields in COLUMN_FIELDS.items() if not _text(row, column) for name in fields)
        | ({"group_id"} if group_id is None else set()) | (set() if conditions else {"conditions"}),
        conditions=conditions,
    ))


def _conditions(row: dict[str, str], errors: list[Message]) -> dict[str, str]:
    """The yes/no condition columns (unknown when empty) and the immunodeficiency's nature in words."""
    stated: dict[str, str] = {}
    for column, name in vocabulary.condition_columns().items():
        answer = vocabulary.answer_of(_text(row, column))
        if answer is None:
            _error(errors, "choice", column=column, value=_text(row, column), choices="oui, non, inconnu")
        elif answer != "unknown":
            stated[name] = answer
    nature = _text(row, NATURE_COLUMN)[:300]
    if nature:
        if stated.get(IMMUNODEFICIENCY) == "no":
            _error(errors, "immunodeficiency-contradiction", value=nature)
        else:
            stated[IMMUNODEFICIENCY] = "yes"  # a nature written is an immunodeficiency known to the team
            stated[NATURE_KEY] = nature
    return stated


def _weight(row: dict[str, str], errors: list[Message], today: date) -> tuple[Decimal | None, date | None]:
    weight_text, weighed_text = _text(row, "poids_kg"), _text(row, "date_pesee")
    weight = weighed_on = None
    if weight_text:
        try:
            weight = Decimal(weight_text.replace(",", ".").removesuffix("kg").strip())
        except InvalidOperation:
            weight = None
        if weight is None or not weight.is_finite() or not 0 < weight <= MAX_WEIGHT_KG:
            _error(errors, "weight", value=weight_text)
            weight = None
    if weighed_text:
        weighed_on = parse_date(weighed_text)
        if weighed_on is None:
            _error(errors, "date", column="date_pesee", value=weighed_text)
        elif weighed_on > today:
            _error(errors, "future", column="date_pesee", value=weighed_text)
        if not weight_text:
            _error(errors, "weighed-without-weight")
    return weight, weighed_on


def _mmr_doses(text: str, errors: list[Message], today: date) -> dict[str, Any]:
    if not text:
        return {}
    if text.isdigit():
        if int(text) > MAX_MMR_DOSES:
            _error(errors, "mmr-doses", value=text)
            return {}
        return {"count": int(text)}
    dates = []
    for part in text.split("|"):
        day = parse_date(part)
        if day is None or day > today:
            _error(errors, "mmr-doses", value=text)
            return {}
        dates.append(day.isoformat())
    return {"dates": sorted(dates)}
