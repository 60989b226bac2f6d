"""The transaction kernel: the only code that writes projects and history.

Every change runs inside one :class:`Txn` (one database transaction):

1. lock the project row (through the engine's recorder, ``workflow.recorders``: SQLite's
   ``BEGIN IMMEDIATE`` already holds the database; PostgreSQL ``SELECT … FOR UPDATE``) and check
   ``expect_version`` if given;
2. a command (``workflow.commands``) validates, decides and emits typed events (``workflow.events``);
3. :meth:`Txn.emit` appends each event to the project's hash chain (next ``seq``, ``prev_hash`` =
   the head's hash, ``hash`` over the canonical bytes), applies it to the project row and the
   project's guard facts, and queues the event row and its derived rows;
4. :meth:`Txn.flush` inserts what was queued and saves every changed project with a
   compare-and-set on its old version (zero rows updated: conflict, exit 5);
5. the caller commits; any exception before that rolls everything back.

A single write and a batch (import, demo, ``rules apply``) differ only in when :meth:`flush` runs
and in where the guard facts come from: a single write reads a project's facts when a guard first
asks; a batch reads many projects' facts at once and then keeps them in memory.  The commands are
the same.  Whatever differs between the engines is the recorder's; this module never asks which
engine it runs on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.closed import closed_ranges_at, late_reason, refuse_closed
from workflow.codes import normalize_code, project_code
from workflow.encoding import GENESIS, event_bytes, event_json, format_utc, plain_text
from workflow.errors import Conflict, NotFound
from workflow.events import Assigned, Event, Facts
from workflow.find import project_not_found
from workflow.gate import gate
from workflow.recorders import recorder as _recorder
from workflow.rows import COLUMN_VALUES, COLUMNS, ProjectRow
from workflow.tables import assignment as ASG
from workflow.tables import capital_arrival as CAP
from workflow.tables import commitment as CMT
from workflow.tables import document as DOC
from workflow.tables import event as E
from workflow.tables import followup as FU
from workflow.tables import investment_completed as INV
from workflow.tables import performance as PERF
from workflow.tables import problem as PB
from workflow.tables import problem_action as PBA
from workflow.tables import project as P
from workflow.tables import screening_check as CHK
from workflow.tables import supervision_letter as LET
from workflow.tables import year_plan as YP

TABLES: dict[str, Table] = {t.name: t for t in (E, CHK, DOC, CAP, INV, FU, ASG, PB, PBA, LET, YP, CMT, PERF)}
_INSERT_ORDER = ("event", "screening_check", "document", "capital_arrival", "investment_completed", "followup",
                 "assignment", "problem", "problem_action", "supervision_letter", "year_plan", "commitment",
                 "performance")
_IN_CHUNK = 500
_END_ASSIGNMENT = (update(ASG).where(ASG.c.project_id == bindparam("b_pid"), ASG.c.event_seq == bindparam("b_aseq"))
                   .values(ended_on=bindparam("b_on"), ended_seq=bindparam("b_seq")))
_DOC_KINDS = select(DOC.c.kind).where(DOC.c.project_id == bindparam("b_pid"))
_CHECKS = select(CHK.c.item, CHK.c.result).where(CHK.c.project_id == bindparam("b_pid")).order_by(CHK.c.event_seq)
_CAPITAL = select(func.coalesce(func.sum(CAP.c.amount_minor), 0)).where(CAP.c.project_id == bindparam("b_pid"))
_HOLDERS = (select(ASG.c.project_id, ASG.c.role, ASG.c.person_login, ASG.c.event_seq)
            .where(ASG.c.ended_seq.is_(None)).order_by(ASG.c.id))


def project_codes(first: str, count: int) -> list[str]:
    """The codes of ``count`` projects created one after another from ``first`` (an import's)."""
    start = int(first.removeprefix("P-"))
    return [project_code(i) for i in range(start, start + count)]




@dataclass
class WriteResult:
    """What one command did to one project: the row after it and the events it appended (as JSON)."""

    project: ProjectRow
    events: list[dict] = field(default_factory=list)


class Txn:
    """One write transaction on ``conn`` by ``actor`` (see the module docstring).

    ``batch``: many projects; their facts are read together (``prefetch``) and rows are inserted
    in batches.  A single write flushes at the end of its command."""

    def __init__(self, conn: Connection, actor: str, *, batch: bool = False):
        self.conn = conn
        self.actor = actor
        self.batch = batch
        self.recorder = _recorder(conn)  # what differs between the engines (workflow.recorders)
        self.recorded_at = clock.utcnow()
        self.recorded_text = format_utc(self.recorded_at)
        self.today = clock.today()  # "today" for the effective-date rules, once per transaction
        self.projects: dict[str, ProjectRow] = {}
        self._facts: dict[int, Facts] = {}
        self._rows: dict[str, list[dict]] = {name: [] for name in _INSERT_ORDER}
        self._new: list[ProjectRow] = []
        self._ends: list[dict] = []
        self.events_written = 0
        self.cache: dict[str, Any] = {}  # per-transaction lookups (units, rules, people, loads)
        self._closed: list[tuple[date, date, str]] | None = None  # closed periods (workflow.closing)
        self._gate: tuple[bool, str | None] | None = None  # (actor disabled, ledger head): ``gate``
        # An earlier date the next events change besides their own (an undo's undone entry): inside a
        # closed period they are late entries too (``_late``).
        self.touches: date | None = None

    def read_ahead(self, code: str) -> None:
        """Before the role check: read ``code``'s row together with the gate where the recorder can
        (SQLite: one statement instead of two; PostgreSQL reads nothing ahead)."""
        if self._gate is not None:
            return

        code = normalize_code(code)
        row = self.recorder.read_ahead(self.conn, code, self.actor)
        if row is None:
            return  # the gate is read on its own; ``lock`` names the missing project
        self._gate = (bool(row["gate_disabled"]), row["gate_ledger_head"])
        self.projects.setdefault(code, ProjectRow.of(row))

    def gate(self) -> tuple[bool, str | None]:
        """Whether the actor is disabled and the set-up ledger's head hash, read once per transaction
        in one statement (the role check and the closed-period check both need them)."""
        if self._gate is None:
            self._gate = gate(self.conn, self.actor)
        return self._gate

    # --- locking ----------------------------------------------------------------------------------

    def lock(self, code: str) -> ProjectRow:
        """The project ``code`` (as typed: ``p-1`` is ``P-0001``), locked for this transaction
        (NotFound suggesting close matches if there is none)."""
        typed, code = code, normalize_code(code)
        proj = self.projects.get(code)
        if proj is not None:
            return proj
        row = self.recorder.lock(self.conn, code)
        if row is None:
            raise project_not_found(self.conn, typed)
        proj = self.projects[code] = ProjectRow.of(row)
        return proj

    def lock_many(self, codes: Sequence[str]) -> dict[str, ProjectRow]:
        """Lock many projects at once and read their facts (a batch); NotFound lists the missing."""
        wanted = [c for c in dict.fromkeys(codes) if c not in self.projects]
        for chunk in _chunks(wanted, _IN_CHUNK):
            for row in self.recorder.lock_many(self.conn, chunk):
                self.projects[row["code"]] = ProjectRow.of(row)
        missing = [c for c in codes if c not in self.projects]
        if missing:
            raise NotFound("no_projects_more" if len(missing) > 5 else "no_projects",
                           [{"project": c} for c in missing], codes=missing[:5])
        self.prefetch([self.projects[c] for c in wanted])
        return {c: self.projects[c] for c in codes}

    def next_project_id(self) -> int:
        """The next new project id (codes are never reused); counts projects created in this
        transaction (the recorder's: on PostgreSQL creators take turns)."""
        if "next_id" not in self.cache:
            self.cache["next_id"] = self.recorder.next_project_id(self.conn)
        return int(self.cache["next_id"])

    def create(self, proj: ProjectRow) -> ProjectRow:
        """Add a new project row (``new``; its id from ``next_project_id``): inserted at the next flush."""
        self.cache["next_id"] = proj.id + 1
        self.projects[proj.code] = proj
        self._new.append(proj)
        return proj

    # --- facts ------------------------------------------------------------------------------------

    def facts(self, proj: ProjectRow) -> Facts:
        """The project's guard facts: read once in this transaction, then kept up to date by events."""
        found = self._facts.get(proj.id)
        if found is None:
            if proj.new:  # created in this transaction: nothing recorded yet
                found = self._facts[proj.id] = Facts()
                return found
            self.prefetch([proj])
            found = self._facts[proj.id]
        return found

    def prefetch(self, projs: Iterable[ProjectRow]) -> None:
        """Read the facts of many projects with a few queries (a batch; a single write reads one)."""
        ids = [p.id for p in projs if p.id not in self._facts]
        conn = self.conn
        if len(ids) == 1:  # a single write: each part is read when first asked for
            self._facts[ids[0]] = Facts(documents=None, checks=None, capital=None, holders=None,
                                        loader=_FactsLoader(conn, ids[0]))
            return
        for chunk in _chunks(ids, _IN_CHUNK):
            facts = {pid: Facts() for pid in chunk}
            for pid, kind in conn.execute(select(DOC.c.project_id, DOC.c.kind).where(DOC.c.project_id.in_(chunk))):
                facts[pid].documents.add(kind)
            for pid, item, outcome in conn.execute(
                    select(CHK.c.project_id, CHK.c.item, CHK.c.result).where(CHK.c.project_id.in_(chunk))
                    .order_by(CHK.c.project_id, CHK.c.event_seq)):
                facts[pid].checks[item] = outcome
            for pid, total in conn.execute(
                    select(CAP.c.project_id, func.sum(CAP.c.amount_minor)).where(CAP.c.project_id.in_(chunk))
                    .group_by(CAP.c.project_id)):
                facts[pid].capital = int(total)
            for pid, role, login, seq in conn.execute(_HOLDERS.where(ASG.c.project_id.in_(chunk))):
                facts[pid].holders.setdefault(role, []).append({"person_login": login, "event_seq": seq})
            self._facts.update(facts)

    # --- appending --------------------------------------------------------------------------------

    def emit(self, proj: ProjectRow, event: Event) -> dict:
        """Append ``event`` to ``proj``'s chain, apply it, and queue its rows; the stored row (a dict
        whose ``seq`` and ``hash`` are final) is returned."""
        seq = proj.head_seq + 1
        on = event.on
        if self.closed():
            payload = self._late(event, on)
        else:
            payload = plain_text(event.payload())
        kind = event.kind
        trigger, from_stage, to_stage, reason = event.trigger, event.from_stage, event.to_stage, event.reason
        digest = hashlib.sha256(event_bytes(
            proj.code, seq, kind, trigger, from_stage, to_stage, on, self.recorded_text, self.actor, reason,
            payload, proj.head_hash, repeated=True)).hexdigest()
        row = {"project_id": proj.id, "seq": seq, "kind": kind, "trigger": trigger, "from_stage": from_stage,
               "to_stage": to_stage, "effective_on": on, "recorded_at": self.recorded_at, "actor": self.actor,
               "reason": reason, "payload": payload, "prev_hash": proj.head_hash, "hash": digest}
        facts = self.facts(proj) if event.touches_facts else self._facts.get(proj.id)
        if isinstance(event, Assigned):
            ended = event.ends(facts)
            if ended is not None:
                self._ends.append({"b_pid": proj.id, "b_aseq": ended, "b_on": on, "b_seq": seq})
            event.apply_holders(facts, seq)
        event.apply(proj, facts)
        rows = self._rows
        rows["event"].append(row)
        for table, values in event.derived(proj.id, seq, self.actor):
            rows[table].append(values)
        proj.head_seq = seq
        proj.head_hash = digest
        proj.events += 1
        self.events_written += 1
        return row

    def queued_events(self, since: int = 0) -> list[dict]:
        """The events appended and not yet flushed (from the ``since``-th), as the CLI shows them."""
        return [event_json(r) for r in self._rows["event"][since:]]

    def closed(self) -> list[tuple[date, date, str]]:
        """``(start, end, label)`` of the periods closed now, read once per transaction."""
        if self._closed is None:
            self._closed = closed_ranges_at(self.conn, self.gate()[1])
        return self._closed

    def _late(self, event: Event, on: date) -> str:
        """The payload of an event that may fall in a closed period (by its date, or by the date it
        ``touches``): refused there unless the write is a late entry (``workflow.closed.late``),
        which the payload then records."""
        data = event.payload()
        assert self._closed is not None
        touched = self.touches
        for start, end, label in self._closed:
            if start <= on <= end or (touched is not None and start <= touched <= end):
                why = late_reason()
                if why is None:
                    raise refuse_closed(label, on if start <= on <= end or touched is None else touched,
                                        event.kind)
                data = {**data, "late": {"period": label, "reason": why}}
                break
        return plain_text(data)

    def queued_rows(self, project_id: int) -> list[dict]:
        """The event rows of one project appended in this transaction and not yet flushed."""
        return [r for r in self._rows["event"] if r["project_id"] == project_id]

    def queued(self) -> int:
        return len(self._rows["event"])

    # --- writing ----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Insert what was queued, end replaced assignments, and save every changed project with
        its compare-and-set (a project's version goes up by one per command that changed it)."""
        conn = self.conn
        inserted = set()
        if self._new:
            rows = [COLUMN_VALUES(p) for p in self._new]
            self.recorder.insert(conn, P, rows, COLUMNS)
            for p, values in zip(self._new, rows, strict=True):
                p.original = values  # as inserted: nothing left to save
                p.events = 0
                p.new = False
                inserted.add(p.id)
            self._new = []
        for name in _INSERT_ORDER:
            if self._rows[name]:
                self.recorder.insert(conn, TABLES[name], self._rows[name])
                self._rows[name] = []
        if self._ends:
            conn.execute(_END_ASSIGNMENT, self._ends)
            self._ends = []
        groups: dict[tuple[str, ...], list[dict]] = {}
        changed: list[ProjectRow] = []
        for proj in self.projects.values():
            if proj.id in inserted:
                continue
            changes = proj.changes()
            if not changes:
                continue
            old = proj.saved_version
            changed.append(proj)
            groups.setdefault(tuple(sorted(changes)), []).append(
                {"b_id": proj.id, "b_old": old, **{f"b_{k}": v for k, v in changes.items()}})
        for keys, saves in groups.items():
            for chunk in _chunks(saves, 5000):
                done = self.recorder.save(conn, keys, chunk)
                if done is not None and done != len(chunk):
                    code = chunk[0]["b_id"]
                    raise Conflict("was_changed_by_someone_else",
                                   [{"project": project_code(code),
                                     "expected": chunk[0]["b_old"]}], project_code=project_code(code))
        for proj in changed:
            proj.saved()

    def done(self, proj: ProjectRow) -> None:
        """One command on ``proj`` is complete: an existing project's version goes up by one if it
        appended anything (a project created in this transaction stays at version 1)."""
        if proj.events and not proj.new:
            proj.version += 1
        proj.events = 0

    def forget(self) -> None:
        """After a flush, drop the projects and facts kept so far (a long batch keeps memory bounded);
        a later command on one of them locks and reads it again."""
        self.projects = {}
        self._facts = {}


class _FactsLoader:
    """Reads one part of one project's facts (``Facts`` asks for each part once, when first used)."""

    __slots__ = ("conn", "pid")

    def __init__(self, conn: Connection, pid: int):
        self.conn = conn
        self.pid = pid

    def __call__(self, part: str) -> Any:
        conn, param = self.conn, {"b_pid": self.pid}
        if part == "documents":
            return {r[0] for r in conn.execute(_DOC_KINDS, param)}
        if part == "checks":
            return dict(conn.execute(_CHECKS, param).all())  # in event order: the latest result wins
        if part == "capital":
            return int(conn.execute(_CAPITAL, param).scalar() or 0)
        holders: dict[str, list[dict]] = {}
        for _pid, role, login, seq in conn.execute(_HOLDERS.where(ASG.c.project_id == self.pid)):
            holders.setdefault(role, []).append({"person_login": login, "event_seq": seq})
        return holders


def run(engine: Any, actor: str, code: str, command: Callable[[Txn, ProjectRow], Any], *,
        check: Callable[[Txn], Any] | None = None, expect_version: int | None = None) -> WriteResult:
    """One command on one project in its own transaction: ``check(txn)`` (the role check) first,
    then lock, version check, the command, flush; commit on success."""
    with engine.begin() as conn:
        txn = Txn(conn, actor)
        if check is not None:
            txn.read_ahead(code)
            check(txn)
        proj = txn.lock(code)
        if expect_version is not None and proj.version != expect_version:
            raise Conflict(
                "version_conflict",
                [{"project": code, "version": proj.version,
                  "expected": expect_version}], code=code, version=proj.version, expect_version=expect_version)
        mark = txn.queued()
        command(txn, proj)
        events = txn.queued_events(mark)
        txn.done(proj)
        txn.flush()
        return WriteResult(proj, events)


# --- batched inserts ---------------------------------------------------------------------------------


def insert_many(conn: Connection, table: Table, rows: Sequence[Any], *, keys: tuple[str, ...] | None = None
                ) -> None:
    """Insert ``rows`` into ``table`` as the engine's recorder does: dicts with the same keys, or
    tuples of the values of ``keys``."""
    if rows:
        _recorder(conn).insert(conn, table, rows, keys)


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


__all__ = ["GENESIS", "COLUMNS", "ProjectRow", "Txn", "WriteResult", "insert_many", "project_code",
           "project_codes", "run"]
