"""The workspace's pages: server-rendered (Jinja2), French first, plain forms and links (usable without
JavaScript; a few lines of it show the progress of the ZIP of prescriptions)."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    stream_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from prevention_cds.app import workspace_exports as exports
from prevention_cds.app.services import services
from prevention_cds.app.workspace_auth import accounts, current_actor, guard, language, require, workspace
from prevention_cds.workspace import documents, vocabulary
from prevention_cds.workspace.case import SEROGROUPS
from prevention_cds.workspace.contacts import COLUMNS, as_row
from prevention_cds.workspace.errors import NotFound, WorkspaceError
from prevention_cds.workspace.i18n import say, t
from prevention_cds.workspace.service import SORT_KEYS, Actor
from prevention_cds.workspace.spreadsheet import SpreadsheetError

logger = logging.getLogger(__name__)
blueprint = Blueprint("workspace_pages", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/workspace/static")
blueprint.before_request(guard(api=False))


@blueprint.before_request
def remember_language() -> None:
    if request.args.get("lang") in ("fr", "en"):
        session["lang"] = request.args["lang"]


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # the guard ran
    return actor


# A page is rendered in pieces of a few µs each; the list of 1,000 contacts in about 100,000 of them, ~250 ms.
PIECES_PER_TURN = 2000


def page(template: str, http_status: int = 200, **context: Any) -> ResponseReturnValue:
    """``template`` rendered, giving the worker's other connections their turn every few ms of a long page."""
    pieces = stream_template(template, lang=language(), actor=current_actor(), **context)
    return "".join(workspace().in_turns(pieces, every=PIECES_PER_TURN)), http_status


@blueprint.errorhandler(WorkspaceError)
def refused(error: WorkspaceError) -> ResponseReturnValue:
    return page("error.html", 404 if isinstance(error, NotFound) else 400, message=say(error.message, language()),
                details=[say(d, language()) for d in error.details])


@blueprint.errorhandler(SQLAlchemyError)
def database_unavailable(error: SQLAlchemyError) -> ResponseReturnValue:
    logger.exception("workspace database unavailable")  # without SQL parameters (hide_parameters)
    # no account lookup here: the database that would answer it is the one that failed
    return render_template("error.html", lang=language(), actor=None, message=t("ws.error.database", language()),
                           details=[]), 503


@blueprint.errorhandler(SpreadsheetError)
def unreadable(error: SpreadsheetError) -> ResponseReturnValue:
    return page("error.html", 400, message=say(error.message, language()), details=[])


@blueprint.get("/workspace/")
@require("reader")
def investigations() -> ResponseReturnValue:
    items = workspace().investigations()
    workspace().audit(_actor(), "investigations.list")
    return page("investigations.html", investigations=items)


@blueprint.get("/workspace/investigations/new")
@require("editor")
def new_investigation() -> ResponseReturnValue:
    # prefilled from the EHR's link (the index case's Condition): no name or birth date travels in a URL
    prefill = {k: request.args.get(k, "") for k in ("disease", "diagnosis_date", "rash_onset", "confirmed",
                                                     "case_condition_ref", "serogroup", "title")}
    return page("investigation_new.html", prefill=prefill, serogroups=SEROGROUPS)


@blueprint.post("/workspace/investigations")
@require("editor")
def create_investigation() -> ResponseReturnValue:
    fields = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
    fields.setdefault("confirmed", "false")
    try:
        created = workspace().create_investigation(_actor(), fields)
    except WorkspaceError as error:
        return page("investigation_new.html", 400, prefill=request.form, serogroups=SEROGROUPS,
                    errors=[say(d, language()) for d in error.details])
    return redirect(url_for(".investigation", investigation_id=created.id))


@blueprint.get("/workspace/investigations/<investigation_id>")
@require("reader")
def investigation(investigation_id: str) -> ResponseReturnValue:
    ws = workspace()
    found = ws.investigation(investigation_id)
    status = request.args.get("status") or "all"
    sort = str(request.args.get("sort")) if request.args.get("sort") in SORT_KEYS else "name"
    descending = request.args.get("order") == "desc"
    all_rows = ws.contact_rows(investigation_id)
    rows = [r for r in all_rows if status == "all" or r.status == status]
    if sort != "name" or descending:
        rows = ws.contact_rows(investigation_id, status, sort, descending)
    ws.audit(_actor(), "investigation.view", investigation_id, f"contacts={len(rows)}")
    return page("investigation.html", investigation=found, rows=rows, counts=ws.counts(all_rows), status=status,
                sort=sort, descending=descending, groups=ws.groups(investigation_id), serogroups=SEROGROUPS,
                changes=json.loads(found.last_changes or "[]"), settings=vocabulary.setting_codes(found.disease),
                report=_import_report(investigation_id))


