"""Who is a contact of the case (clinical.md §A.2): the settings table, and the health-worker rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from prevention_cds.rules.advice import Message
from prevention_cds.rules.calendar_math import local_date
from prevention_cds.rules.facts import Exposure, ExposureKind, PatientRecord
from prevention_cds.rules.iim.contact_setting import ContactSetting, SettingRule
from prevention_cds.rules.iim.parameters import IimParameters
from prevention_cds.rules.iim.timing import not_later


class ContactStatus(StrEnum):
    CONTACT = "contact"
    NOT_A_CONTACT = "not-a-contact"
    UNDETERMINED = "undetermined"  # no setting, or a code the table does not know


@dataclass(frozen=True)
class ContactAssessment:
    exposure: Exposure
    status: ContactStatus
    reason: Message
    last_contact: datetime  # the last contact that counts (a health worker's ends at the case's antibiotic)
    setting: SettingRule | None = None
    decisions: tuple[Message, ...] = ()

    @property
    def close_circle(self) -> bool:
        return self.status is ContactStatus.CONTACT and self.setting is not None and self.setting.close_circle

    def setting_label(self) -> Message:
        if self.setting is not None:
            return self.setting.setting.label
        return Message.of("iim.setting.unknown", code=self.exposure.setting or "")


def assess_contact(exposure: Exposure, rules: IimParameters) -> ContactAssessment:
    if exposure.setting is None:
        return ContactAssessment(
            exposure, ContactStatus.UNDETERMINED, Message.of("iim.contact.setting-missing"), exposure.last_contact
        )
    setting = ContactSetting.of(exposure.setting)
    rule = rules.contact_settings.value.get(setting) if setting is not None else None
    if rule is None:
        return ContactAssessment(
            exposure,
            ContactStatus.UNDETERMINED,
            Message.of("iim.contact.setting-unknown", code=exposure.setting),
            exposure.last_contact,
        )
    label = rule.setting.label
    if not rule.prophylaxis:
        reason = Message.of("iim.contact.not-recommended", setting=label)
        return ContactAssessment(exposure, ContactStatus.NOT_A_CONTACT, reason, exposure.last_contact, rule)
    if rule.until_case_first_effective_antibiotic:
        return _health_worker(exposure, rule)
    reason = Message.of("iim.contact.recommended", setting=label)
    return ContactAssessment(exposure, ContactStatus.CONTACT, reason, exposure.last_contact, rule)


def _health_worker(exposure: Exposure, rule: SettingRule) -> ContactAssessment:
    """Airway procedure without a mask counts only before the case's first effective antibiotic dose."""
    antibiotic = exposure.case_first_effective_antibiotic
    if antibiotic is None:
        return ContactAssessment(
            exposure,
            ContactStatus.CONTACT,
            Message.of("iim.contact.airway-no-antibiotic-time"),
            exposure.last_contact,
            rule,
            (Message.of("iim.decision.airway-no-antibiotic-time"),),
        )
    date_only = not exposure.has_time
    start = exposure.first_contact or exposure.last_contact
    if not not_later(start, antibiotic, date_only=date_only):
        reason = Message.of("iim.contact.airway-after-antibiotic", antibiotic_at=antibiotic)
        decisions = (Message.of("iim.decision.airway-window"),)
        return ContactAssessment(exposure, ContactStatus.NOT_A_CONTACT, reason, exposure.last_contact, rule, decisions)
    # The exposure stops counting at the antibiotic dose; by date only, the recorded last contact stands (the
    # window stays open longer).
    last = exposure.last_contact
    if not date_only and not_later(antibiotic, last, date_only=False):
        last = antibiotic
    return ContactAssessment(
        exposure,
        ContactStatus.CONTACT,
        Message.of("iim.contact.airway", antibiotic_at=antibiotic),
        last,
        rule,
        (Message.of("iim.decision.airway-window"),),
    )


def assess_contacts(record: PatientRecord, rules: IimParameters) -> tuple[ContactAssessment, ...]:
    return tuple(assess_contact(e, rules) for e in record.exposures_of(ExposureKind.IIM))


def most_relevant(assessments: tuple[ContactAssessment, ...], now: datetime) -> ContactAssessment | None:
    """A contact beats an undetermined exposure, which beats a non-contact; then the latest contact."""
    for status in (ContactStatus.CONTACT, ContactStatus.UNDETERMINED, ContactStatus.NOT_A_CONTACT):
        matching = [a for a in assessments if a.status is status]
        if matching:
            return max(matching, key=lambda a: local_date(a.last_contact, now))
    return None
