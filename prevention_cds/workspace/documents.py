"""Printable documents: a one-page prescription per contact (prescriber fields to sign, the free-vaccine mention
where it applies), an information sheet for the contact or the parents, the ARS notification summary, and a ZIP
of every prescription. HTML from Jinja2 templates, PDF by WeasyPrint (a layout engine of HTML and CSS with no
browser: the same template serves the page and the paper)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from prevention_cds.adapters.workspace_db import ContactGroup, Investigation
from prevention_cds.fhir_out import products
from prevention_cds.fhir_out.i18n import format_value
from prevention_cds.rules.advice import MedicationProposal, Message
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.evaluation import BLOCKED_KINDS, ContactEvaluation, main_proposal
from prevention_cds.workspace.fhir_record import exposure_of
from prevention_cds.workspace.i18n import number, say, t
from prevention_cds.workspace.outputs import dispense_text


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("prevention_cds.workspace", "templates"),
                      autoescape=select_autoescape(("html",)), trim_blocks=True, lstrip_blocks=True)
    env.globals["t"] = t
    env.globals["setting_label"] = vocabulary.setting_label
    env.filters["moment"] = moment_text
    env.filters["number"] = number
    return env


def moment_text(value: str | None, language: str) -> str:
    """A stored ISO date or moment as a person reads it (JJ/MM/AAAA [HH:MM] in French)."""
    if not value:
        return ""
    if len(value) <= 10:
        return format_value(date.fromisoformat(value) if len(value) == 10 else value, language)
    return format_value(datetime.fromisoformat(value), language)


# what the cards say of a measure that comes later (a vaccine once old enough): the information sheet says it too
LATER_KEYS = frozenset({"iim.vaccination.too-young"})
CONTRACEPTIVE_GROUP = "iim.interaction.group.hormonal-contraceptive"


def _raises_contraception(message: Message) -> bool:
    """The card warns that the antibiotic weakens a hormonal contraception (in general, or the one recorded)."""
    if message.key == "iim.precaution.rifampicin.contraception":
        return True
    group = message.params.get("group") if message.key == "iim.interaction.found" else None
    return isinstance(group, Message) and group.key == CONTRACEPTIVE_GROUP


@dataclass(frozen=True)
class PrescriptionLine:
    medicine: str
    instruction: str
    dispense: str
    notes: tuple[str, ...]
    free_vaccine: bool


def prescription_lines(evaluation: ContactEvaluation, language: str) -> list[PrescriptionLine]:
    """The medicines the rules recommend to this contact now (the recommended option of each card)."""
    lines = []
    seen: set[str] = set()
    for advice in evaluation.advice:
        proposal: MedicationProposal | None = main_proposal(advice)
        if proposal is None or proposal.medicine.value in seen:
            continue
        seen.add(proposal.medicine.value)
        medication = {"dispense": {"amount": proposal.dispense.quantity, "form": proposal.dispense.unit.value},
                      "dose_mg": proposal.dose_mg} if proposal.dispense else None
        lines.append(PrescriptionLine(
            medicine=products.medicine_text(proposal.medicine.value, language),
            instruction=say(proposal.instruction, language),
            dispense=dispense_text(medication, language),
            notes=tuple(say(n, language) for n in proposal.notes),
            free_vaccine=proposal.free_vaccine,
        ))
    return lines


def _context(investigation: Investigation, evaluation: ContactEvaluation, group: ContactGroup | None,
             now: datetime, language: str) -> dict[str, Any]:
    contact = evaluation.contact
    exposure = exposure_of(contact, group)
    return {"lang": language, "investigation": investigation, "contact": contact, "decision": evaluation.decision,
            "exposure": exposure, "now": now, "lines": prescription_lines(evaluation, language),
            "pending": evaluation.decision.get("kind") in BLOCKED_KINDS,
            "patient_instructions": _patient_instructions(evaluation, language),
            "contraception": any(_raises_contraception(m) for a in evaluation.advice for m in a.explanation),
            "later": [say(m, language).replace("**", "") for a in evaluation.advice for m in a.explanation
                      if m.key in LATER_KEYS],
            "drugs": sorted({p.medicine.value.split("-")[0] for a in evaluation.advice
                             if (p := main_proposal(a)) is not None})}


def _patient_instructions(evaluation: ContactEvaluation, language: str) -> list[str]:
    texts = []
    for advice in evaluation.advice:
        proposal = main_proposal(advice)
        if proposal is not None and proposal.patient_instruction is not None:
            texts.append(say(proposal.patient_instruction, language))
    return texts


def render_html(template: str, pdf: bool = True, **context: Any) -> str:
    """The document's HTML; for a PDF without its inline style (the parsed stylesheet is given to WeasyPrint)."""
    return environment().get_template(template).render(pdf=pdf, **context)


