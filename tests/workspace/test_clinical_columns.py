"""What the team knows of a contact's health, as columns, written as the FHIR the rules read: an immunodeficiency
(the live MMR vaccine is contraindicated), porphyria and severe liver disease (rifampicin), a certain history of
measles, an allergy whose severity nobody stated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import FROZEN_NOW
from prevention_cds.adapters.workspace_db import WorkspaceDatabase
from prevention_cds.settings import Settings
from prevention_cds.workspace.contacts import as_row
from prevention_cds.workspace.errors import Invalid
from prevention_cds.workspace.fhir_record import contact_resources
from prevention_cds.workspace.service import Actor, Workspace

NURSE = Actor("nurse", "editor")
CHILD = {"nom": "Fabre", "prenom": "Noah", "date_naissance": "2023-06-01", "situation": "creche-same-section",
         "dernier_contact": "2026-11-20 10:00"}
ADULT = {"nom": "Roux", "prenom": "Anne", "date_naissance": "1990-02-01", "situation": "household",
         "dernier_contact": "2026-11-20 10:00", "poids_kg": "60"}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    db = WorkspaceDatabase(f"sqlite:///{tmp_path / 'ws.sqlite3'}")
    db.upgrade()
    return Workspace(db, Settings().rule_settings, lambda: FROZEN_NOW)


def _decision(workspace: Workspace, disease: str, fields: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    case = {"rash_onset": "2026-11-19"} if disease == "measles" else {"serogroup": "unknown"}
    investigation = workspace.create_investigation(NURSE, {"title": "t", "disease": disease, "confirmed": "true",
                                                           **case})
    contact = workspace.add_contact(NURSE, investigation.id, fields)
    _, evaluation = workspace.evaluate_now(investigation.id, contact.id)
    return evaluation, evaluation.decision


@pytest.mark.parametrize("stated", [{"immunodepression": "oui"}, {"immunodepression_nature": "leucémie"},
                                    {"immunodepression": "Oui", "immunodepression_nature": "greffe rénale"}])
def test_an_immunocompromised_measles_contact_gets_no_live_vaccine(workspace: Workspace,
                                                                   stated: dict[str, str]) -> None:
    _, decision = _decision(workspace, "measles", CHILD | {"traitements": "chimiothérapie"} | stated)
    assert decision["kind"] == "immunoglobulin" and decision["vaccine"] is None, decision["summary"]["fr"]
    assert "pas de vaccin" in decision["summary"]["fr"]
    assert "mmr.contraindicated.immunodeficiency" in decision["rules"]
    assert not any("immunodépression est possible" in n["fr"] for n in decision["notes"])  # answered


def test_immunodeficiency_unknown_or_no_leaves_the_vaccine_and_a_treatment_asks_the_question(
        workspace: Workspace) -> None:
    _, decision = _decision(workspace, "measles", CHILD | {"immunodepression": "non"})
    assert decision["kind"] == "vaccination" and decision["notes"] == []
    _, decision = _decision(workspace, "measles", CHILD | {"prenom": "Léa", "traitements": "Méthotrexate 10 mg"})
    # the rules read the treatment (an immunosuppressant, whatever its dose): no live vaccine; the team is asked
    assert decision["kind"] == "immunoglobulin" and decision["vaccine"] is None, decision["summary"]["fr"]
    assert "mmr.contraindicated.immunodeficiency" in decision["rules"]
    (note,) = decision["notes"]
    assert "Méthotrexate 10 mg" in note["fr"] and "immunodépression" in note["fr"] and "MMR" in note["en"]


def test_the_columns_become_conditions_with_the_rules_codes(workspace: Workspace) -> None:
    investigation = workspace.create_investigation(NURSE, {"title": "t", "disease": "iim", "serogroup": "unknown"})
    contact = workspace.add_contact(NURSE, investigation.id, ADULT | {
        "immunodepression_nature": "VIH", "porphyrie": "oui", "hepatopathie_severe": "non",
        "antecedent_rougeole": "oui"})
    conditions = {r["id"].rsplit("-condition-", 1)[1]: r for r in contact_resources(contact, None, investigation)
                  if r["resourceType"] == "Condition"}
    assert set(conditions) == {"immunodeficiency", "porphyria", "measles-history"}  # "non" writes nothing
    assert conditions["immunodeficiency"]["code"]["coding"][0]["code"] == "370388006"
    assert conditions["immunodeficiency"]["code"]["text"] == "immunodépression : VIH"
    assert conditions["porphyria"]["code"]["coding"][0]["code"] == "418470004"
    row = as_row(contact)  # the edit form says it back
    assert (row["immunodepression"], row["immunodepression_nature"], row["porphyrie"], row["hepatopathie_severe"],
            row["antecedent_rougeole"]) == ("oui", "VIH", "oui", "non", "oui")


@pytest.mark.parametrize("column", ["porphyrie", "hepatopathie_severe"])
def test_porphyria_or_severe_liver_disease_turns_rifampicin_away(workspace: Workspace, column: str) -> None:
    _, decision = _decision(workspace, "iim", ADULT)
    assert decision["medication"]["medicine"].startswith("rifampicin")
    _, decision = _decision(workspace, "iim", ADULT | {"prenom": "Eve", column: "oui"})
    assert decision["kind"] == "prophylaxis" and not decision["medication"]["medicine"].startswith("rifampicin")


def test_a_whole_weight_is_written_as_entered(workspace: Workspace) -> None:
    investigation = workspace.create_investigation(NURSE, {"title": "t", "disease": "iim", "serogroup": "unknown"})
    contact = workspace.add_contact(NURSE, investigation.id, ADULT | {"poids_kg": "82,0"})
    (weight,) = [r for r in contact_resources(contact, None, investigation) if r["id"].endswith("-weight")]
    assert weight["valueQuantity"]["value"] == 82 and isinstance(weight["valueQuantity"]["value"], int)


def test_a_contradiction_or_an_unreadable_answer_is_said(workspace: Workspace) -> None:
    investigation = workspace.create_investigation(NURSE, {"title": "t", "disease": "measles"})
    with pytest.raises(Invalid) as raised:
        workspace.add_contact(NURSE, investigation.id, CHILD | {"immunodepression": "non",
                                                                "immunodepression_nature": "leucémie",
                                                                "porphyrie": "peut-être"})
    keys = {d.key for d in raised.value.details}
    assert keys == {"ws.import.error.immunodeficiency-contradiction", "ws.import.error.choice"}


@pytest.mark.parametrize("allergy", ["vaccin ROR", "néomycine"])
def test_an_allergy_typed_without_its_severity_is_to_check_not_harmless(workspace: Workspace, allergy: str) -> None:
    evaluation, decision = _decision(workspace, "measles", CHILD | {"allergies": allergy})
    facts = {m.key for a in evaluation.advice for m in a.facts}
    assert "mmr.fact.allergy-severity-unknown" in facts and "mmr.fact.allergy-not-severe" not in facts
    assert any("sévérité inconnue" in n["fr"] and "vérifier avant de vacciner" in n["fr"] for n in decision["notes"])
    investigation = workspace.investigation(evaluation.contact.investigation_id)
    (written,) = [r for r in contact_resources(evaluation.contact, None, investigation)
                  if r["resourceType"] == "AllergyIntolerance"]
    assert written["criticality"] == "unable-to-assess"

