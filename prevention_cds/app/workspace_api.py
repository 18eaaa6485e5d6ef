"""The workspace's JSON API (``/api/``): every action of the pages, described in docs/openapi.yaml. It takes the
login session (with its CSRF token in ``X-CSRFToken``) or an account's token (``Authorization: Bearer``)."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from prevention_cds.adapters.workspace_db import Contact, ContactGroup, Investigation
from prevention_cds.app import workspace_exports as exports
from prevention_cds.app.services import services
from prevention_cds.app.workspace_auth import current_actor, guard, language, require, workspace
from prevention_cds.rules.advice import Message
from prevention_cds.workspace.case import CASE_FIELDS
from prevention_cds.workspace.contacts import COLUMNS, OPTIONAL_COLUMNS
from prevention_cds.workspace.errors import Conflict, Invalid, NotFound, WorkspaceError
from prevention_cds.workspace.evaluation import status_of
from prevention_cds.workspace.i18n import both, say, t
from prevention_cds.workspace.service import SORT_KEYS, Actor, ContactRow, ImportReport
from prevention_cds.workspace.spreadsheet import CSV_TYPES, XLSX_TYPE, SpreadsheetError

logger = logging.getLogger(__name__)
blueprint = Blueprint("workspace_api", __name__, url_prefix="/api")
blueprint.before_request(guard(api=True))
GROUP_FIELDS = ("name", "setting", "last_contact")


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None
    return actor


def _error(status: int, message: str, details: list[str] | None = None) -> ResponseReturnValue:
    return {"error": message, "details": details or []}, status


@blueprint.errorhandler(WorkspaceError)
def refused(error: WorkspaceError) -> ResponseReturnValue:
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 400
    lang = language()
    return _error(status, say(error.message, lang), [say(d, lang) for d in error.details])


@blueprint.errorhandler(SQLAlchemyError)
def database_unavailable(error: SQLAlchemyError) -> ResponseReturnValue:
    logger.exception("workspace database unavailable")  # without SQL parameters (hide_parameters)
    return _error(503, t("ws.error.database", language()))


@blueprint.errorhandler(SpreadsheetError)
def unreadable(error: SpreadsheetError) -> ResponseReturnValue:
    return _error(400, say(error.message, language()))


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise_invalid()
    return body


def raise_invalid() -> NoReturn:
    raise Invalid(Message.of("ws.error.json-object"))


def investigation_json(found: Investigation) -> dict[str, Any]:
    return {
        "id": found.id, "disease": found.disease, "title": found.title, "status": found.status,
        **{name: getattr(found, name) for name in CASE_FIELDS if name not in ("disease", "title")},
        "created_by": found.created_by, "created_at": found.created_at, "closed_at": found.closed_at,
    }


def group_json(group: ContactGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "setting": group.setting, "last_contact": group.last_contact,
            "has_time": group.has_time}


def contact_json(contact: Contact, decision: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "id": contact.id, "last_name": contact.last_name, "first_name": contact.first_name,
        "birth_date": contact.birth_date, "sex": contact.sex, "group_id": contact.group_id,
        "setting": contact.setting, "last_contact": contact.last_contact, "weight_kg": contact.weight_kg,
        "state": contact.state, "state_by": contact.state_by, "state_at": contact.state_at,
        "status": status, "decision": decision,
    }


def _row_json(row: ContactRow) -> dict[str, Any]:
    return contact_json(row.contact, row.decision, row.status)


def _report_json(report: ImportReport) -> dict[str, Any]:
    return {
        "counts": {k: report.counts.get(k, 0) for k in ("created", "updated", "unchanged", "rejected", "to-review")},
        "rows": [{"line": r["line"], "status": r["status"], "contact_id": r.get("contact_id"),
                  "changed": r.get("changed", []), "kept": r.get("kept", []),
                  "errors": [both(e) for e in r["errors"]]} for r in report.rows],
    }


@blueprint.get("/investigations")
@require("reader")
def investigations() -> ResponseReturnValue:
    workspace().audit(_actor(), "investigations.list")
    return {"investigations": [investigation_json(i) for i in workspace().investigations()]}


@blueprint.post("/investigations")
@require("editor")
def create_investigation() -> ResponseReturnValue:
    return investigation_json(workspace().create_investigation(_actor(), _body())), 201


@blueprint.get("/investigations/<investigation_id>")
@require("reader")
def investigation(investigation_id: str) -> ResponseReturnValue:
    ws = workspace()
    found = ws.investigation(investigation_id)
    rows = ws.contact_rows(investigation_id)
    ws.audit(_actor(), "investigation.view", investigation_id, f"contacts={len(rows)}")
    counts = ws.counts(rows)
    return investigation_json(found) | {
        "groups": [group_json(g) for g in ws.groups(investigation_id)],
        "counts": {name: dict(counter) for name, counter in counts.items()},
    }


@blueprint.patch("/investigations/<investigation_id>")
@require("editor")
def update_case(investigation_id: str) -> ResponseReturnValue:
    changes = workspace().update_case(_actor(), investigation_id, _body())
    return {"changes": changes}


@blueprint.post("/investigations/<investigation_id>/close")
@require("editor")
def close(investigation_id: str) -> ResponseReturnValue:
    workspace().close(_actor(), investigation_id)
    return investigation_json(workspace().investigation(investigation_id))


@blueprint.post("/investigations/<investigation_id>/reopen")
@require("editor")
def reopen(investigation_id: str) -> ResponseReturnValue:
    workspace().reopen(_actor(), investigation_id)
    return investigation_json(workspace().investigation(investigation_id))


@blueprint.delete("/investigations/<investigation_id>/groups/<int:group_id>")
@require("editor")
def delete_group(investigation_id: str, group_id: int) -> ResponseReturnValue:
    workspace().delete_group(_actor(), investigation_id, group_id)
    return "", 204


@blueprint.delete("/investigations/<investigation_id>/contacts/<int:contact_id>")
@require("editor")
def delete_contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    workspace().delete_contact(_actor(), investigation_id, contact_id)
    return "", 204


@blueprint.post("/investigations/<investigation_id>/groups")
@require("editor")
def add_group(investigation_id: str) -> ResponseReturnValue:
    body = _body()
    unknown = sorted(set(body) - set(GROUP_FIELDS))
    if unknown:
        return _error(400, say(Message.of("ws.import.file.unknown-columns", columns=", ".join(unknown),
                                          expected=", ".join(GROUP_FIELDS)), language()))
    return group_json(workspace().add_group(_actor(), investigation_id, body)), 201


@blueprint.get("/investigations/<investigation_id>/contacts")
@require("reader")
def contacts(investigation_id: str) -> ResponseReturnValue:
    status = request.args.get("status")
    if status not in (None, "all", "todo", "done", "blocked"):
        return _error(400, "status: all | todo | done | blocked")
    sort, order = request.args.get("sort", "name"), request.args.get("order", "asc")
    if sort not in SORT_KEYS or order not in ("asc", "desc"):
        return _error(400, f"sort: {' | '.join(SORT_KEYS)}; order: asc | desc")
    rows = workspace().contact_rows(investigation_id, status, sort, order == "desc")
    workspace().audit(_actor(), "contacts.list", investigation_id, f"contacts={len(rows)}")
    return {"contacts": [_row_json(r) for r in rows]}


@blueprint.post("/investigations/<investigation_id>/contacts")
@require("editor")
def add_contacts(investigation_id: str) -> ResponseReturnValue:
    """A JSON contact (the spreadsheet's columns), or the spreadsheet itself as the body (CSV or XLSX)."""
    media_type = (request.mimetype or "").lower()
    group = request.args.getlist("group_id")
    if len(group) > 1 or (group and not group[0].isdigit()):
        return _error(400, "group_id: integer")
    group_id = int(group[0]) if group else None
    limit = workspace_limit()
    if media_type in (*CSV_TYPES, XLSX_TYPE):
        if request.content_length is not None and request.content_length > limit:
            return _error(413, say(Message.of("ws.import.file.too-large", max=limit // 1024), language()))
        content = request.stream.read(limit + 1)
        if len(content) > limit:
            return _error(413, say(Message.of("ws.import.file.too-large", max=limit // 1024), language()))
        report = workspace().import_contacts(_actor(), investigation_id, content, media_type, group_id=group_id)
        return _report_json(report), 200
    fields, given_group = _contact_body()
    contact = workspace().add_contact(_actor(), investigation_id, fields,
                                      group_id if given_group is None else given_group)
    rows = [r for r in workspace().contact_rows(investigation_id) if r.contact.id == contact.id]
    return _row_json(rows[0]), 201


def _contact_body() -> tuple[dict[str, Any], int | None]:
    """A JSON contact: (the columns' values, the group's id); an unknown column or a value of the wrong type is
    refused, never dropped."""
    body = _body()
    unknown = sorted(set(body) - set(COLUMNS) - set(OPTIONAL_COLUMNS) - {"group_id"})
    if unknown:
        raise Invalid(Message.of("ws.import.file.unknown-columns", columns=", ".join(unknown),
                                 expected=", ".join(COLUMNS + OPTIONAL_COLUMNS)))
    wrong = ["group_id"] if "group_id" in body and not _integer(body["group_id"]) else []
    group_id = body.pop("group_id", None)
    wrong += sorted(k for k, v in body.items() if isinstance(v, bool) or not isinstance(v, str | int | float))
    if wrong:
        raise Invalid(Message.of("ws.error.json-types", columns=", ".join(wrong)))
    return body, group_id


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def workspace_limit() -> int:
    return int(services(current_app).settings.max_body_bytes)


@blueprint.get("/investigations/<investigation_id>/contacts/<int:contact_id>")
@require("reader")
def contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    ws = workspace()
    _, evaluation = ws.evaluate_now(investigation_id, contact_id)
    ws.audit(_actor(), "contact.view", f"{investigation_id}/contact/{contact_id}")
    history = [{"state": e.state, "by": e.by, "at": e.at} for e in ws.history(contact_id)]
    decision = evaluation.decision
    return contact_json(evaluation.contact, decision, status_of(decision, evaluation.contact)) | {
        "history": history}


@blueprint.put("/investigations/<investigation_id>/contacts/<int:contact_id>")
@require("editor")
def update_contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    fields, group_id = _contact_body()
    workspace().update_contact(_actor(), investigation_id, contact_id, fields, group_id)
    rows = [r for r in workspace().contact_rows(investigation_id) if r.contact.id == contact_id]
    return _row_json(rows[0])


@blueprint.put("/investigations/<investigation_id>/contacts/<int:contact_id>/state")
@require("editor")
def set_state(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    body = _body()
    contact = workspace().set_state(_actor(), investigation_id, contact_id, str(body.get("state", "")))
    return {"id": contact.id, "state": contact.state, "state_by": contact.state_by, "state_at": contact.state_at}


@blueprint.get("/investigations/<investigation_id>/<any('line-list.csv', 'line-list.xlsx', 'bundle.json', "
               "'notification.html', 'notification.pdf'):name>")
@require("reader")
def investigation_file(investigation_id: str, name: str) -> Response:
    return exports.investigation_file(_actor(), investigation_id, name, language())


@blueprint.get("/investigations/<investigation_id>/contacts/<int:contact_id>/"
               "<any('prescription.pdf', 'information.pdf'):name>")
@require("reader")
def contact_file(investigation_id: str, contact_id: int, name: str) -> Response:
    return exports.contact_file(_actor(), investigation_id, contact_id, name, language())


@blueprint.post("/investigations/<investigation_id>/prescriptions-zip")
@require("reader")
def start_zip(investigation_id: str) -> ResponseReturnValue:
    job = exports.start_zip(_actor(), investigation_id, language())
    return _job_json(job.id), 202


def _job_json(job_id: str) -> dict[str, Any]:
    job = exports.job(job_id)
    return {"id": job.id, "status": job.status, "done": job.done, "total": job.total,
            "file": f"/api/exports/{job.id}/file" if job.status == "done" else None}


@blueprint.get("/exports/<job_id>")
@require("reader")
def export_status(job_id: str) -> ResponseReturnValue:
    return _job_json(job_id)


@blueprint.get("/exports/<job_id>/file")
@require("reader")
def export_file(job_id: str) -> ResponseReturnValue:
    job = exports.job(job_id)
    if job.status != "done" or job.content is None:
        return _error(409, job.status)
    workspace().audit(_actor(), "export.download", job.investigation_id, "prescriptions.zip")
    response = Response(job.content, mimetype=exports.ZIP)
    response.headers["Content-Disposition"] = f'attachment; filename="ordonnances-{job.investigation_id[:8]}.zip"'
    return response


@blueprint.get("/import-template.<any(csv, xlsx):kind>")
@require("reader")
def template(kind: str) -> Response:
    return exports.template(kind)
