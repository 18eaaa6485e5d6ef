"""The workspace's files, shared by the pages and the API: line list, Bundle, notification summary, each
contact's prescription and information sheet, the import template, and the ZIP of every prescription built in a
background thread whose progress any worker reads from the database."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime

from flask import Flask, Response, current_app

from prevention_cds.adapters.workspace_db import ExportJob
from prevention_cds.app.workspace_auth import workspace
from prevention_cds.rules.advice import Message
from prevention_cds.workspace import documents, outputs, spreadsheet
from prevention_cds.workspace.errors import Conflict, NotFound
from prevention_cds.workspace.service import Actor, Workspace, utc_now_text

logger = logging.getLogger(__name__)

PDF, ZIP, CSV = "application/pdf", "application/zip", "text/csv; charset=utf-8"
FHIR_JSON = "application/fhir+json"


def _download(body: bytes, mimetype: str, filename: str, inline: bool = False) -> Response:
    response = Response(body, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # not kept by a cache: workspace_auth.not_stored, for every workspace answer
    return response


def investigation_file(actor: Actor, investigation_id: str, name: str, language: str) -> Response:
    ws = workspace()
    investigation, rows = ws.evaluate_all_now(investigation_id)
    now = ws.clock()
    ws.audit(actor, "export", investigation_id, f"{name} contacts={len(rows)}")
    stem = f"investigation-{investigation_id[:8]}"
    if name == "line-list.csv":
        return _download(spreadsheet.write_csv(outputs.LINE_LIST_COLUMNS, outputs.line_list_rows(rows, language)),
                         CSV, f"{stem}-liste.csv")
    if name == "line-list.xlsx":
        body = spreadsheet.write_xlsx("liste", outputs.LINE_LIST_COLUMNS, outputs.line_list_rows(rows, language))
        return _download(body, spreadsheet.XLSX_TYPE, f"{stem}-liste.xlsx")
    if name == "bundle.json":
        bundle = outputs.transaction_bundle(investigation, rows, now, language)
        return _download(json.dumps(bundle, ensure_ascii=False).encode("utf-8"), FHIR_JSON, f"{stem}-bundle.json")
    if name == "prescriptions.zip":
        body = documents.prescriptions_zip(investigation, rows, now, language, lambda done: ws.give_way())
        return _download(body, ZIP, f"{stem}-ordonnances.zip")
    if name == "notification.html":
        return Response(documents.notification_html(investigation, rows, language), mimetype="text/html")
    html = documents.notification_html(investigation, rows, language, for_pdf=True)
    return _download(documents.pdf(html), PDF, f"{stem}-signalement.pdf", inline=True)


def contact_file(actor: Actor, investigation_id: str, contact_id: int, name: str, language: str) -> Response:
    ws = workspace()
    investigation, evaluation = ws.evaluate_now(investigation_id, contact_id)
    _, _, group = ws.contact(investigation_id, contact_id)
    ws.audit(actor, "export", f"{investigation_id}/contact/{contact_id}", name)
    if name == "prescription.pdf":
        if not documents.has_prescription(evaluation):
            raise Conflict(Message.of("ws.error.nothing-to-prescribe"))
        body = documents.prescription_pdf(investigation, evaluation, group, ws.clock(), language)
        return _download(body, PDF, documents.file_name(evaluation, "ordonnance"), inline=True)
    body = documents.information_pdf(investigation, evaluation, group, ws.clock(), language)
    return _download(body, PDF, documents.file_name(evaluation, "information"), inline=True)


def template(kind: str) -> Response:
    if kind == "csv":
        return _download(spreadsheet.template_csv(), CSV, "modele-contacts.csv")
    return _download(spreadsheet.template_xlsx(), spreadsheet.XLSX_TYPE, "modele-contacts.xlsx")


# --- the ZIP of prescriptions, in the background ----------------------------------------------------------------


def start_zip(actor: Actor, investigation_id: str, language: str) -> ExportJob:
    ws = workspace()
    investigation, rows = ws.evaluate_all_now(investigation_id)
    job = ExportJob(id=str(uuid.uuid4()), investigation_id=investigation_id, by=actor.username,
                    created_at=utc_now_text(ws.clock()), status="running", total=len(rows), done=0)
    with ws.db.session() as session:
        session.add(job)
    ws.audit(actor, "export", investigation_id, f"prescriptions.zip contacts={len(rows)}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_build_zip, args=(app, ws, job.id, investigation, rows, ws.clock(), language),
                              name="prescriptions-zip", daemon=True)
    thread.start()
    return job


def _build_zip(app: Flask, ws: Workspace, job_id: str, investigation: object, rows: list[object], now: datetime,
               language: str) -> None:
    def progress(done: int) -> None:
        # Under the server's gevent workers this "thread" is a greenlet of the worker that took the request: its
        # other connections get their turn after each document, not after the whole ZIP.
        ws.give_way()
        if done % 10 == 0 or done == len(rows):
            with ws.db.session() as session:
                job = session.get(ExportJob, job_id)
                if job is not None:
                    job.done = done

    try:
        with app.app_context():
            body = documents.prescriptions_zip(investigation, rows, now, language, progress)  # type: ignore[arg-type]
        with ws.db.session() as session:
            job = session.get(ExportJob, job_id)
            if job is not None:
                job.content, job.status, job.done = body, "done", job.total
    except Exception:
        logger.exception("prescriptions ZIP failed")
        with ws.db.session() as session:
            job = session.get(ExportJob, job_id)
            if job is not None:
                job.status = "failed"


def job(job_id: str) -> ExportJob:
    with workspace().db.session() as session:
        found = session.get(ExportJob, job_id)
        if found is None:
            raise NotFound(Message.of("ws.error.export-not-found"))
        return found
