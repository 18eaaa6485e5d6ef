"""Contact spreadsheets in and out: CSV (UTF-8, ``;`` or ``,``) and XLSX, French headers, one contact a line.

openpyxl reads and writes XLSX (the format hospital spreadsheets are saved in); the standard ``csv`` module the
CSV. Headers are matched without case or accents; an unknown column is an error (a misspelt ``poids_kg`` would
otherwise lose every weight).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

from prevention_cds.rules.advice import Message
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.contacts import COLUMNS, OPTIONAL_COLUMNS

CSV_TYPES = ("text/csv", "application/csv", "text/plain")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 20_000

TEMPLATE_EXAMPLE = {
    "nom": "Exemple", "prenom": "Camille", "date_naissance": "2016-03-14", "sexe": "F", "poids_kg": "27,5",
    "date_pesee": "2026-10-02", "situation": "Internat : même chambre", "dernier_contact": "2026-11-19 17:30",
    "grossesse": "non", "immunodepression": "non", "immunodepression_nature": "", "porphyrie": "non",
    "hepatopathie_severe": "non", "antecedent_rougeole": "inconnu", "allergies": "céphalosporines", "traitements": "",
    "doses_ror": "2012-04-02|2013-01-15",
    "profession": "autre", "telephone": "06 00 00 00 00", "commentaire": "ligne d'exemple à supprimer",
}


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line number in the file, values)


def _header(names: Sequence[Any]) -> list[str]:
    folded = [vocabulary.fold(str(n or "")).replace(" ", "_") for n in names]
    while folded and not folded[-1]:
        folded.pop()
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [str(names[i]) for i, name in enumerate(folded) if name not in known]
    if unknown:
        raise SpreadsheetError(Message.of("ws.import.file.unknown-columns", columns=", ".join(unknown),
                                          expected=", ".join(COLUMNS + OPTIONAL_COLUMNS)))
    for required in ("nom", "prenom"):
        if required not in folded:
            raise SpreadsheetError(Message.of("ws.import.file.missing-column", column=required))
    return folded


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(header: list[str], lines: Iterable[tuple[int, Sequence[Any]]]) -> Sheet:
    sheet = Sheet()
    for line, values in lines:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue  # blank lines are not contacts
        if len(sheet.rows) >= MAX_ROWS:
            raise SpreadsheetError(Message.of("ws.import.file.too-many-rows", max=MAX_ROWS))
        sheet.rows.append((line, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}))
    return sheet


def read_csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpreadsheetError(Message.of("ws.import.file.not-utf8")) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = _header(next(reader))
    except StopIteration:
        raise SpreadsheetError(Message.of("ws.import.file.empty")) from None
    except csv.Error:
        raise SpreadsheetError(Message.of("ws.import.file.not-csv")) from None
    try:
        return _rows(header, ((reader.line_num, values) for values in reader))
    except csv.Error:
        raise SpreadsheetError(Message.of("ws.import.file.not-csv")) from None


def read_xlsx(content: bytes) -> Sheet:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, EOFError):
        raise SpreadsheetError(Message.of("ws.import.file.not-xlsx")) from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        try:
            header = _header(list(next(lines)))
        except StopIteration:
            raise SpreadsheetError(Message.of("ws.import.file.empty")) from None
        return _rows(header, ((number, row) for number, row in enumerate(lines, start=2)))
    finally:
        workbook.close()


def read_spreadsheet(content: bytes, media_type: str, filename: str = "") -> Sheet:
    if media_type == XLSX_TYPE or filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        return read_xlsx(content)
    return read_csv(content)


# What a spreadsheet program reads as the start of a formula (OWASP, "CSV Injection"): a contact's name or comment
# such as =HYPERLINK(…) would run when the line list is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text cell that cannot start a formula: prefixed with an apostrophe (shown as written)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark and ``;``: what a French spreadsheet program opens without asking."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([inert(v) for v in header])
    writer.writerows([[inert(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Every text a string cell: openpyxl would store a text starting with ``=`` as a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])

    def cells(values: Sequence[Any]) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, "" if value is None else value)
            if isinstance(value, str):
                cell.data_type = "s"
            out.append(cell)
        return out

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    return write_csv(COLUMNS, [[TEMPLATE_EXAMPLE[c] for c in COLUMNS]])


def template_xlsx() -> bytes:
    return write_xlsx("contacts", COLUMNS, [[TEMPLATE_EXAMPLE[c] for c in COLUMNS]])