def _import_report(investigation_id: str) -> dict[str, Any] | None:
    """The report of the import just made, shown once."""
    record_id = session.pop("import_report", None)
    if not isinstance(record_id, int):
        return None
    return workspace().import_report(_actor(), investigation_id, record_id)


@blueprint.post("/workspace/investigations/<investigation_id>/case")
@require("editor")
def update_case(investigation_id: str) -> ResponseReturnValue:
    fields = {k: v for k, v in request.form.items() if k != "csrf_token"}
    fields.setdefault("confirmed", "false")
    workspace().update_case(_actor(), investigation_id, fields)
    return redirect(url_for(".investigation", investigation_id=investigation_id) + "#changes")


@blueprint.post("/workspace/investigations/<investigation_id>/close")
@require("editor")
def close(investigation_id: str) -> ResponseReturnValue:
    workspace().close(_actor(), investigation_id)
    return redirect(url_for(".investigation", investigation_id=investigation_id))


@blueprint.post("/workspace/investigations/<investigation_id>/reopen")
@require("editor")
def reopen(investigation_id: str) -> ResponseReturnValue:
    workspace().reopen(_actor(), investigation_id)
    return redirect(url_for(".investigation", investigation_id=investigation_id))


@blueprint.post("/workspace/investigations/<investigation_id>/groups/<int:group_id>/delete")
@require("editor")
def delete_group(investigation_id: str, group_id: int) -> ResponseReturnValue:
    workspace().delete_group(_actor(), investigation_id, group_id)
    return redirect(url_for(".investigation", investigation_id=investigation_id) + "#groups")


@blueprint.post("/workspace/investigations/<investigation_id>/contacts/<int:contact_id>/delete")
@require("editor")
def delete_contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    workspace().delete_contact(_actor(), investigation_id, contact_id)
    return redirect(url_for(".investigation", investigation_id=investigation_id))


@blueprint.post("/workspace/investigations/<investigation_id>/groups")
@require("editor")
def add_group(investigation_id: str) -> ResponseReturnValue:
    workspace().add_group(_actor(), investigation_id, dict(request.form))
    return redirect(url_for(".investigation", investigation_id=investigation_id) + "#groups")


