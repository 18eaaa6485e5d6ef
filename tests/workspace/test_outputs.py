"""What the workspace hands out: a one-page PDF prescription per contact (prescriber fields, the free-vaccine
mention), the information sheet, the line list (CSV and XLSX), the FHIR transaction Bundle (valid R4, the
project's profiles, loaded into a real FHIR server), the notification summary and the ZIP of prescriptions."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import FROZEN_NOW
from fhir_server_harness import MedplumServer
from prevention_cds import terminology
from prevention_cds.fhir_out.fhir_resources import MEDICATION_REQUEST_PROFILE, RECOMMENDATION_PROFILE
from support.profile_validator import validate
from support.workspace import IIM_FILE, MEASLES_FILE, Browser, Clock, login, workspace_app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def _investigation(editor: Browser, disease: str, path: Path, **case: Any) -> tuple[str, dict[str, int]]:
    created = editor.api("POST", "/api/investigations", json={
        "title": "Classe", "disease": disease, "team_name": "EOH CHU Exemple", "team_phone": "01 00 00 00 00", **case})
    investigation_id = created.json["id"]
    group = ""
    if disease == "iim":
        group = "?group_id=" + str(editor.api("POST", f"/api/investigations/{investigation_id}/groups", json={
            "name": "CM2 B", "setting": "other", "last_contact": "2026-11-19 16:30"}).json["id"])
    report = editor.api("POST", f"/api/investigations/{investigation_id}/contacts{group}", data=path.read_bytes(),
                        content_type="text/csv")
    assert report.status_code == 200 and report.json["counts"]["rejected"] == 0
    contacts = editor.api("GET", f"/api/investigations/{investigation_id}/contacts").json["contacts"]
    return investigation_id, {f"{c['last_name']} {c['first_name']}": c["id"] for c in contacts}


def _pdf_text(body: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(body))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_prescription_is_one_page_with_the_dose_and_the_prescriber_fields(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, ids = _investigation(editor, "iim", IIM_FILE, serogroup="W")
    response = editor.client.get(f"/workspace/investigations/{investigation_id}/contacts/{ids['Abadie Lina']}"
                                 "/prescription.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages, text = _pdf_text(response.data)
    assert pages == 1
    flat = " ".join(text.split())
    # 10 years, 32 kg: one 300 mg capsule a dose (within 10 % of 320 mg), the course's 4 capsules to dispense
    for expected in ("Ordonnance", "ABADIE Lina", "10/02/2016", "Prescripteur", "RPPS", "Signature",
                     "Rifampicine 300 mg gélule", "300 mg (1 gélule)", "arrondi à la gélule",
                     "Quantité à délivrer : 4 gélules", "Vaccin méningococcique ACWY conjugué", "EOH CHU Exemple"):
        assert expected in flat, expected
    assert "vaccin ROR gratuit" not in flat
    # 35 kg: no whole number of capsules within 10 % of 350 mg, the suspension, one bottle for the course
    suspension = editor.client.get(f"/workspace/investigations/{investigation_id}/contacts/{ids['Fabre Léo']}"
                                   "/prescription.pdf")
    flat = " ".join(_pdf_text(suspension.data)[1].split())
    for expected in ("FABRE Léo", "Rifampicine 2 % suspension buvable", "350 mg (17,5 mL)",
                     "Quantité à délivrer : 1 flacon de suspension buvable"):
        assert expected in flat, expected


def test_prescription_without_the_weight_says_the_antibiotic_is_still_due(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, ids = _investigation(editor, "iim", IIM_FILE, serogroup="W")
    flat = _document(editor, investigation_id, ids["Caron Jade"], "prescription")
    assert "Vaccin méningococcique ACWY conjugué" in flat and "Rifampicine" not in flat
    assert "Pas encore sur cette ordonnance" in flat and "poids" in flat.split("Pas encore sur cette ordonnance")[1]


def test_prescription_of_a_free_mmr_vaccine_carries_the_mention(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, ids = _investigation(editor, "measles", MEASLES_FILE, rash_onset="2026-11-19", confirmed=True)
    infant = editor.client.get(f"/api/investigations/{investigation_id}/contacts/{ids['Collin Anna']}/prescription.pdf")
    pages, text = _pdf_text(infant.data)
    assert pages == 1 and "ROR" in text
    # the mention under the name, and the cost note that explains it
    assert " ".join(text.split()).count("vaccin ROR gratuit") == 2
    adult = editor.client.get(f"/api/investigations/{investigation_id}/contacts/{ids['Mercier Odile']}"
                              "/prescription.pdf")
    assert " ".join(_pdf_text(adult.data)[1].split()).count("vaccin ROR gratuit") == 1  # the note only
    nothing = editor.client.get(f"/api/investigations/{investigation_id}/contacts/{ids['Joly Sacha']}"
                                "/prescription.pdf")
    assert nothing.status_code == 409  # nothing to prescribe
    english = editor.client.get(f"/api/investigations/{investigation_id}/contacts/{ids['Collin Anna']}"
                                "/information.pdf", headers={"Accept-Language": "en"})
    assert "Information for the contact" in _pdf_text(english.data)[1]


def _document(editor: Browser, investigation_id: str, contact_id: int, kind: str) -> str:
    """A contact's PDF document (information, prescription), its text on one line."""
    response = editor.client.get(f"/workspace/investigations/{investigation_id}/contacts/{contact_id}/{kind}.pdf")
    assert response.status_code == 200
    return " ".join(_pdf_text(response.data)[1].split())


