"""The parts of a dose card after a measles contact: the window, the rule applied, the infant and professional
cases."""

from __future__ import annotations

from dataclasses import dataclass, field

from prevention_cds.rules.advice import Message
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.mmr.assessment import MmrAssessment
from prevention_cds.rules.mmr.post_exposure import ExposureAssessment, Response, VaccineWindow
from prevention_cds.rules.mmr.schedule import PlannedDose


@dataclass
class PostExposureParts:
    rule: Message
    explanation: list[Message] = field(default_factory=list)
    decisions: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)


def post_exposure_parts(
    a: MmrAssessment, exposure: ExposureAssessment, plan: tuple[PlannedDose, ...], cites: Citations
) -> tuple[Message, PostExposureParts]:
    """The summary and the parts of the card; cites the window and the rule of the patient's group."""
    r, first = a.rules, plan[0]
    cutoff, min_months, min_days = r.born_since_cutoff.value, r.min_age_months.value, r.min_interval_days.value
    pep_months, smpc_months = r.pep_min_age_months.value, r.smpc_min_age_months.value
    parts = PostExposureParts(
        Message.of("mmr.rule.pep.complete", cutoff=cutoff, doses=a.target.doses, min_months=min_months)
    )
    hours = cites.cite(r.pep_vaccine_window_hours)
    parts.explanation.append(_window_message(exposure, hours))
    if exposure.window == VaccineWindow.UNCERTAIN:
        parts.decisions.append(Message.of("mmr.decision.exposure-time-unknown", hours=hours))
    if exposure.response == Response.INFANT_DOSE:
        cites.add(r.pep_min_age_months, r.min_age_months)
        parts.rule = Message.of("mmr.rule.pep.infant", from_months=pep_months, to_months=min_months - 1, hours=hours)
        parts.explanation.append(
            Message.of(
                "mmr.explain.pep.infant-uncounted", min_months=min_months, doses=a.target.doses, min_days=min_days
            )
        )
        if a.birth.youngest_age_months(a.today) < smpc_months:
            off_label = Message.of("mmr.explain.pep.off-label", pep_months=pep_months, smpc_months=smpc_months)
            parts.explanation.append(off_label)
            parts.notes.append(off_label)
            parts.decisions.append(
                Message.of("mmr.decision.pep-off-label", pep_months=pep_months, smpc_months=smpc_months)
            )
        summary = Message.of(
            "mmr.summary.pep.infant", deadline=exposure.vaccine_deadline, doses=a.target.doses, min_months=min_months
        )
        return summary, parts
    if exposure.response == Response.PROFESSIONAL_DOSE:
        doses = cites.cite(r.professional_pep_doses)
        parts.rule = Message.of("mmr.rule.pep.professional", doses=doses)
        parts.explanation.append(Message.of("mmr.explain.pep.professional", doses=doses))
        parts.decisions.append(Message.of("mmr.decision.professional-immunity"))
        return Message.of("mmr.summary.pep.professional", doses=doses), parts
    parts.explanation.append(
        Message.of(
            "mmr.explain.pep.complete", cutoff=cutoff, min_months=min_months, doses=a.target.doses, min_days=min_days
        )
    )
    key = "mmr.summary.pep.complete" if first.due <= a.today else "mmr.summary.pep.complete-from"
    return Message.of(key, dose=first.number, series=first.series, due=first.due), parts


def _window_message(exposure: ExposureAssessment, hours: int) -> Message:
    match exposure.window:
        case VaccineWindow.WITHIN:
            return Message.of("mmr.explain.pep.within", hours=hours, deadline=exposure.vaccine_deadline)
        case VaccineWindow.BEYOND:  # on the card: the dose may no longer prevent this infection
            return Message.decisive_of("mmr.explain.pep.beyond", hours=hours)
        case VaccineWindow.UNCERTAIN:
            return Message.decisive_of("mmr.explain.pep.uncertain", hours=hours)
