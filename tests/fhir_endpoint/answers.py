"""Answered exposure Questionnaires (QuestionnaireResponse JSON, as an EHR's form renderer sends them)."""

from __future__ import annotations

from typing import Any

from prevention_cds import terminology
from prevention_cds.terminology import CONTACT_SETTING_CODESYSTEM, SEROGROUP_CODESYSTEM, ProjectCode

IIM_QUESTIONNAIRE = terminology.questionnaire_url(ProjectCode.IIM_CONTACT)
MEASLES_QUESTIONNAIRE = terminology.questionnaire_url(ProjectCode.MEASLES_CONTACT)


def answer(link_id: str, **value: Any) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [value]}


def setting(code: str) -> dict[str, Any]:
    return answer("contact-setting", valueCoding={"system": CONTACT_SETTING_CODESYSTEM, "code": code})


def response(questionnaire: str, items: list[dict[str, Any]], pid: str = "p1", **members: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse", "questionnaire": questionnaire, "status": "completed",
        "subject": {"reference": f"Patient/{pid}"}, "authored": "2026-11-21T09:30:00+01:00", "item": items,
        **members,
    }


def iim_contact(code: str, last_contact: str | None = "2026-11-20T18:30:00+01:00", serogroup: str = "W",
                *extra: dict[str, Any], start: str | None = None, pid: str = "p1") -> dict[str, Any]:
    """A completed IIM-contact response: the contact ended at ``last_contact`` (None: it goes on since ``start``)."""
    items = [setting(code), answer("exposure-ongoing", valueBoolean=last_contact is None)]
    if start is not None:
        items.append(answer("exposure-start", valueDateTime=start))
    if last_contact is not None:
        items.append(answer("last-contact", valueDateTime=last_contact))
    items.append(answer("serogroup", valueCoding={"system": SEROGROUP_CODESYSTEM, "code": serogroup}))
    return response(IIM_QUESTIONNAIRE, [*items, *extra], pid)


def measles_contact(code: str, last_contact: str = "2026-11-20T18:30:00+01:00", confirmed: bool = True,
                    pid: str = "p1") -> dict[str, Any]:
    return response(MEASLES_QUESTIONNAIRE, [
        setting(code), answer("exposure-ongoing", valueBoolean=False), answer("last-contact", valueDateTime=last_contact),
        answer("case-confirmed", valueBoolean=confirmed),
    ], pid)