def test_information_sheet_says_what_to_take_what_to_expect_and_whom_to_call(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, ids = _investigation(editor, "iim", IIM_FILE, serogroup="unknown")
    text = _document(editor, investigation_id, ids["Roussel Emma"], "information")
    for expected in ("Rifampicine 300 mg gélule", "rouge orangé", "pilule", "01 00 00 00 00", "15"):
        assert expected in text, expected


def test_a_neonate_s_sheet_says_the_vaccine_comes_later_and_nothing_of_the_pill(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, ids = _investigation(editor, "iim", IIM_FILE, serogroup="W")
    text = _document(editor, investigation_id, ids["Tessier Mia"], "information")
    assert "rouge orangé" in text and "pilule" not in text and "contraceptifs" not in text
    assert "Plus tard" in text and "vaccin" in text.split("Plus tard")[1]
    prescription = _document(editor, investigation_id, ids["Tessier Mia"], "prescription")
    assert "poids 4,5 kg" in prescription  # a decimal comma in French


def test_line_list_csv_and_xlsx_have_one_row_per_contact(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, ids = _investigation(editor, "iim", IIM_FILE, serogroup="unknown")
    editor.api("PUT", f"/api/investigations/{investigation_id}/contacts/{ids['Abadie Lina']}/state",
               json={"state": "prescribed"})
    csv_body = editor.client.get(f"/workspace/investigations/{investigation_id}/line-list.csv")
    lines = csv_body.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 26 and lines[0].startswith("nom;prenom;date_naissance")
    abadie = next(line.split(";") for line in lines if line.startswith("Abadie;"))
    assert abadie[9:14] == ["300", "", "4", "2", "4 gélules"]  # capsules: no volume
    fabre = next(line.split(";") for line in lines if line.startswith("Fabre;"))
    assert fabre[9:14] == ["350", "17.5", "4", "2", "1 flacon de suspension buvable"]
    assert "prescrit" in abadie and "editor" in abadie
    workbook = load_workbook(io.BytesIO(editor.client.get(f"/api/investigations/{investigation_id}/line-list.xlsx")
                                        .data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 26 and rows[0][0] == "nom"


def test_bundle_is_a_valid_transaction_with_the_projects_profiles(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, _ = _investigation(editor, "iim", IIM_FILE, serogroup="W")
    bundle: dict[str, Any] = editor.client.get(f"/api/investigations/{investigation_id}/bundle.json").get_json()
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("Patient") == 25
    assert kinds.count("MedicationRequest") == 22  # 12 dosable courses and 10 vaccines
    assert kinds.count("ImmunizationRecommendation") == 10
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for resource in resources:
        for key in ("subject", "patient"):
            if key in resource:
                assert resource[key]["reference"] in full_urls
        profiles = resource.get("meta", {}).get("profile", [])
        for profile in profiles:
            assert profile in (terminology.EXPOSURE_PROFILE, MEDICATION_REQUEST_PROFILE, RECOMMENDATION_PROFILE)
            assert validate({**resource, "id": "x"}, profile) == [], resource["resourceType"]


@pytest.mark.integration
def test_bundle_loads_into_a_fhir_server(app: Flask, fhir_server: MedplumServer) -> None:
    editor = login(app, "editor")
    investigation_id, _ = _investigation(editor, "measles", MEASLES_FILE, rash_onset="2026-11-19")
    bundle: dict[str, Any] = editor.client.get(f"/api/investigations/{investigation_id}/bundle.json").get_json()
    loaded = fhir_server.load_bundle(bundle)
    assert loaded["type"] == "transaction-response"
    assert all(entry["response"]["status"].startswith("2") for entry in loaded["entry"])


def test_notification_summary_is_prefilled(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, _ = _investigation(editor, "iim", IIM_FILE, serogroup="W", confirmed=True,
                                         diagnosis_date="2026-11-20", case_initials="T.A.", case_postcode="75011")
    html = editor.client.get(f"/workspace/investigations/{investigation_id}/notification.html").get_data(as_text=True)
    for expected in ("infection invasive à méningocoque", "T.A.", "75011", "2026-11-20", ">W<", ">25<"):
        assert expected in html, expected
    pdf = editor.client.get(f"/api/investigations/{investigation_id}/notification.pdf")
    assert pdf.mimetype == "application/pdf" and "Signalement" in _pdf_text(pdf.data)[1]


def test_zip_of_prescriptions_is_built_in_the_background_with_its_progress(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id, _ = _investigation(editor, "iim", IIM_FILE, serogroup="unknown")
    started = editor.api("POST", f"/api/investigations/{investigation_id}/prescriptions-zip")
    assert started.status_code == 202 and started.json["total"] == 25
    deadline = time.monotonic() + 60
    while (job := editor.api("GET", f"/api/exports/{started.json['id']}").json)["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job["status"] == "done" and job["done"] == 25
    archive = zipfile.ZipFile(io.BytesIO(editor.client.get(job["file"]).data))
    names = archive.namelist()
    assert len(names) == 12  # the 12 contacts with a dosable course today
    assert any(name.endswith("abadie-lina.pdf") for name in names)
