"""The investigation as files: the line list (CSV, XLSX) and a FHIR transaction Bundle that loads into any R4
server (Patients, exposure Observations, and the MedicationRequests and ImmunizationRecommendations the cards
carry, built by the same ``fhir_out`` builders)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from prevention_cds.adapters.workspace_db import ContactGroup, Investigation
from prevention_cds.fhir_out.fhir_resources import ResourceContext, immunization_recommendation, medication_request
from prevention_cds.rules.advice import ProposeImmunization, ProposeMedication
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.evaluation import ContactEvaluation, status_of
from prevention_cds.workspace.fhir_record import contact_resources, exposure_of, patient_id
from prevention_cds.workspace.i18n import t

LINE_LIST_COLUMNS = ("nom", "prenom", "date_naissance", "sexe", "groupe", "situation", "dernier_contact",
                     "decision", "medicament", "dose_mg", "volume_ml", "prises", "duree_jours", "a_delivrer",
                     "vaccin", "vaccin_avant_le", "statut", "etat", "etat_modifie_par", "etat_modifie_le",
                     "telephone")
# Resources of a contact written to the Bundle: the ones that describe the exposure and the person.
BUNDLE_TYPES = ("Patient", "Observation", "AllergyIntolerance", "MedicationStatement", "Immunization")


def dispense_text(medication: dict[str, Any] | None, language: str) -> str:
    if not medication or not medication.get("dispense"):
        return ""
    dispense = medication["dispense"]
    return t(f"ws.dispense.{dispense['form']}", language, amount=dispense["amount"])


def line_list_rows(rows: list[tuple[ContactEvaluation, ContactGroup | None]], language: str) -> list[list[Any]]:
    out = []
    for evaluation, group in rows:
        contact, decision = evaluation.contact, evaluation.decision
        exposure = exposure_of(contact, group)
        medication, vaccine = decision.get("medication") or {}, decision.get("vaccine") or {}
        out.append([
            contact.last_name, contact.first_name, contact.birth_date or "", t(f"ws.sex.{contact.sex}", language),
            group.name if group else "", vocabulary.setting_label(exposure.setting, language) if exposure.setting
            else "", exposure.last_contact.strftime("%Y-%m-%d %H:%M" if exposure.has_time else "%Y-%m-%d")
            if exposure.last_contact else "",
            decision["summary"][language], (medication.get("text") or {}).get(language, ""),
            medication.get("dose_mg") or "", medication.get("volume_ml") or "", medication.get("times") or "",
            medication.get("days") or "", dispense_text(medication, language),
            (vaccine.get("text") or {}).get(language, ""), vaccine.get("by") or "",
            t(f"ws.status.{status_of(decision, contact)}", language),
            t(f"ws.state.{contact.state}", language), contact.state_by, contact.state_at, contact.phone,
        ])
    return out


def _rewrite_references(value: Any, urls: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: (urls.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite_references(v, urls))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_references(v, urls) for v in value]
    return value


def transaction_bundle(investigation: Investigation, rows: list[tuple[ContactEvaluation, ContactGroup | None]],
                       now: datetime, language: str) -> dict[str, Any]:
    """Every resource POSTed with a ``urn:uuid`` fullUrl and references between them rewritten to it, so that the
    server assigns the ids (servers that refuse client ids accept it) and keeps the links."""
    resources: list[dict[str, Any]] = []
    for evaluation, group in rows:
        contact = evaluation.contact
        pid = patient_id(contact)
        resources += [r for r in contact_resources(contact, group, investigation)
                      if r["resourceType"] in BUNDLE_TYPES]
        ctx = ResourceContext(patient_id=pid, now=now, language=language, intent="proposal")
        for advice in evaluation.advice:
            for suggestion in advice.suggestions:
                if not suggestion.recommended and len(advice.suggestions) > 1:
                    continue  # the recommended option only: alternatives are not prescriptions
                for action in suggestion.actions:
                    if isinstance(action, ProposeMedication):
                        resources.append(medication_request(action.proposal, ctx))
                    elif isinstance(action, ProposeImmunization):
                        resources.append(immunization_recommendation(action.forecast, ctx))
    urls = {f"{r['resourceType']}/{r['id']}": f"urn:uuid:{uuid.uuid4()}" for r in resources}
    entries = []
    for resource in resources:
        full_url = urls[f"{resource['resourceType']}/{resource['id']}"]
        # the EHR's index-case Condition is not part of the Bundle: no reference to it
        body = _rewrite_references({k: v for k, v in resource.items() if k not in ("id", "focus")}, urls)
        entries.append({"fullUrl": full_url, "resource": body,
                        "request": {"method": "POST", "url": resource["resourceType"]}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
