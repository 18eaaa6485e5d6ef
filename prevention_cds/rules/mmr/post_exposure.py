"""Contact with a measles case: vaccine within ``pep_vaccine_window_hours``, or polyvalent immunoglobulins
within ``pep_immunoglobulin_window_days``.

The groups, most specific first: immunocompromised person and non-immune pregnant woman → immunoglobulins
(no live vaccine); infant under ``pep_min_age_months`` → immunoglobulins; infant from ``pep_min_age_months``
to under ``min_age_months`` → one uncounted dose within the vaccine window, otherwise immunoglobulins; from
``min_age_months``, born since the cut-off → complete the series now; health or early-childhood professional
of any birth year, neither immune nor with a complete series → ``professional_pep_doses`` now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from prevention_cds.rules.calendar_math import elapsed
from prevention_cds.rules.facts import Exposure, ExposureKind, PatientRecord
from prevention_cds.rules.mmr.contraindications import Contraindication, VaccineSafety
from prevention_cds.rules.mmr.doses_owed import DoseTarget, TargetRule
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds, Person
from prevention_cds.rules.mmr.validity import AgeLimits, SpacingEvents, obstacles


class Response(StrEnum):
    INFANT_DOSE = "infant-dose"  # an infant within the vaccine window: one dose now that does not count
    COMPLETE_SERIES = "complete-series"  # born since the cut-off, from the minimum age: the series, starting now
    PROFESSIONAL_DOSE = "professional-dose"  # professional born before the cut-off: a dose now
    IMMUNOGLOBULIN = "immunoglobulin"
    AGE_UNCERTAIN = "age-uncertain"  # partial birth date straddling an age band


class ImmunoglobulinReason(StrEnum):
    IMMUNODEFICIENCY = "immunodeficiency"
    PREGNANCY = "pregnancy"
    INFANT_UNDER_MIN_AGE = "infant-under-min-age"  # under the post-exposure minimum age
    INFANT_BEYOND_WINDOW = "infant-beyond-window"  # an infant seen after the vaccine window
    INFANT_WINDOW_UNCERTAIN = "infant-window-uncertain"  # contact time unknown, the vaccine window maybe passed
    INFANT_CANNOT_BE_VACCINATED = "infant-cannot-be-vaccinated"  # e.g. another live vaccine days ago


class VaccineWindow(StrEnum):
    WITHIN = "within"
    BEYOND = "beyond"
    UNCERTAIN = "uncertain"  # only the date of the contact is known


class AgeBand(StrEnum):
    UNDER_MIN = "under-min"  # under pep_min_age_months
    INFANT = "infant"  # from pep_min_age_months to under min_age_months
    FROM_MIN_AGE = "from-min-age"  # from min_age_months


@dataclass(frozen=True)
class ExposureTiming:
    exposure: Exposure
    least: timedelta  # shortest possible time since the contact
    most: timedelta  # longest possible time (the start of the day when the time is unknown)

    @property
    def contact_start(self) -> datetime:
        """The earliest possible moment of the last contact (deadlines count from it: safer)."""
        contact = self.exposure.last_contact
        if self.exposure.has_time:
            return contact
        return datetime.combine(contact.date(), time(), tzinfo=contact.tzinfo)


@dataclass(frozen=True)
class ExposureAssessment:
    timing: ExposureTiming
    response: Response | None  # None: nothing specific to the exposure (immune, or routine rules apply)
    window: VaccineWindow
    vaccine_deadline: datetime
    immunoglobulin_deadline: date
    immunoglobulin_reason: ImmunoglobulinReason | None = None
    measles_immune: bool = False

    @property
    def exposure(self) -> Exposure:
        return self.timing.exposure

    @property
    def vaccinates(self) -> bool:
        return self.response in (Response.INFANT_DOSE, Response.COMPLETE_SERIES, Response.PROFESSIONAL_DOSE)


def timing_of(exposure: Exposure, now: datetime) -> ExposureTiming:
    since = elapsed(exposure.last_contact, now)
    if exposure.has_time:
        least = most = since
    else:
        start = datetime.combine(exposure.last_contact.date(), time(), tzinfo=exposure.last_contact.tzinfo)
        most = elapsed(start, now)
        least = most - timedelta(days=1)
    zero = timedelta()
    return ExposureTiming(exposure, max(least, zero), max(most, zero))  # a contact dated later than now: now


def current_exposure(record: PatientRecord, now: datetime, rules: MmrParameters) -> ExposureTiming | None:
    """The most recent measles contact that may still be acted upon."""
    window = timedelta(days=rules.post_exposure_current_days.value)
    timings = [timing_of(e, now) for e in record.exposures_of(ExposureKind.MEASLES)]
    current = [t for t in timings if t.least <= window]
    return min(current, key=lambda t: t.least, default=None)


def vaccine_window(timing: ExposureTiming, rules: MmrParameters) -> VaccineWindow:
    limit = timedelta(hours=rules.pep_vaccine_window_hours.value)
    if timing.most <= limit:
        return VaccineWindow.WITHIN
    if timing.least > limit:
        return VaccineWindow.BEYOND
    return VaccineWindow.UNCERTAIN


def age_band(months: int, rules: MmrParameters) -> AgeBand:
    if months < rules.pep_min_age_months.value:
        return AgeBand.UNDER_MIN
    return AgeBand.INFANT if months < rules.min_age_months.value else AgeBand.FROM_MIN_AGE


def assess_exposure(
    timing: ExposureTiming,
    person: Person,
    counted: int | None,  # valid doses; None when they cannot be judged (no birth date)
    target: DoseTarget | None,
    safety: VaccineSafety,
    events: SpacingEvents,
    now: datetime,
    rules: MmrParameters,
) -> ExposureAssessment:
    window = vaccine_window(timing, rules)
    start = timing.contact_start
    complete = rules.target_doses_born_since_cutoff.value
    measles_immune = person.measles_history or (counted is not None and counted >= complete)
    ig_possible = timing.least <= timedelta(days=rules.pep_immunoglobulin_window_days.value)

    def answer(response: Response | None, reason: ImmunoglobulinReason | None = None) -> ExposureAssessment:
        if response == Response.IMMUNOGLOBULIN and not ig_possible:
            response, reason = None, None
        return ExposureAssessment(
            timing=timing,
            response=response,
            window=window,
            vaccine_deadline=start + timedelta(hours=rules.pep_vaccine_window_hours.value),
            immunoglobulin_deadline=(start + timedelta(days=rules.pep_immunoglobulin_window_days.value)).date(),
            immunoglobulin_reason=reason,
            measles_immune=measles_immune,
        )

    # whatever the vaccination status or history
    if safety.immunocompromised:
        return answer(Response.IMMUNOGLOBULIN, ImmunoglobulinReason.IMMUNODEFICIENCY)
    if safety.has(Contraindication.PREGNANCY) and not measles_immune:
        return answer(Response.IMMUNOGLOBULIN, ImmunoglobulinReason.PREGNANCY)
    birth = person.birth
    if birth is None or counted is None or target is None:
        return answer(None)
    return answer(*_by_age(birth, person, counted, target, window, measles_immune, events, now.date(), rules))


def _by_age(
    birth: BirthBounds,
    person: Person,
    counted: int,
    target: DoseTarget,
    window: VaccineWindow,
    measles_immune: bool,
    events: SpacingEvents,
    today: date,
    rules: MmrParameters,
) -> tuple[Response | None, ImmunoglobulinReason | None]:
    youngest, oldest = (
        age_band(birth.youngest_age_months(today), rules),
        age_band(birth.oldest_age_months(today), rules),
    )
    if youngest != oldest:
        return Response.AGE_UNCERTAIN, None
    if youngest == AgeBand.UNDER_MIN:
        return Response.IMMUNOGLOBULIN, ImmunoglobulinReason.INFANT_UNDER_MIN_AGE
    if youngest == AgeBand.INFANT:
        if window == VaccineWindow.BEYOND:
            return Response.IMMUNOGLOBULIN, ImmunoglobulinReason.INFANT_BEYOND_WINDOW
        if window == VaccineWindow.UNCERTAIN:
            return Response.IMMUNOGLOBULIN, ImmunoglobulinReason.INFANT_WINDOW_UNCERTAIN
        if obstacles(today, events, AgeLimits.of(birth, rules.pep_min_age_months.value, rules), rules):
            return Response.IMMUNOGLOBULIN, ImmunoglobulinReason.INFANT_CANNOT_BE_VACCINATED
        return Response.INFANT_DOSE, None
    if measles_immune:
        return None, None
    if target.rule == TargetRule.BORN_SINCE_CUTOFF:
        return (Response.COMPLETE_SERIES, None) if target.owed(counted) else (None, None)
    if person.professional:
        return Response.PROFESSIONAL_DOSE, None
    return None, None