@blueprint.post("/workspace/investigations/<investigation_id>/import")
@require("editor")
def import_contacts(investigation_id: str) -> ResponseReturnValue:
    limit = int(services(current_app).settings.max_body_bytes)
    if request.content_length is None or request.content_length > limit:
        return page("error.html", 413, message=t("ws.import.file.too-large", language(), max=limit // 1024), details=[])
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return page("error.html", 400, message=t("ws.import.file.none", language()), details=[])
    group = request.form.get("group_id") or None
    report = workspace().import_contacts(_actor(), investigation_id, upload.read(), upload.mimetype or "",
                                         upload.filename, int(group) if group and group.isdigit() else None)
    session["import_report"] = report.record_id  # the report (it names contacts) stays in the database
    return redirect(url_for(".investigation", investigation_id=investigation_id) + "#import")


@blueprint.get("/workspace/investigations/<investigation_id>/contacts/new")
@require("editor")
def new_contact(investigation_id: str) -> ResponseReturnValue:
    ws = workspace()
    found = ws.investigation(investigation_id)
    return page("contact_new.html", investigation=found, groups=ws.groups(investigation_id), columns=COLUMNS,
                values={}, settings=vocabulary.setting_codes(found.disease))


@blueprint.post("/workspace/investigations/<investigation_id>/contacts")
@require("editor")
def add_contact(investigation_id: str) -> ResponseReturnValue:
    ws = workspace()
    fields = {k: v for k, v in request.form.items() if k in COLUMNS}
    group = request.form.get("group_id") or None
    try:
        contact = ws.add_contact(_actor(), investigation_id, fields, int(group) if group and group.isdigit() else None)
    except WorkspaceError as error:
        found = ws.investigation(investigation_id)
        return page("contact_new.html", 400, investigation=found, groups=ws.groups(investigation_id),
                    columns=COLUMNS, values=fields, settings=vocabulary.setting_codes(found.disease),
                    errors=[say(d, language()) for d in error.details])
    return redirect(url_for(".contact", investigation_id=investigation_id, contact_id=contact.id))


@blueprint.get("/workspace/investigations/<investigation_id>/contacts/<int:contact_id>")
@require("reader")
def contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    ws = workspace()
    found, evaluation = ws.evaluate_now(investigation_id, contact_id)
    _, stored, group = ws.contact(investigation_id, contact_id)
    ws.audit(_actor(), "contact.view", f"{investigation_id}/contact/{contact_id}")
    return page("contact.html", investigation=found, contact=stored, group=group, evaluation=evaluation,
                decision=evaluation.decision, history=ws.history(contact_id),
                allergies=json.loads(stored.allergies), treatments=json.loads(stored.treatments),
                conditions=json.loads(stored.conditions), condition_columns=vocabulary.condition_columns(),
                mmr_doses=json.loads(stored.mmr_doses), has_prescription=documents.has_prescription(evaluation))


@blueprint.get("/workspace/investigations/<investigation_id>/contacts/<int:contact_id>/edit")
@require("editor")
def edit_contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    ws = workspace()
    found, contact, _ = ws.contact(investigation_id, contact_id)
    return page("contact_new.html", investigation=found, groups=ws.groups(investigation_id), columns=COLUMNS,
                values=as_row(contact), settings=vocabulary.setting_codes(found.disease), contact=contact)


@blueprint.post("/workspace/investigations/<investigation_id>/contacts/<int:contact_id>")
@require("editor")
def update_contact(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    ws = workspace()
    fields = {k: v for k, v in request.form.items() if k in COLUMNS}
    group = request.form.get("group_id") or None
    try:
        ws.update_contact(_actor(), investigation_id, contact_id, fields,
                          int(group) if group and group.isdigit() else None)
    except WorkspaceError as error:
        found, contact, _ = ws.contact(investigation_id, contact_id)
        return page("contact_new.html", 400, investigation=found, groups=ws.groups(investigation_id),
                    columns=COLUMNS, values=fields, settings=vocabulary.setting_codes(found.disease), contact=contact,
                    errors=[say(d, language()) for d in error.details])
    return redirect(url_for(".contact", investigation_id=investigation_id, contact_id=contact_id))


@blueprint.post("/workspace/investigations/<investigation_id>/contacts/<int:contact_id>/state")
@require("editor")
def set_state(investigation_id: str, contact_id: int) -> ResponseReturnValue:
    workspace().set_state(_actor(), investigation_id, contact_id, request.form.get("state", ""))
    back = request.form.get("back")
    if back == "list":
        return redirect(url_for(".investigation", investigation_id=investigation_id) + f"#contact-{contact_id}")
    return redirect(url_for(".contact", investigation_id=investigation_id, contact_id=contact_id))


# --- files: the same as the API's --------------------------------------------------------------------------


@blueprint.get("/workspace/investigations/<investigation_id>/<any('line-list.csv', 'line-list.xlsx', "
               "'bundle.json', 'notification.html', 'notification.pdf', 'prescriptions.zip'):name>")
@require("reader")
def investigation_file(investigation_id: str, name: str) -> Response:
    return exports.investigation_file(_actor(), investigation_id, name, language())


@blueprint.get("/workspace/investigations/<investigation_id>/contacts/<int:contact_id>/"
               "<any('prescription.pdf', 'information.pdf'):name>")
@require("reader")
def contact_file(investigation_id: str, contact_id: int, name: str) -> Response:
    return exports.contact_file(_actor(), investigation_id, contact_id, name, language())


@blueprint.get("/workspace/template.<any(csv, xlsx):kind>")
@require("reader")
def template(kind: str) -> Response:
    return exports.template(kind)


# --- administration ------------------------------------------------------------------------------------------


@blueprint.get("/workspace/admin/users")
@require("admin")
def users() -> ResponseReturnValue:
    return page("users.html", users=accounts().users(), token=None)


@blueprint.post("/workspace/admin/users")
@require("admin")
def create_user() -> ResponseReturnValue:
    form = request.form
    try:
        accounts().create(form.get("username", ""), form.get("password", ""), form.get("role", ""),
                          by=_actor().username)
    except WorkspaceError as error:
        return page("users.html", 400, users=accounts().users(), token=None, errors=[say(error.message, language())])
    return redirect(url_for(".users"))


@blueprint.post("/workspace/admin/users/<username>/<any(unlock, token, revoke, disable, enable, role):action>")
@require("admin")
def user_action(username: str, action: str) -> ResponseReturnValue:
    by = _actor().username
    if action == "token":  # shown in this answer only: a credential is never kept in the session cookie
        return page("users.html", users=accounts().users(),
                    token={"username": username, "token": accounts().new_token(username, by)})
    if action == "role":
        accounts().set_role(username, request.form.get("role", ""), by)
    else:
        {"unlock": accounts().unlock, "revoke": accounts().revoke_token, "disable": accounts().disable,
         "enable": accounts().enable}[action](username, by)
    return redirect(url_for(".users"))


@blueprint.get("/workspace/admin/audit")
@require("admin")
def audit() -> ResponseReturnValue:
    return page("audit.html", entries=workspace().audit_log())


@blueprint.get("/workspace")
def root() -> ResponseReturnValue:
    return redirect(url_for(".investigations"))