@cache
def _print_style() -> tuple[Any, Any]:
    """The print stylesheet parsed once, with one font configuration (fonts are found and loaded once)."""
    from weasyprint import CSS  # imported on first use: a second of start-up the CDS Hooks path never pays
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return CSS(string=environment().get_template("print.css").render(), font_config=fonts), fonts


def warm_up() -> None:
    """WeasyPrint imported, the stylesheet parsed and the fonts loaded once, before the server forks its workers:
    the first prescription of each worker then costs what the others cost."""
    pdf("<p>prevention-cds</p>")


def pdf(html: str) -> bytes:
    from weasyprint import HTML

    style, fonts = _print_style()
    document: bytes = HTML(string=html).write_pdf(stylesheets=[style], font_config=fonts)
    return document


def prescription_html(investigation: Investigation, evaluation: ContactEvaluation, group: ContactGroup | None,
                      now: datetime, language: str) -> str:
    return render_html("prescription.html", **_context(investigation, evaluation, group, now, language))


def prescription_pdf(investigation: Investigation, evaluation: ContactEvaluation, group: ContactGroup | None,
                     now: datetime, language: str) -> bytes:
    return pdf(prescription_html(investigation, evaluation, group, now, language))


def information_pdf(investigation: Investigation, evaluation: ContactEvaluation, group: ContactGroup | None,
                    now: datetime, language: str) -> bytes:
    return pdf(render_html("information.html", **_context(investigation, evaluation, group, now, language)))


def has_prescription(evaluation: ContactEvaluation) -> bool:
    return any(main_proposal(a) is not None for a in evaluation.advice)


def file_name(evaluation: ContactEvaluation, kind: str) -> str:
    contact = evaluation.contact
    name = "-".join(vocabulary.fold(f"{contact.last_name} {contact.first_name}").split()) or "contact"
    return f"{kind}-{contact.id}-{name}.pdf"


def prescriptions_zip(investigation: Investigation, rows: Iterable[tuple[ContactEvaluation, ContactGroup | None]],
                      now: datetime, language: str, progress: Callable[[int], None] = lambda done: None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, (evaluation, group) in enumerate(rows, start=1):
            if has_prescription(evaluation):
                archive.writestr(file_name(evaluation, "ordonnance"),
                                 prescription_pdf(investigation, evaluation, group, now, language))
            progress(done)
    return out.getvalue()


def notification_context(investigation: Investigation, rows: list[tuple[ContactEvaluation, ContactGroup | None]],
                         language: str) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    prescribed = 0
    for evaluation, _ in rows:
        kind = evaluation.decision["kind"]
        kinds[kind] = kinds.get(kind, 0) + 1
        if evaluation.contact.state in ("prescribed", "dispensed", "taken"):
            prescribed += 1
    vaccine = sum(1 for e, _ in rows if e.decision.get("vaccine"))
    return {"lang": language, "investigation": investigation, "total": len(rows), "kinds": kinds,
            "prescribed": prescribed, "vaccine": vaccine, "message": lambda m: say(Message.of(m), language)}


def notification_html(investigation: Investigation, rows: list[tuple[ContactEvaluation, ContactGroup | None]],
                      language: str, *, for_pdf: bool = False) -> str:
    return render_html("notification.html", for_pdf, **notification_context(investigation, rows, language))
