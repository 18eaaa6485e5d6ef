"""The workspace's use cases: investigations, groups, contacts in (a form, a spreadsheet), their evaluation,
the follow-up and the audit trail. Each action is one database transaction: an import killed half-way leaves
nothing behind. Logs carry ids and counts, never a name or a clinical value."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prevention_cds.adapters.workspace_db import (
    AuditEntry,
    Contact,
    ContactEvent,
    ContactGroup,
    ImportRecord,
    Investigation,
    WorkspaceDatabase,
)
from prevention_cds.rules.advice import Message
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.settings import PRACTICE_TIMEZONE
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.case import read_case
from prevention_cds.workspace.contacts import (
    COLUMN_FIELDS,
    MAX_NAME_LENGTH,
    ContactInput,
    GroupFacts,
    RowResult,
    columns_of,
    parse_moment,
    read_contact,
)
from prevention_cds.workspace.errors import Conflict, Invalid, NotFound
from prevention_cds.workspace.evaluation import (
    STATES,
    ContactEvaluation,
    evaluate_contact,
    measures_closed_by,
    status_of,
)
from prevention_cds.workspace.i18n import both
from prevention_cds.workspace.spreadsheet import read_spreadsheet

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Lets the other connections of the process run (the server's gevent workers run one greenlet at a time); called
# between steps of a long action, never while the action holds a database write lock.
GiveWay = Callable[[], None]
# A contact takes about 1 ms to read, evaluate and store: a turn every ~5 ms of an import or re-evaluation.
CONTACTS_PER_TURN = 5
_T = TypeVar("_T")
# A stored decision older than this is evaluated again before it is shown (time windows move).
STALE_AFTER = timedelta(hours=1)
SORT_KEYS = ("name", "birth_date", "decision", "status", "state", "last_contact")


@contextmanager
def concurrent_change() -> Iterator[None]:
    """Two imports of the same contact at once: the second is refused whole (its transaction rolled back)."""
    try:
        yield
    except IntegrityError:
        raise Conflict(Message.of("ws.error.concurrent")) from None


def utc_now_text(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Actor:
    username: str
    role: str  # reader | editor | admin

    @property
    def can_edit(self) -> bool:
        return self.role in ("editor", "admin")


@dataclass
class ImportReport:
    rows: list[dict[str, Any]] = field(default_factory=list)  # line, status, contact_id, errors
    counts: Counter[str] = field(default_factory=Counter)  # created, updated, unchanged, rejected, to-review
    record_id: int | None = None  # the ImportRecord that keeps it for the page that shows it


@dataclass
class FieldChanges:
    """What an import did to a contact already there: the stored fields it changed, and those it kept because
    they were corrected by hand and the file says otherwise."""

    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ContactRow:
    contact: Contact
    group: ContactGroup | None
    decision: dict[str, Any]
    status: str  # todo | done | blocked


def no_turns() -> None:
    """Threads (the development server, the CLI, tests) are preempted: nobody waits for a turn."""


class Workspace:
    def __init__(self, db: WorkspaceDatabase, rule_settings: RuleSettings, clock: Clock,
                 give_way: GiveWay = no_turns) -> None:
        self.db = db
        self.rule_settings = rule_settings
        self.clock = clock
        self.give_way = give_way

    def in_turns(self, items: Iterable[_T], every: int = CONTACTS_PER_TURN) -> Iterator[_T]:
        """``items``, the other connections given their turn after every ``every`` of them."""
        remaining = iter(items)
        while batch := list(islice(remaining, every)):  # by batch: a page has 100,000 pieces
            yield from batch
            if len(batch) == every:
                self.give_way()

    # --- audit --------------------------------------------------------------------------------------------

    def audit(self, actor: Actor | str, action: str, target: str = "", detail: str = "",
              session: Session | None = None) -> None:
        entry = AuditEntry(at=utc_now_text(self.clock()), username=actor if isinstance(actor, str) else actor.username,
                           action=action, target=target[:100], detail=detail[:300])
        if session is not None:
            session.add(entry)
            return
        with self.db.session() as own:
            own.add(entry)

    def audit_log(self, limit: int = 500) -> list[AuditEntry]:
        with self.db.session() as session:
            return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))

    # --- investigations -----------------------------------------------------------------------------------

    def investigations(self) -> list[Investigation]:
        with self.db.session() as session:
            return list(session.scalars(select(Investigation).order_by(Investigation.created_at.desc())))

    def investigation(self, investigation_id: str, session: Session | None = None) -> Investigation:
        if session is None:
            with self.db.session() as own:
                return self.investigation(investigation_id, own)
        found = session.get(Investigation, investigation_id)
        if found is None:
            raise NotFound(Message.of("ws.error.investigation-not-found"))
        return found

    def create_investigation(self, actor: Actor, fields: dict[str, Any]) -> Investigation:
        now = self.clock()
        values = read_case(fields, now, creating=True)
        investigation = Investigation(id=str(uuid.uuid4()), created_by=actor.username, created_at=utc_now_text(now),
                                      status="open", confirmed=False, last_changes="[]")
        for name, value in values.items():
            setattr(investigation, name, value)
        with self.db.session() as session:
            session.add(investigation)
            self.audit(actor, "investigation.create", investigation.id, investigation.disease or "", session)
        logger.info("investigation created disease=%s", investigation.disease)
        return investigation

    def _open(self, session: Session, investigation_id: str) -> Investigation:
        investigation = self.investigation(investigation_id, session)
        if investigation.status != "open":
            raise Conflict(Message.of("ws.error.closed"))
        return investigation

    def update_case(self, actor: Actor, investigation_id: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
        """Change case facts and evaluate every contact again; what changed, contact by contact."""
        now = self.clock()
        values = read_case(fields, now, creating=False)
        values.pop("disease", None)  # the disease defines the investigation: a new one for another disease
        with self.db.session() as session:
            investigation = self._open(session, investigation_id)
            for name, value in values.items():
                setattr(investigation, name, value)
            changes = []
            for before, after in self._evaluate_all(session, investigation, now):
                if headline(before) != headline(after):
                    changes.append({"contact_id": after["contact_id"], "name": after["name"],
                                    "before": headline(before), "after": headline(after)})
            investigation.last_changes = json.dumps(changes, ensure_ascii=False)
            self.audit(actor, "investigation.update-case", investigation_id,
                       f"fields={','.join(sorted(values))} changed={len(changes)}", session)
        logger.info("case facts changed: %d contacts re-evaluated differently", len(changes))
        return changes

    def close(self, actor: Actor, investigation_id: str) -> None:
        with self.db.session() as session:
            investigation = self._open(session, investigation_id)
            investigation.status = "closed"
            investigation.closed_at = utc_now_text(self.clock())
            investigation.closed_by = actor.username
            self.audit(actor, "investigation.close", investigation_id, session=session)

    def reopen(self, actor: Actor, investigation_id: str) -> None:
        """A closed investigation open again (a contact found late, a closing by mistake): audited."""
        with self.db.session() as session:
            investigation = self.investigation(investigation_id, session)
            if investigation.status == "open":
                raise Conflict(Message.of("ws.error.not-closed"))
            investigation.status, investigation.closed_at, investigation.closed_by = "open", None, None
            self.audit(actor, "investigation.reopen", investigation_id, session=session)

    # --- groups ---------------------------------------------------------------------------------------------

    def groups(self, investigation_id: str, session: Session | None = None) -> list[ContactGroup]:
        if session is None:
            with self.db.session() as own:
                return self.groups(investigation_id, own)
        return list(session.scalars(select(ContactGroup).where(ContactGroup.investigation_id == investigation_id,
                                                               ContactGroup.deleted_at.is_(None))
                                    .order_by(ContactGroup.name)))

    def add_group(self, actor: Actor, investigation_id: str, fields: dict[str, Any]) -> ContactGroup:
        now = self.clock()
        errors: list[Message] = []
        given = fields.get("name")
        name = given.strip() if isinstance(given, str) else ""
        if not name:
            errors.append(Message.of("ws.group.error.name"))
        elif len(name) > MAX_NAME_LENGTH:
            errors.append(Message.of("ws.import.error.too-long", column="name", length=len(name), max=MAX_NAME_LENGTH))
        setting = vocabulary.setting_of(str(fields.get("setting") or ""))
        if setting is None:
            errors.append(Message.of("ws.import.error.setting-unknown", value=fields.get("setting") or ""))
        moment = parse_moment(str(fields.get("last_contact") or ""))
        if moment is None or moment[0] > now:
            errors.append(Message.of("ws.import.error.moment", column="last_contact", value=fields.get("last_contact")
                                     or ""))
        if errors:
            raise Invalid(Message.of("ws.group.error"), errors)
        assert moment is not None and setting is not None
        with self.db.session() as session:
            self._open(session, investigation_id)
            if any(vocabulary.fold(g.name) == vocabulary.fold(name) for g in self.groups(investigation_id, session)):
                raise Conflict(Message.of("ws.group.error.exists"))
            group = ContactGroup(investigation_id=investigation_id, name=name, setting=setting,
                                 last_contact=moment[0].isoformat(timespec="minutes"), has_time=moment[1])
            session.add(group)
            session.flush()
            self.audit(actor, "group.create", f"{investigation_id}/group/{group.id}", session=session)
        return group

    def delete_group(self, actor: Actor, investigation_id: str, group_id: int) -> None:
        """A group entered by mistake, hidden (kept for the audit trail); refused while contacts belong to it."""
        with self.db.session() as session:
            self._open(session, investigation_id)
            group = session.get(ContactGroup, group_id)
            if group is None or group.investigation_id != investigation_id or group.deleted_at:
                raise NotFound(Message.of("ws.error.group-not-found"))
            members = session.scalars(select(Contact.id).where(Contact.group_id == group_id,
                                                               Contact.deleted_at.is_(None))).first()
            if members is not None:
                raise Conflict(Message.of("ws.group.error.has-contacts"))
            group.deleted_at, group.deleted_by = utc_now_text(self.clock()), actor.username
            group.name = f"{group.name[:80]} #{group.id}"  # frees the name for the group meant
            self.audit(actor, "group.delete", f"{investigation_id}/group/{group_id}", session=session)

    @staticmethod
    def _group_facts(groups: Iterable[ContactGroup]) -> dict[str, GroupFacts]:
        return {vocabulary.fold(g.name): GroupFacts(g.id, g.name, g.setting, datetime.fromisoformat(g.last_contact),
                                                     g.has_time) for g in groups}

    # --- contacts in ---------------------------------------------------------------------------------------

    def add_contact(self, actor: Actor, investigation_id: str, fields: dict[str, Any],
                    group_id: int | None = None) -> Contact:
        """One contact from a form or the JSON API (the spreadsheet's column names)."""
        with concurrent_change(), self.db.session() as session:
            investigation = self._open(session, investigation_id)
            groups = self.groups(investigation_id, session)
            result = read_contact({k: str(v) for k, v in fields.items() if v is not None}, 0, self.clock(),
                                  self._group_facts(groups), self._default_group(groups, group_id))
            if result.contact is None:
                raise Invalid(Message.of("ws.contact.error"), result.errors)
            contact, status = self._store(session, investigation, groups, result.contact, None, actor)
            self.audit(actor, f"contact.{status}", f"{investigation_id}/contact/{contact.id}", session=session)
        return contact

    def update_contact(self, actor: Actor, investigation_id: str, contact_id: int, fields: dict[str, Any],
                       group_id: int | None = None) -> Contact:
        """Correct a contact (the weight has come in): every value read again as in a spreadsheet row, and the
        decision evaluated again."""
        with concurrent_change(), self.db.session() as session:
            investigation = self._open(session, investigation_id)
            contact = self._live_contact(session, investigation_id, contact_id)
            groups = self.groups(investigation_id, session)
            result = read_contact({k: str(v) for k, v in fields.items() if v is not None}, 0, self.clock(),
                                  self._group_facts(groups), self._default_group(groups, group_id))
            if result.contact is None:
                raise Invalid(Message.of("ws.contact.error"), result.errors)
            taken = session.scalars(select(Contact.id).where(
                Contact.investigation_id == investigation_id, Contact.identity_key == result.contact.identity_key,
                Contact.id != contact_id)).first()
            if taken is not None:
                raise Conflict(Message.of("ws.error.same-contact"))
            contact.identity_key = result.contact.identity_key
            values = _columns(result.contact)
            corrected = {name for name, value in values.items() if getattr(contact, name) != value}
            for name, value in values.items():
                setattr(contact, name, value)
            # a re-import of the school's file must not undo them silently
            contact.edited_fields = json.dumps(sorted(set(json.loads(contact.edited_fields or "[]")) | corrected))
            group = next((g for g in groups if g.id == contact.group_id), None)
            self._save_evaluation(contact, evaluate_contact(contact, group, investigation, self.clock(),
                                                            self.rule_settings))
            self.audit(actor, "contact.update", f"{investigation_id}/contact/{contact_id}",
                       f"fields={','.join(sorted(corrected))}", session)
        return contact

    @staticmethod
    def _live_contacts(investigation_id: str) -> Select[Contact]:
        """The investigation's contacts, those deleted as entered by mistake left out."""
        return select(Contact).where(Contact.investigation_id == investigation_id, Contact.deleted_at.is_(None))

    @staticmethod
    def _live_contact(session: Session, investigation_id: str, contact_id: int) -> Contact:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.investigation_id != investigation_id or contact.deleted_at:
            raise NotFound(Message.of("ws.error.contact-not-found"))
        return contact

    def delete_contact(self, actor: Actor, investigation_id: str, contact_id: int) -> None:
        """A contact entered by mistake, hidden from the lists and files (kept for the audit trail); the same
        person can be entered again."""
        with self.db.session() as session:
            self._open(session, investigation_id)
            contact = self._live_contact(session, investigation_id, contact_id)
            contact.deleted_at, contact.deleted_by = utc_now_text(self.clock()), actor.username
            contact.identity_key = f"deleted:{contact.id}:{contact.identity_key}"[:300]
            self.audit(actor, "contact.delete", f"{investigation_id}/contact/{contact_id}", session=session)

    @staticmethod
    def _default_group(groups: list[ContactGroup], group_id: int | None) -> GroupFacts | None:
        if group_id is None:
            return None
        group = next((g for g in groups if g.id == group_id), None)
        if group is None:
            raise NotFound(Message.of("ws.error.group-not-found"))
        return Workspace._group_facts([group])[vocabulary.fold(group.name)]

    def import_contacts(self, actor: Actor, investigation_id: str, content: bytes, media_type: str,
                        filename: str = "", group_id: int | None = None) -> ImportReport:
        """A spreadsheet: every row read, the readable ones stored and evaluated in one transaction, each
        unreadable one reported with its line number and reasons. A row already imported (same names and birth
        date) is updated, never duplicated."""
        sheet = read_spreadsheet(content, media_type, filename)
        now = self.clock()
        report = ImportReport()
        with concurrent_change(), self.db.session() as session:
            investigation = self._open(session, investigation_id)
            groups = self.groups(investigation_id, session)
            facts, default = self._group_facts(groups), self._default_group(groups, group_id)
            existing = {c.identity_key: c for c in session.scalars(
                self._live_contacts(investigation_id))}
            seen: set[str] = set()
            # The loop gives way, so it must hold no write lock meanwhile: nothing is written before the flush
            # below (no query in the loop, no autoflush should one come), and no turn comes between that flush and
            # the commit. A greenlet waiting for SQLite's write lock waits in sqlite's busy loop, C code where
            # gevent cannot switch: the whole worker would stall. Reads lock nothing a writer waits for (WAL,
            # PostgreSQL), so imports interleaved in one worker end as in two: concurrent_change.
            with session.no_autoflush:
                for line, values in self.in_turns(sheet.rows):
                    result: RowResult = read_contact(values, line, now, facts, default)
                    if result.contact is not None and result.contact.identity_key in seen:
                        result.errors.append(Message.of("ws.import.error.duplicate-row"))
                        result.contact = None
                    if result.contact is None:
                        report.counts["rejected"] += 1
                        report.rows.append({"line": line, "status": "rejected", "errors": result.errors})
                        continue
                    seen.add(result.contact.identity_key)
                    outcome = FieldChanges()
                    contact, status = self._store(session, investigation, groups, result.contact, line, actor,
                                                  existing, outcome)
                    report.counts[status] += 1
                    if outcome.kept:
                        report.counts["to-review"] += 1
                    report.rows.append({"line": line, "status": status, "contact": contact, "errors": [],
                                        "name": f"{contact.last_name} {contact.first_name}",
                                        "changed": columns_of(outcome.changed), "kept": columns_of(outcome.kept)})
            session.flush()  # one batch of inserts: the new contacts get their ids
            for row in report.rows:
                contact = row.pop("contact", None)
                if contact is not None:
                    row["contact_id"] = contact.id
                    if row["status"] == "created":
                        session.add(ContactEvent(contact_id=contact.id, state="to-reach", by=actor.username,
                                                 at=contact.created_at))
            record = ImportRecord(investigation_id=investigation_id, sha256=hashlib.sha256(content).hexdigest(),
                                  by=actor.username, at=utc_now_text(now), created=report.counts["created"],
                                  unchanged=report.counts["unchanged"], report=json.dumps(_stored_report(report),
                                                                                          ensure_ascii=False))
            session.add(record)
            session.flush()
            report.record_id = record.id
            self.audit(actor, "contacts.import", investigation_id,
                       " ".join(f"{k}={v}" for k, v in sorted(report.counts.items())), session)
        logger.info("import: %s", dict(report.counts))
        return report

    def _store(self, session: Session, investigation: Investigation, groups: list[ContactGroup],
               data: ContactInput, line: int | None, actor: Actor,
               known: dict[str, Contact] | None = None, outcome: FieldChanges | None = None) -> tuple[Contact, str]:
        """Create or update one contact and store its decision; a batch (``known``: the investigation's contacts
        by identity) leaves the flush and the follow-up events to its caller. An update writes what the row gives
        and the contact lacks or had from a file; an empty cell erases nothing, and a value corrected by hand is
        kept and named in ``outcome`` (to review), as is every field changed; the audit trail names them too."""
        outcome = outcome if outcome is not None else FieldChanges()
        now = self.clock()
        if known is not None:
            existing = known.get(data.identity_key)
        else:
            existing = session.scalars(select(Contact).where(Contact.investigation_id == investigation.id,
                                                             Contact.identity_key == data.identity_key)).first()
        values = _columns(data)
        if existing is not None:
            if "conditions" not in data.blank:  # a condition the row leaves unstated keeps its stored value
                stated = json.loads(existing.conditions or "{}") | data.conditions
                values["conditions"] = json.dumps(stated, ensure_ascii=False, sort_keys=True)
            changed, kept = _merge(existing, values, data.blank)
            if kept:
                outcome.kept = kept
                self.audit(actor, "contact.import-kept", f"{investigation.id}/contact/{existing.id}",
                           f"kept={','.join(kept)}", session)
            if not changed:
                return existing, "unchanged"
            outcome.changed = changed
            self.audit(actor, "contact.import-update", f"{investigation.id}/contact/{existing.id}",
                       f"changed={','.join(changed)}", session)
            values = {name: values[name] for name in changed}
            contact, status = existing, "updated"
        else:
            contact = Contact(investigation_id=investigation.id, identity_key=data.identity_key,
                              created_by=actor.username, created_at=utc_now_text(now), state="to-reach",
                              state_by=actor.username, state_at=utc_now_text(now))
            session.add(contact)
            status = "created"
        for name, value in values.items():
            setattr(contact, name, value)
        contact.source_line = line
        group = next((g for g in groups if g.id == contact.group_id), None)
        # the id only names the FHIR resources built for the evaluation: a new contact has none yet
        self._save_evaluation(contact, evaluate_contact(contact, group, investigation, now, self.rule_settings))
        if known is None:
            session.flush()
            if status == "created":
                session.add(ContactEvent(contact_id=contact.id, state="to-reach", by=actor.username,
                                         at=utc_now_text(now)))
        return contact, status

    @staticmethod
    def _save_evaluation(contact: Contact, evaluation: ContactEvaluation) -> None:
        contact.decision = json.dumps(evaluation.decision, ensure_ascii=False)
        contact.evaluated_at = evaluation.decision["evaluated_at"]

    def _evaluate_all(self, session: Session, investigation: Investigation,
                      now: datetime) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every contact evaluated again, its decision changed in the session (written when it commits). Gives way
        between contacts, so writes nothing before its caller commits (see import_contacts): no autoflush of what
        the caller changed (the case facts), the contacts read in full before the loop."""
        with session.no_autoflush:
            groups = {g.id: g for g in self.groups(investigation.id, session)}
            contacts = list(session.scalars(self._live_contacts(investigation.id)))
            pairs = []
            for contact in self.in_turns(contacts):
                before = json.loads(contact.decision or "{}")
                evaluation = evaluate_contact(contact, groups.get(contact.group_id or -1), investigation, now,
                                              self.rule_settings)
                self._save_evaluation(contact, evaluation)
                pairs.append((before, evaluation.decision | {"contact_id": contact.id,
                                                             "name": f"{contact.last_name} {contact.first_name}"}))
        return pairs

    def import_report(self, actor: Actor, investigation_id: str, record_id: int) -> dict[str, Any] | None:
        """The report of an import, for who made it (it names contacts: it stays in the database, never in a
        cookie)."""
        with self.db.session() as session:
            record = session.get(ImportRecord, record_id)
            if record is None or record.investigation_id != investigation_id or record.by != actor.username:
                return None
            return json.loads(record.report) if record.report else None

    # --- contacts out ----------------------------------------------------------------------------------------

    def contact_rows(self, investigation_id: str, status: str | None = None, sort: str = "name",
                     descending: bool = False) -> list[ContactRow]:
        now = self.clock()
        with self.db.session() as session:
            investigation = self.investigation(investigation_id, session)
            contacts = list(session.scalars(self._live_contacts(investigation_id)))
            stale = [c for c in contacts if not c.evaluated_at
                     or now - datetime.fromisoformat(c.evaluated_at) > STALE_AFTER]
            if stale and investigation.status == "open":
                self._evaluate_all(session, investigation, now)
            groups = {g.id: g for g in self.groups(investigation_id, session)}
        rows = []
        for contact in contacts:
            decision = json.loads(contact.decision or "{}")
            row_status = status_of(decision, contact)
            if status in (None, "", "all") or row_status == status:
                rows.append(ContactRow(contact, groups.get(contact.group_id or -1), decision, row_status))
        rows.sort(key=_sort_key(sort), reverse=descending)
        return rows

    def contact(self, investigation_id: str, contact_id: int) -> tuple[Investigation, Contact, ContactGroup | None]:
        with self.db.session() as session:
            investigation = self.investigation(investigation_id, session)
            contact = self._live_contact(session, investigation_id, contact_id)
            group = session.get(ContactGroup, contact.group_id) if contact.group_id else None
            return investigation, contact, group

    def evaluate_now(self, investigation_id: str, contact_id: int) -> tuple[Investigation, ContactEvaluation]:
        """The contact's advice as of now (documents always say what the rules answer today)."""
        investigation, contact, group = self.contact(investigation_id, contact_id)
        return investigation, evaluate_contact(contact, group, investigation, self.clock(), self.rule_settings)

    def evaluate_all_now(self, investigation_id: str) -> tuple[Investigation, list[tuple[ContactEvaluation,
                                                                                           ContactGroup | None]]]:
        now = self.clock()
        with self.db.session() as session:
            investigation = self.investigation(investigation_id, session)
            groups = {g.id: g for g in self.groups(investigation_id, session)}
            contacts = list(session.scalars(self._live_contacts(investigation_id)
                                            .order_by(Contact.last_name, Contact.first_name)))
        out = []
        for contact in self.in_turns(contacts):
            group = groups.get(contact.group_id or -1)
            out.append((evaluate_contact(contact, group, investigation, now, self.rule_settings), group))
        return investigation, out

    def history(self, contact_id: int) -> list[ContactEvent]:
        with self.db.session() as session:
            return list(session.scalars(select(ContactEvent).where(ContactEvent.contact_id == contact_id)
                                        .order_by(ContactEvent.id)))

    def set_state(self, actor: Actor, investigation_id: str, contact_id: int, state: str) -> Contact:
        if state not in STATES:
            raise Invalid(Message.of("ws.error.state", states=", ".join(STATES)))
        now = utc_now_text(self.clock())
        with self.db.session() as session:
            self._open(session, investigation_id)
            contact = self._live_contact(session, investigation_id, contact_id)
            contact.state, contact.state_by, contact.state_at = state, actor.username, now
            contact.closed_measures = json.dumps(measures_closed_by(state, json.loads(contact.decision or "{}")))
            session.add(ContactEvent(contact_id=contact_id, state=state, by=actor.username, at=now))
            self.audit(actor, "contact.state", f"{investigation_id}/contact/{contact_id}", state, session)
        return contact

    def counts(self, rows: list[ContactRow]) -> dict[str, Counter[str]]:
        return {
            "status": Counter(r.status for r in rows),
            "state": Counter(r.contact.state for r in rows),
            "kind": Counter(str(r.decision.get("kind")) for r in rows),
        }


def headline(decision: dict[str, Any]) -> dict[str, str] | None:
    """What the list shows of a decision: its summary, and the vaccine when one is added."""
    summary = decision.get("summary")
    if summary is None:
        return None
    vaccine = (decision.get("vaccine") or {}).get("summary")
    return {lang: f"{text} ; {vaccine[lang]}" if vaccine else text for lang, text in summary.items()}


def _columns(data: ContactInput) -> dict[str, Any]:
    return {
        "group_id": data.group_id,
        "last_name": data.last_name,
        "first_name": data.first_name,
        "birth_date": data.birth_date,
        "sex": data.sex,
        "weight_kg": _decimal(data.weight_kg),
        "weighed_on": data.weighed_on.isoformat() if data.weighed_on else None,
        "setting": data.setting,
        "last_contact": data.last_contact.isoformat(timespec="minutes") if data.last_contact else None,
        "has_time": data.has_time,
        "pregnancy": data.pregnancy,
        "allergies": json.dumps(list(data.allergies), ensure_ascii=False),
        "treatments": json.dumps(list(data.treatments), ensure_ascii=False),
        "mmr_doses": json.dumps(data.mmr_doses),
        "occupation": data.occupation,
        "phone": data.phone,
        "comment": data.comment,
        "conditions": json.dumps(data.conditions, ensure_ascii=False, sort_keys=True),
    }


def _stored_report(report: ImportReport) -> dict[str, Any]:
    """The counts, and the rows with something to say, their messages in both languages."""
    rows = [{"line": r["line"], "status": r["status"], "contact_id": r.get("contact_id"), "name": r.get("name", ""),
             "changed": r.get("changed", []), "kept": r.get("kept", []), "errors": [both(e) for e in r["errors"]]}
            for r in report.rows if r["errors"] or r.get("changed") or r.get("kept")]
    return {"counts": dict(report.counts), "rows": rows}


def _merge(contact: Contact, values: dict[str, Any], blank: frozenset[str]) -> tuple[list[str], list[str]]:
    """(the fields to write, the fields kept as corrected by hand though the row differs)."""
    edited = set(json.loads(contact.edited_fields or "[]"))
    # a weight corrected by hand keeps its weighing date, a last contact its time: never half of a pair from the file
    edited |= {name for fields in COLUMN_FIELDS.values() if edited.intersection(fields) for name in fields}
    different = [name for name, value in values.items() if name not in blank and getattr(contact, name) != value]
    return [n for n in different if n not in edited], [n for n in different if n in edited]


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _sort_key(sort: str) -> Callable[[ContactRow], Any]:
    def last_contact(row: ContactRow) -> str:
        if row.contact.last_contact:
            return row.contact.last_contact
        return row.group.last_contact if row.group else ""

    keys: dict[str, Callable[[ContactRow], Any]] = {
        "name": lambda r: (vocabulary.fold(r.contact.last_name), vocabulary.fold(r.contact.first_name)),
        "birth_date": lambda r: r.contact.birth_date or "",
        "decision": lambda r: str(r.decision.get("kind")),
        "status": lambda r: ("blocked", "todo", "done").index(r.status),
        "state": lambda r: STATES.index(r.contact.state) if r.contact.state in STATES else 0,
        "last_contact": last_contact,
    }
    return keys.get(sort, keys["name"])


def local(moment_text: str) -> datetime:
    return datetime.fromisoformat(moment_text).astimezone(PRACTICE_TIMEZONE)
