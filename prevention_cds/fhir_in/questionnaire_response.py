"""Reading an answered exposure Questionnaire: a QuestionnaireResponse checked against the project's Questionnaire
it answers, read into what SDC definition-based extraction puts where.

The Questionnaire says it all (``terminology/package/Questionnaire-*.json``): its ``definitionExtract`` extension
names the profile of the resource to extract, each item's ``definition`` the element its answer fills
(``<profile>#<element id>``), its ``definitionExtractValue`` extensions the values no one answers (a fixed value,
or a FHIRPath expression on the response, evaluated with fhirpathpy). What is checked here, every problem named by
the item's ``linkId`` and never by its value: the response answers one of the project's Questionnaires, is
completed, is about a Patient; each answer has the item's type and one of its options; required items are answered,
disabled ones are not; dates are full FHIR dates (a time with its offset), not after today, and the exposure's
start is not after its last contact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from fhirpathpy import evaluate as fhirpath

from prevention_cds import terminology
from prevention_cds.errors import InvalidRequest, RefusedInput
from prevention_cds.fhir_in.dates import time_from_text
from prevention_cds.rules.calendar_math import local_date

SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition"
DEFINITION_EXTRACT = f"{SDC}/sdc-questionnaire-definitionExtract"
DEFINITION_EXTRACT_VALUE = f"{SDC}/sdc-questionnaire-definitionExtractValue"
EXTRACTABLE_STATUSES = ("completed", "amended")  # SDC: extraction is for a finished response
# Questionnaire item type -> the answer's value[x] and the FHIR type it holds
ANSWER_TYPES: Mapping[str, tuple[str, str]] = {
    "boolean": ("valueBoolean", "boolean"),
    "date": ("valueDate", "date"),
    "dateTime": ("valueDateTime", "dateTime"),
    "choice": ("valueCoding", "Coding"),
    "string": ("valueString", "string"),
    "text": ("valueString", "string"),
    "reference": ("valueReference", "Reference"),
}
FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FULL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$")
PATIENT_REFERENCE = re.compile(r"^(.*/)?Patient/[A-Za-z0-9\-.]{1,64}$")
# the two items that date an exposure (both Questionnaires), and the one saying it goes on
EXPOSURE_START, LAST_CONTACT, ONGOING = "exposure-start", "last-contact", "exposure-ongoing"


class AnswersRefused(RefusedInput):
    """The response cannot be extracted; ``problems`` names each, with where it is (a FHIRPath into the response)."""

    def __init__(self, problems: list[tuple[str, str]] | str) -> None:
        super().__init__(problems, "QuestionnaireResponse")


@dataclass(frozen=True)
class ExtractedValue:
    """One value for the extracted resource: the element of the profile it fills (its element id), the FHIR type
    of the value (None for an expression's result, typed by the profile) and the value as JSON."""

    element: str
    value_type: str | None
    value: Any


@dataclass(frozen=True)
class Extraction:
    """What a response gives the resource to extract: the profile's canonical URL and the values, in the
    Questionnaire's order (fixed values first)."""

    questionnaire: str
    profile: str
    values: tuple[ExtractedValue, ...]


@cache
def questionnaires() -> Mapping[str, dict[str, Any]]:
    """The project's Questionnaires by canonical URL."""
    return {q["url"]: q for q in terminology.all_resources() if q["resourceType"] == "Questionnaire"}


def _extension(owner: Mapping[str, Any], url: str) -> Iterator[Mapping[str, Any]]:
    for extension in owner.get("extension") or ():
        if extension.get("url") == url:
            yield extension


def _part(extension: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((e for e in extension.get("extension") or () if e.get("url") == name), None)


def _value_of(element: Mapping[str, Any]) -> tuple[str, Any]:
    """The one ``value[x]`` of an element: (its FHIR type, its value)."""
    key = next(k for k in element if k.startswith("value") and k != "value" and k[5:6].isupper())
    return key[5].lower() + key[6:], element[key]


def extraction_profile(questionnaire: Mapping[str, Any]) -> str:
    extract = next(_extension(questionnaire, DEFINITION_EXTRACT))
    definition = _part(extract, "definition")
    assert definition is not None
    return str(definition["valueCanonical"])


def questionnaire_items(questionnaire: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every item of a Questionnaire, groups and their children included."""
    stack = list(reversed(questionnaire.get("item") or ()))
    while stack:
        item = stack.pop()
        yield item
        stack.extend(reversed(item.get("item") or ()))


def read_extract_input(body: Any) -> dict[str, Any]:
    """The QuestionnaireResponse of a ``$extract`` call: the body itself, or the ``questionnaire-response`` parameter
    of a Parameters resource (SDC)."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a QuestionnaireResponse or a Parameters resource")
    if body.get("resourceType") == "Parameters":
        parameters = body.get("parameter")
        found = [
            p.get("resource") for p in parameters if isinstance(p, dict) and p.get("name") == "questionnaire-response"
        ] if isinstance(parameters, list) else []
        if len(found) != 1 or not isinstance(found[0], dict):
            raise InvalidRequest("Parameters: one 'questionnaire-response' parameter with a resource is required")
        body = found[0]
    if body.get("resourceType") != "QuestionnaireResponse":
        raise InvalidRequest("the body must be a QuestionnaireResponse or a Parameters resource")
    if "parameter" in body:  # a Parameters' member on the response: a wrapper gone wrong, not to be guessed at
        raise InvalidRequest("a QuestionnaireResponse has no 'parameter': wrap it in a Parameters resource")
    response: dict[str, Any] = body
    return response


class _Response:
    """One pass over a response: its answers by linkId, and the problems found."""

    def __init__(self, response: dict[str, Any], questionnaire: Mapping[str, Any]) -> None:
        self.response = response
        self.items = {str(i["linkId"]): i for i in questionnaire_items(questionnaire)}
        self.problems: list[tuple[str, str]] = []
        self.answers: dict[str, list[Any]] = {}  # linkId -> the values of its answers
        self._read_items(response.get("item"), "QuestionnaireResponse")

    def refuse(self, where: str, text: str) -> None:
        self.problems.append((where, text))

    def _read_items(self, items: Any, where: str) -> None:
        pending = [(items, where)]  # a loop, not recursion: the nesting is the client's
        while pending:
            items, where = pending.pop()
            if items is None:
                continue
            if not isinstance(items, list):
                self.refuse(f"{where}.item", "must be an array")
                continue
            for position, item in enumerate(items):
                here = f"{where}.item[{position}]"
                link_id = item.get("linkId") if isinstance(item, dict) else None
                if not isinstance(link_id, str) or link_id not in self.items:
                    self.refuse(here, "not an item of the Questionnaire (linkId)")
                    continue
                if link_id in self.answers:
                    self.refuse(here, f"item '{link_id}' is given twice")
                    continue
                self.answers[link_id] = self._read_answers(self.items[link_id], item.get("answer"), here)
                pending.append((item.get("item"), here))

    def _read_answers(self, question: Mapping[str, Any], answers: Any, where: str) -> list[Any]:
        link_id = question["linkId"]
        if answers is None:
            return []
        if not isinstance(answers, list):
            self.refuse(f"{where}.answer", f"'{link_id}': must be an array")
            return []
        if len(answers) > 1 and not question.get("repeats"):
            self.refuse(f"{where}.answer", f"'{link_id}' takes one answer")
            return []
        member, _ = ANSWER_TYPES[question["type"]]
        values = []
        for position, answer in enumerate(answers):
            here = f"{where}.answer[{position}]"
            given = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
            if given != [member]:
                self.refuse(here, f"'{link_id}' is answered with {member}")
                continue
            value = answer[member]
            problem = _answer_problem(question, value)
            if problem:
                self.refuse(here, f"'{link_id}': {problem}")
                continue
            values.append(_as_written(question, value))
        return values

    def enabled(self, question: Mapping[str, Any]) -> bool:
        """``enableWhen`` with ``=`` (all conditions, or any with ``enableBehavior: any``)."""
        conditions = question.get("enableWhen") or ()
        if not conditions:
            return True
        met = [self._condition_met(condition) for condition in conditions]
        return any(met) if question.get("enableBehavior") == "any" else all(met)

    def _condition_met(self, condition: Mapping[str, Any]) -> bool:
        kind, expected = _value_of({k.replace("answer", "value", 1): v for k, v in condition.items()
                                    if k.startswith("answer")})
        given = self.answers.get(str(condition["question"])) or []
        if kind == "coding":
            return any(_same_code(value, expected) for value in given)
        return expected in given


def _same_code(value: Any, expected: Any) -> bool:
    return (isinstance(value, dict) and isinstance(expected, Mapping)
            and value.get("system") == expected.get("system") and value.get("code") == expected.get("code"))


def _answer_problem(question: Mapping[str, Any], value: Any) -> str | None:
    """Why an answer of the right member cannot be taken, or None."""
    kind = question["type"]
    if kind == "boolean":
        return None if isinstance(value, bool) else "true or false"
    if kind in ("date", "dateTime"):
        pattern = FULL_DATE if kind == "date" else FULL_DATE_TIME
        if not isinstance(value, str) or not pattern.match(value) or time_from_text(value) is None:
            return ("a full date (YYYY-MM-DD)" if kind == "date"
                    else "a full date, or a date and time with seconds and its offset (YYYY-MM-DDThh:mm:ss+01:00)")
        return None
    if kind == "choice":
        options = [o["valueCoding"] for o in question.get("answerOption") or () if "valueCoding" in o]
        return None if any(_same_code(value, option) for option in options) else "not one of the item's options"
    if kind == "reference":
        return None if isinstance(value, dict) and isinstance(value.get("reference"), str) else "a reference"
    return None if isinstance(value, str) and value.strip() else "a non-empty text"


def _as_written(question: Mapping[str, Any], value: Any) -> Any:
    """An answer as the extracted resource carries it: a choice as the Questionnaire's option (system, code and
    display), a reference without anything but its reference; other values as given."""
    if question["type"] == "choice":
        option = next(o["valueCoding"] for o in question["answerOption"] if _same_code(value, o.get("valueCoding")))
        return {k: option[k] for k in ("system", "code", "display") if k in option}
    return reference_of(value) if question["type"] == "reference" else value


def reference_of(value: Any) -> Any:
    """A Reference reduced to its ``reference`` and ``display`` texts (other values as they are)."""
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        return {k: value[k] for k in ("reference", "display") if isinstance(value.get(k), str)}
    return value


def item_path(link_id: str) -> str:
    """Where an item is in a response, as FHIRPath."""
    return f"QuestionnaireResponse.item.where(linkId='{link_id}')"


def _response_problems(response: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if response.get("status") not in EXTRACTABLE_STATUSES:
        problems.append(("QuestionnaireResponse.status", "must be completed (or amended) to be extracted"))
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(reference, str) or not PATIENT_REFERENCE.match(reference):
        problems.append(("QuestionnaireResponse.subject", "a reference to the exposed Patient is required"))
    return problems


def _answered_questionnaire(response: Mapping[str, Any]) -> dict[str, Any]:
    canonical = response.get("questionnaire")
    if not isinstance(canonical, str):
        raise AnswersRefused([("QuestionnaireResponse.questionnaire", "the Questionnaire answered is required")])
    url, _, version = canonical.partition("|")
    questionnaire = questionnaires().get(url)
    if questionnaire is None or (version and version != questionnaire["version"]):
        known = ", ".join(sorted(questionnaires()))
        problem = f"not a Questionnaire of this service ({known})"
        raise AnswersRefused([("QuestionnaireResponse.questionnaire", problem)])
    return questionnaire


def _dates_problems(reading: _Response, now: datetime) -> list[tuple[str, str]]:
    """The exposure's dates make sense: not after today, a start not after the last contact, a start when the
    contact goes on."""
    problems = []
    moments = {}
    for link_id, values in reading.answers.items():
        if reading.items[link_id]["type"] in ("date", "dateTime") and values:
            recorded = time_from_text(values[0])
            if recorded is not None:
                moments[link_id] = recorded
                if local_date(recorded.moment, now) > now.date():
                    problems.append((item_path(link_id), f"'{link_id}' is after today"))
    start, last = moments.get(EXPOSURE_START), moments.get(LAST_CONTACT)
    if start is not None and last is not None and local_date(start.moment, now) > local_date(last.moment, now):
        problems.append((item_path(EXPOSURE_START), f"'{EXPOSURE_START}' is after '{LAST_CONTACT}'"))
    if reading.answers.get(ONGOING) == [True] and start is None and EXPOSURE_START in reading.items:
        problems.append((item_path(EXPOSURE_START), f"'{EXPOSURE_START}' is required while the contact goes on"))
    return problems


def read_questionnaire_response(response: dict[str, Any], now: datetime) -> Extraction:
    """The extraction a completed response of one of the project's Questionnaires gives. Raises AnswersRefused
    (an InvalidRequest) naming every problem."""
    questionnaire = _answered_questionnaire(response)
    reading = _Response(response, questionnaire)
    problems = _response_problems(response) + reading.problems
    for link_id, question in reading.items.items():
        answered = bool(reading.answers.get(link_id))
        if not reading.enabled(question):
            if answered:
                problems.append((item_path(link_id), f"'{link_id}' is answered, but these answers disable it"))
        elif question.get("required") and not answered:
            problems.append((item_path(link_id), f"'{link_id}' is required"))
    problems += _dates_problems(reading, now)
    if problems:
        raise AnswersRefused(problems)
    return Extraction(questionnaire["url"], extraction_profile(questionnaire), tuple(_values(questionnaire, reading)))


def _values(questionnaire: Mapping[str, Any], reading: _Response) -> Iterator[ExtractedValue]:
    profile = extraction_profile(questionnaire)
    for extension in _extension(questionnaire, DEFINITION_EXTRACT_VALUE):
        definition, fixed, expression = (_part(extension, n) for n in ("definition", "fixed-value", "expression"))
        assert definition is not None
        element = _element(str(definition["valueUri"]), profile)
        if fixed is not None:
            value_type, value = _value_of(fixed)
            yield ExtractedValue(element, value_type, value)
        elif expression is not None:
            for value in _evaluate(reading.response, expression["valueExpression"]["expression"]):
                yield ExtractedValue(element, None, reference_of(value))
    for link_id, question in reading.items.items():
        if "definition" in question and reading.enabled(question):
            _, value_type = ANSWER_TYPES[question["type"]]
            for value in reading.answers.get(link_id) or ():
                yield ExtractedValue(_element(question["definition"], profile), value_type, value)


def _evaluate(response: dict[str, Any], expression: str) -> list[Any]:
    """A FHIRPath expression of the Questionnaire on the response (``%resource``). The response is the client's:
    whatever fhirpathpy cannot walk in it is refused, never a server error."""
    try:
        found = fhirpath(response, expression, {"resource": response})
    except Exception as exc:  # fhirpathpy raises plain exceptions of several kinds on malformed input
        raise AnswersRefused(f"the response cannot be read for the extraction ({type(exc).__name__})") from exc
    return list(found) if isinstance(found, list) else [found]


def _element(definition: str, profile: str) -> str:
    """The element id of a ``<profile>#<element id>`` definition (the Questionnaires are checked in the tests)."""
    url, _, element = definition.partition("#")
    assert url == profile, definition
    return element
