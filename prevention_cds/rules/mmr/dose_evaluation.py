"""The MMR doses of the record, each judged: counted, or rejected with every reason (MMRV counts as MMR)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import PatientRecord, VaccineDose
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds
from prevention_cds.rules.mmr.validity import (
    AgeLimits,
    Obstacle,
    PriorVaccine,
    RejectionReason,
    SpacingEvents,
    obstacles,
)

MMR_CONCEPTS = frozenset({Concept.MMR_VACCINE, Concept.MMRV_VACCINE})


@dataclass(frozen=True)
class MmrDose:
    given_on: date
    display: str
    source_id: str | None
    with_varicella: bool  # MMRV: counts as an MMR dose

    @staticmethod
    def of(dose: VaccineDose) -> MmrDose:
        return MmrDose(dose.given_on, dose.display, dose.source_id, dose.is_a(Concept.MMRV_VACCINE))

    @property
    def as_prior(self) -> PriorVaccine:
        return PriorVaccine(self.given_on, self.display)


@dataclass(frozen=True)
class DoseVerdict:
    dose: MmrDose
    obstacles: tuple[Obstacle, ...]

    @property
    def counted(self) -> bool:
        return not self.obstacles


@dataclass(frozen=True)
class DoseHistory:
    verdicts: tuple[DoseVerdict, ...]
    events: SpacingEvents  # every MMR, live vaccine and immunoglobulin date up to today

    # computed once: the cards and the plan read them many times
    @cached_property
    def counted(self) -> tuple[DoseVerdict, ...]:
        return tuple(v for v in self.verdicts if v.counted)

    @cached_property
    def rejected(self) -> tuple[DoseVerdict, ...]:
        return tuple(v for v in self.verdicts if not v.counted)

    @property
    def counted_number(self) -> int:
        return len(self.counted)

    @property
    def supporting_immunizations(self) -> tuple[str, ...]:
        return tuple(v.dose.source_id for v in self.counted if v.dose.source_id)


def is_mmr(dose: VaccineDose) -> bool:
    return bool(dose.concepts & MMR_CONCEPTS)


def mmr_doses(record: PatientRecord) -> tuple[MmrDose, ...]:
    return tuple(MmrDose.of(d) for d in sorted(record.vaccine_doses, key=lambda d: d.given_on) if is_mmr(d))


def spacing_events(record: PatientRecord, today: date) -> SpacingEvents:
    """What the record says about the next dose; doses dated after today are data errors and ignored."""
    return SpacingEvents(
        mmr_doses=tuple(d.as_prior for d in mmr_doses(record) if d.given_on <= today),
        other_live_vaccines=tuple(
            PriorVaccine(d.given_on, d.display, d.is_a(Concept.YELLOW_FEVER_VACCINE))
            for d in record.vaccine_doses
            if d.is_a(Concept.LIVE_VACCINE) and not is_mmr(d) and d.given_on <= today
        ),
        immunoglobulins=tuple(g for g in record.immunoglobulin_dates if g <= today),
    )


def evaluate_doses(record: PatientRecord, birth: BirthBounds, today: date, rules: MmrParameters) -> DoseHistory:
    events = spacing_events(record, today)
    limits = AgeLimits.of(birth, rules.min_age_months.value, rules)  # a dose that may be too early does not count
    verdicts: list[DoseVerdict] = []
    earlier: list[PriorVaccine] = []
    for dose in mmr_doses(record):
        if dose.given_on > today:
            future = Obstacle(RejectionReason.FUTURE_DATE, dose.given_on, dose.given_on)
            verdicts.append(DoseVerdict(dose, (future,)))
            continue
        prior = SpacingEvents(tuple(earlier), events.other_live_vaccines, events.immunoglobulins)
        verdicts.append(DoseVerdict(dose, obstacles(dose.given_on, prior, limits, rules)))
        earlier.append(dose.as_prior)
    return DoseHistory(tuple(verdicts), events)
