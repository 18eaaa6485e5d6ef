"""The contact settings of the project's CodeSystem and what each means for prophylaxis and vaccination."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from prevention_cds.rules.advice import Message


class ContactSetting(StrEnum):
    HOUSEHOLD = "household"
    FAMILY_GATHERING = "family-gathering"
    HOME_CHILDCARE = "home-childcare"
    INTIMATE = "intimate"
    CLOSE_FRIEND = "close-friend"
    PARTY_OR_MEAL = "party-or-meal"
    CRECHE_SAME_SECTION = "creche-same-section"
    CRECHE_OTHER = "creche-other"
    LEISURE_SAME_NAP_ROOM = "leisure-same-nap-room"
    LEISURE_OTHER = "leisure-other"
    NURSERY_CLASS = "nursery-class"
    NURSERY_OTHER = "nursery-other"
    SCHOOL_CLASSROOM_NEIGHBOUR = "school-classroom-neighbour"
    BOARDING_SAME_ROOM = "boarding-same-room"
    UNIVERSITY_OTHER = "university-other"
    HEALTHCARE_AIRWAY_UNMASKED = "healthcare-airway-unmasked"
    HEALTHCARE_OTHER = "healthcare-other"
    SPORT_PROLONGED_CONTACT = "sport-prolonged-contact"
    SPORT_OTHER = "sport-other"
    ASSESSED_CLOSE_CONTACT = "assessed-close-contact"
    OTHER_COMMUNITY = "other-community"
    OTHER = "other"

    @classmethod
    def of(cls, code: str) -> ContactSetting | None:
        try:
            return cls(code)
        except ValueError:
            return None

    @property
    def label(self) -> Message:
        return Message.of(_LABELS[self])


_LABELS: dict[ContactSetting, str] = {
    ContactSetting.HOUSEHOLD: "iim.setting.household",
    ContactSetting.FAMILY_GATHERING: "iim.setting.family-gathering",
    ContactSetting.HOME_CHILDCARE: "iim.setting.home-childcare",
    ContactSetting.INTIMATE: "iim.setting.intimate",
    ContactSetting.CLOSE_FRIEND: "iim.setting.close-friend",
    ContactSetting.PARTY_OR_MEAL: "iim.setting.party-or-meal",
    ContactSetting.CRECHE_SAME_SECTION: "iim.setting.creche-same-section",
    ContactSetting.CRECHE_OTHER: "iim.setting.creche-other",
    ContactSetting.LEISURE_SAME_NAP_ROOM: "iim.setting.leisure-same-nap-room",
    ContactSetting.LEISURE_OTHER: "iim.setting.leisure-other",
    ContactSetting.NURSERY_CLASS: "iim.setting.nursery-class",
    ContactSetting.NURSERY_OTHER: "iim.setting.nursery-other",
    ContactSetting.SCHOOL_CLASSROOM_NEIGHBOUR: "iim.setting.school-classroom-neighbour",
    ContactSetting.BOARDING_SAME_ROOM: "iim.setting.boarding-same-room",
    ContactSetting.UNIVERSITY_OTHER: "iim.setting.university-other",
    ContactSetting.HEALTHCARE_AIRWAY_UNMASKED: "iim.setting.healthcare-airway-unmasked",
    ContactSetting.HEALTHCARE_OTHER: "iim.setting.healthcare-other",
    ContactSetting.SPORT_PROLONGED_CONTACT: "iim.setting.sport-prolonged-contact",
    ContactSetting.SPORT_OTHER: "iim.setting.sport-other",
    ContactSetting.ASSESSED_CLOSE_CONTACT: "iim.setting.assessed-close-contact",
    ContactSetting.OTHER_COMMUNITY: "iim.setting.other-community",
    ContactSetting.OTHER: "iim.setting.other",
}


@dataclass(frozen=True)
class SettingRule:
    """One row of the contact-settings table of the rule data."""

    setting: ContactSetting
    prophylaxis: bool
    close_circle: bool  # a regular close-circle setting: vaccination target when the serogroup allows
    until_case_first_effective_antibiotic: bool = False  # health-worker airway exposure
