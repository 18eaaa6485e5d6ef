"""Reading exposures: an Observation of the project's exposure profile (``terminology/package``), its contact
period and its components (setting, serogroup, the case's dates and flags)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prevention_cds import terminology
from prevention_cds.fhir_in.codes import codings
from prevention_cds.fhir_in.dates import stated_period, stated_time, time_from_text
from prevention_cds.fhir_in.reading import Reading, Resource, TypedElements, source_id
from prevention_cds.rules import evidence
from prevention_cds.rules.facts import (
    Exposure,
    ExposureKind,
    IimSerogroup,
    RecordedPeriod,
    RecordedTime,
    RecordElement,
)
from prevention_cds.terminology import ProjectCode

KINDS = {ProjectCode.IIM_CONTACT: ExposureKind.IIM, ProjectCode.MEASLES_CONTACT: ExposureKind.MEASLES}
CONTACT_ELEMENTS = ("effectiveDateTime", "effectivePeriod")
DATED_COMPONENTS = (
    ProjectCode.COMMUNITY_FIRST_CASE, ProjectCode.PRIOR_PROPHYLAXIS_END, ProjectCode.CASE_FIRST_EFFECTIVE_ANTIBIOTIC,
)


def read_exposure(resource: Resource, typed: TypedElements, reading: Reading) -> None:
    kind = evidence.exposure_disease(_coded_kind(resource))
    contact = _contact(typed)
    last = evidence.last_contact(contact, reading.now) if contact is not None else None
    if last is None:
        stated = next((typed.unreadable[n] for n in CONTACT_ELEMENTS if n in typed.unreadable), None)
        if stated is None and contact is not None:
            stated = resource.get("effectiveDateTime", resource.get("effectivePeriod"))
        if stated is not None:  # a contact whose date cannot be read: no window can be judged, the card says why
            reading.unreadable_value(RecordElement.EXPOSURE_DATE, stated, resource, exposure=kind)
        else:
            reading.skip(resource, "exposure without a date of last contact")
        return
    parts = _components(resource)
    for code in DATED_COMPONENTS:
        stated = _unreadable_date(parts.get(code))
        if stated is not None:
            reading.unreadable_value(RecordElement.EXPOSURE_DETAIL_DATE, stated, resource, exposure=kind)
    first = contact.start if contact is not None else None
    reading.exposures.append(Exposure(
        kind=kind,
        last_contact=last.moment,
        has_time=last.has_time,
        first_contact=first.moment if isinstance(first, RecordedTime) else None,
        setting=_code_value(parts.get(ProjectCode.CONTACT_SETTING), terminology.CONTACT_SETTING_CODESYSTEM),
        serogroup=_serogroup(parts.get(ProjectCode.SEROGROUP)),
        rifampicin_resistant=_bool_value(parts.get(ProjectCode.RIFAMPICIN_RESISTANT)),
        repeated_case_in_community=_bool_value(parts.get(ProjectCode.REPEATED_CASE)),
        community_first_case_on=_date_value(parts.get(ProjectCode.COMMUNITY_FIRST_CASE)),
        prior_prophylaxis_ended_on=_date_value(parts.get(ProjectCode.PRIOR_PROPHYLAXIS_END)),
        case_first_effective_antibiotic=_datetime_value(parts.get(ProjectCode.CASE_FIRST_EFFECTIVE_ANTIBIOTIC)),
        case_confirmed=(
            _bool_value(parts[ProjectCode.CASE_CONFIRMED]) if ProjectCode.CASE_CONFIRMED in parts else None
        ),
        source_id=source_id(resource),
    ))


def _coded_kind(resource: Resource) -> ExposureKind | None:
    """The disease the exposure's code names (the IIM one first, should both be there), if any."""
    codes = {code for system, code in codings(resource.get("code")) if system == terminology.PROJECT_CODESYSTEM}
    return next((kind for code, kind in KINDS.items() if code in codes), None)


def _contact(typed: TypedElements) -> RecordedPeriod | None:
    """When the contact took place: a moment (effectiveDateTime, read as a period ending then whose start is not
    known) or a period."""
    if typed.effectiveDateTime is not None:
        return RecordedPeriod(None, stated_time(typed.effectiveDateTime))
    return stated_period(typed.effectivePeriod)


def _components(resource: Resource) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for component in resource.get("component") or ():
        if not isinstance(component, dict):
            continue
        for system, code in codings(component.get("code")):
            if system == terminology.PROJECT_CODESYSTEM and isinstance(code, str):
                found[code] = component
    return found


def _code_value(component: dict[str, Any] | None, system: str) -> str | None:
    if component is None:
        return None
    for coding_system, code in codings(component.get("valueCodeableConcept")):
        if coding_system == system and isinstance(code, str):
            return code
    return None


def _serogroup(component: dict[str, Any] | None) -> IimSerogroup | None:
    code = _code_value(component, terminology.SEROGROUP_CODESYSTEM)
    if code is None:
        return None
    try:
        return IimSerogroup(code)
    except ValueError:
        return IimSerogroup.UNKNOWN


def _bool_value(component: dict[str, Any] | None) -> bool:
    return bool(component is not None and component.get("valueBoolean") is True)


def _unreadable_date(component: dict[str, Any] | None) -> Any:
    """The valueDateTime of a component as sent, when it is there and cannot be read."""
    value = component.get("valueDateTime") if component is not None else None
    return value if value is not None and time_from_text(value) is None else None


def _datetime_value(component: dict[str, Any] | None) -> datetime | None:
    recorded = time_from_text(component.get("valueDateTime")) if component is not None else None
    return recorded.moment if recorded else None


def _date_value(component: dict[str, Any] | None) -> date | None:
    moment = _datetime_value(component)
    return moment.date() if moment else None
