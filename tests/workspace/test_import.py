"""Contacts in: CSV with ';' or ',', XLSX, French headers, dates in both French forms; every unreadable row named
with its line and reasons, nothing half-imported, a re-import never duplicates."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from prevention_cds.workspace import spreadsheet
from prevention_cds.workspace.contacts import COLUMNS, parse_moment
from prevention_cds.workspace.errors import Conflict
from prevention_cds.workspace.i18n import say
from prevention_cds.workspace.service import Actor, Workspace
from prevention_cds.workspace.spreadsheet import SpreadsheetError
from support.workspace import IIM_FILE

NURSE = Actor("nurse", "editor")
HEADER = "nom;prenom;date_naissance;sexe;poids_kg;situation;dernier_contact;allergies;doses_ror\n"


def _errors(report: object, line: int) -> list[str]:
    row = next(r for r in report.rows if r["line"] == line)  # type: ignore[attr-defined]
    return [say(e, "fr") for e in row["errors"]]


def test_comma_and_semicolon_csv_read_the_same(workspace: Workspace, investigation_id: str) -> None:
    semicolon = (HEADER + "Durand;Léa;14/03/2016;F;27,5;household;19/11/2026 14h30;;\n").encode()
    comma = (HEADER.replace(";", ",") + 'Martin,Paul,2016-03-14,M,"27,5",household,2026-11-19 14:30,,\n').encode()
    first = workspace.import_contacts(NURSE, investigation_id, semicolon, "text/csv")
    second = workspace.import_contacts(NURSE, investigation_id, comma, "text/csv")
    assert first.counts["created"] == second.counts["created"] == 1
    rows = workspace.contact_rows(investigation_id)
    assert {r.contact.weight_kg for r in rows} == {"27.5"}
    assert {r.contact.last_contact for r in rows} == {"2026-11-19T14:30+01:00"}
    assert all(r.contact.has_time for r in rows)


def test_every_unreadable_row_has_its_line_and_reasons_in_french(workspace: Workspace, investigation_id: str) -> None:
    content = (HEADER
               + "Bon;Contact;2016-01-01;F;30;household;2026-11-19;;\n"
               + ";Sans nom;2016-01-01;F;;household;2026-11-19;;\n"
               + "Date;Fausse;31/02/2016;X;-3;salle de bain;demain;;trois\n"
               + "Futur;Contact;2016-01-01;F;;household;2026-12-25 10:00;;\n").encode()
    report = workspace.import_contacts(NURSE, investigation_id, content, "text/csv")
    assert dict(report.counts) == {"created": 1, "rejected": 3}
    assert _errors(report, 3) == ["colonne « nom » vide"]
    reasons = " | ".join(_errors(report, 4))
    for expected in ("date_naissance : date « 31/02/2016 » illisible", "sexe : « X » non reconnu",
                     "poids « -3 » illisible", "situation « salle de bain » inconnue",
                     "dernier_contact : « demain » illisible", "doses ROR « trois » illisibles"):
        assert expected in reasons
    assert "dans le futur" in _errors(report, 5)[0]
    assert [r.contact.last_name for r in workspace.contact_rows(investigation_id)] == ["Bon"]  # no half row


def test_a_re_import_of_the_same_file_does_not_duplicate(workspace: Workspace, investigation_id: str) -> None:
    group = workspace.add_group(NURSE, investigation_id, {"name": "CM2 B", "setting": "other",
                                                          "last_contact": "2026-11-19 16:30"})
    content = IIM_FILE.read_bytes()
    first = workspace.import_contacts(NURSE, investigation_id, content, "text/csv", group_id=group.id)
    again = workspace.import_contacts(NURSE, investigation_id, content, "text/csv", group_id=group.id)
    assert first.counts["created"] == 25 and again.counts == {"unchanged": 25}
    changed = content.replace(b"Abadie;Lina;2016-02-10;F;32;", b"Abadie;Lina;2016-02-10;F;33;")
    third = workspace.import_contacts(NURSE, investigation_id, changed, "text/csv", group_id=group.id)
    assert third.counts == {"unchanged": 24, "updated": 1}
    assert len(workspace.contact_rows(investigation_id)) == 25


def test_xlsx_with_dates_as_cells(workspace: Workspace, investigation_id: str) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["Nom", "Prénom", "Date naissance", "Sexe", "Poids kg", "Situation", "Dernier contact"])
    sheet.append(["Xavier", "Lou", datetime(2016, 5, 1), "F", 30.5, "household", datetime(2026, 11, 20, 8, 15)])
    sheet.append(["Yves", "Tim", "2016-05-01", "M", None, "household", "2026-11-20"])
    out = io.BytesIO()
    book.save(out)
    report = workspace.import_contacts(NURSE, investigation_id, out.getvalue(), spreadsheet.XLSX_TYPE)
    assert report.counts == {"created": 2}
    rows = {r.contact.last_name: r for r in workspace.contact_rows(investigation_id)}
    assert rows["Xavier"].contact.last_contact == "2026-11-20T08:15+01:00" and rows["Xavier"].contact.has_time
    medication = rows["Xavier"].decision["medication"]
    assert medication["weight_kg"] == "30.5"  # the number cell read as it is
    # 10 mg/kg of 30.5 kg is 305 mg: at 10 years, one 300 mg capsule a dose (within 10 %, docs/clinical-decisions.md)
    assert (medication["medicine"], medication["dose_mg"]) == ("rifampicin-capsule", "300")
    assert rows["Yves"].decision["kind"] == "weight-needed"


@pytest.mark.parametrize(("content", "key"), [
    (b"nom;prenom;poid_kg\nA;B;3\n", "ws.import.file.unknown-columns"),
    (b"prenom;sexe\nB;F\n", "ws.import.file.missing-column"),
    ("nom;prenom\nDüpont;Léa\n".encode("latin-1"), "ws.import.file.not-utf8"),
    (b"", "ws.import.file.empty"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(content: bytes, key: str) -> None:
    with pytest.raises(SpreadsheetError) as refused:
        spreadsheet.read_spreadsheet(content, "text/csv")
    assert refused.value.message.key == key


def test_the_expected_columns_name_the_optional_group_and_the_clinical_columns() -> None:
    with pytest.raises(SpreadsheetError) as refused:
        spreadsheet.read_spreadsheet(b"nom;prenom;poid_kg\nA;B;3\n", "text/csv")
    expected = str(refused.value.message.params["expected"]).split(", ")
    assert {"groupe", "immunodepression", "immunodepression_nature", "porphyrie", "hepatopathie_severe",
            "antecedent_rougeole"} <= set(expected)


def test_a_broken_xlsx_is_refused() -> None:
    with pytest.raises(SpreadsheetError) as refused:
        spreadsheet.read_spreadsheet(b"PK\x03\x04 not really a zip", spreadsheet.XLSX_TYPE)
    assert refused.value.message.key == "ws.import.file.not-xlsx"


def test_templates_have_the_columns_and_read_back(workspace: Workspace, investigation_id: str) -> None:
    csv_text = spreadsheet.template_csv().decode("utf-8-sig")
    assert csv_text.splitlines()[0] == ";".join(COLUMNS)
    book = load_workbook(io.BytesIO(spreadsheet.template_xlsx()))
    assert [c.value for c in book.active[1]] == list(COLUMNS)
    for content, kind in ((spreadsheet.template_csv(), "text/csv"), (spreadsheet.template_xlsx(), spreadsheet.XLSX_TYPE)):
        assert spreadsheet.read_spreadsheet(content, kind).rows[0][1]["nom"] == "Exemple"


def test_an_import_is_one_transaction(workspace: Workspace, investigation_id: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure half-way (the server killed, the database gone) leaves no contact behind."""
    from prevention_cds.workspace import service

    calls = {"n": 0}
    original = service.evaluate_contact  # type: ignore[attr-defined]  # replaced where the service looks it up

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt  # as a SIGINT/SIGTERM mid-import would
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "evaluate_contact", failing)
    with pytest.raises(KeyboardInterrupt):
        workspace.import_contacts(NURSE, investigation_id, IIM_FILE.read_bytes(), "text/csv")
    monkeypatch.setattr(service, "evaluate_contact", original)
    assert workspace.contact_rows(investigation_id) == []


def test_closed_investigation_refuses_contacts(workspace: Workspace, investigation_id: str) -> None:
    workspace.close(NURSE, investigation_id)
    with pytest.raises(Conflict):
        workspace.import_contacts(NURSE, investigation_id, IIM_FILE.read_bytes(), "text/csv")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-19", ("2026-11-19T00:00:00+01:00", False)),
    ("19/11/2026 08:05", ("2026-11-19T08:05:00+01:00", True)),
    ("19/11/2026 8h", ("2026-11-19T08:00:00+01:00", True)),
    ("2026-11-19T25:00", None),
    ("19 novembre", None),
])
def test_moments(text: str, expected: tuple[str, bool] | None) -> None:
    moment = parse_moment(text)
    assert (None if moment is None else (moment[0].isoformat(), moment[1])) == expected
