"""The transaction kernel: the only code that writes projects and history.

Every change runs inside one :class:`Txn` (one database transaction):

1. lock the project row (SQLite: the engine's ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT … FOR
   UPDATE``) and check ``expect_version`` if given;
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
the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.access import GATE_COLUMNS as _GATE_COLUMNS
from workflow.errors import Conflict, NotFound
from workflow.events import (
    GENESIS,
    Assigned,
    Event,
    Facts,
    event_bytes,
    event_json,
    format_utc,
    plain_text,
    project_code,
)
from workflow.tables import assignment as ASG
from workflow.tables import capital_arrival as CAP
from workflow.tables import document as DOC
from workflow.tables import event as E
from workflow.tables import followup as FU
from workflow.tables import investment_completed as INV
from workflow.tables import problem as PB
from workflow.tables import problem_action as PBA
from workflow.tables import project as P
from workflow.tables import screening_check as CHK
from workflow.tables import supervision_letter as LET
from workflow.tables import year_plan as YP

TABLES: dict[str, Table] = {t.name: t for t in (E, CHK, DOC, CAP, INV, FU, ASG, PB, PBA, LET, YP)}
_INSERT_ORDER = ("event", "screening_check", "document", "capital_arrival", "investment_completed", "followup",
                 "assignment", "problem", "problem_action", "supervision_letter", "year_plan")
_IN_CHUNK = 500
_PROJECT_ID_LOCK = 0x5049_5045  # PostgreSQL advisory lock key serialising new project ids ("PIPE")

_LOCK = select(P).where(P.c.code == bindparam("b_code"))
_LOCK_FOR_UPDATE = _LOCK.with_for_update()
# SQLite: the project row and the write gate (``access.gate``) in one statement.  The transaction holds
# the database's write lock from its first statement (BEGIN IMMEDIATE), and SQLite has no privileges,
# so reading the row before the role check changes nothing but a round trip.
_LOCK_GATED = select(P, *_GATE_COLUMNS).where(P.c.code == bindparam("b_code"))
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


@dataclass(slots=True, eq=False)
class ProjectRow:
    """One project row as the write path holds it: typed columns, and the values it was read with
    (``changes()`` is what a save writes)."""

    id: int
    code: str
    name: str
    investor: str | None
    origin: str | None
    industry: str | None
    category: str | None
    key: bool
    key_override: bool | None
    planned_investment_minor: int
    planned_currency: str
    unit_code: str | None
    plan_sign: date | None
    plan_fund: date | None
    plan_break_ground: date | None
    plan_commission: date | None
    stage: str
    stage_since: date
    held_from: str | None
    registered_on: date
    last_transition_on: date
    last_followup_on: date | None
    workflow_name: str
    workflow_version: int
    version: int
    head_seq: int
    head_hash: str
    created_at: datetime
    original: tuple[Any, ...] = field(default=(), repr=False)  # the column values as read or last saved
    new: bool = field(default=False, repr=False)
    events: int = field(default=0, repr=False)  # events appended in this transaction

    @classmethod
    def of(cls, mapping: Any, *, new: bool = False) -> ProjectRow:
        values = {c: mapping[c] for c in COLUMNS}
        return cls(**values, original=tuple(values.values()), new=new)

    def values(self) -> dict[str, Any]:
        return dict(zip(COLUMNS, _COLUMN_VALUES(self), strict=True))

    def changes(self) -> dict[str, Any]:
        return {c: v for c, v, was in zip(COLUMNS, _COLUMN_VALUES(self), self.original, strict=True) if v != was}

    @property
    def saved_version(self) -> int:
        """The version as read (or last saved): the compare-and-set's expected value."""
        return int(self.original[_VERSION])

    def saved(self) -> None:
        self.original = _COLUMN_VALUES(self)
        self.events = 0


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ProjectRow) if f.name not in ("original", "new", "events"))
_COLUMN_VALUES = attrgetter(*COLUMNS)
_VERSION = COLUMNS.index("version")


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
        self.postgres = conn.dialect.name == "postgresql"
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

    def read_ahead(self, code: str) -> None:
        """SQLite: read ``code``'s row together with the gate, before the role check (one statement
        instead of two).  PostgreSQL locks only after the check (``FOR UPDATE`` needs the writer's
        privileges, which a disabled login or an auditor lacks), so nothing is read ahead there."""
        if self.postgres or self._gate is not None:
            return
        from workflow.find import normalize_code

        code = normalize_code(code)
        row = _read_gated(self.conn, code, self.actor)
        if row is None:
            return  # the gate is read on its own; ``lock`` names the missing project
        self._gate = (bool(row["gate_disabled"]), row["gate_ledger_head"])
        self.projects.setdefault(code, ProjectRow.of(row))

    def gate(self) -> tuple[bool, str | None]:
        """Whether the actor is disabled and the set-up ledger's head hash, read once per transaction
        in one statement (the role check and the closed-period check both need them)."""
        if self._gate is None:
            from workflow.access import gate

            self._gate = gate(self.conn, self.actor)
        return self._gate

    # --- locking ----------------------------------------------------------------------------------

    def lock(self, code: str) -> ProjectRow:
        """The project ``code`` (as typed: ``p-1`` is ``P-0001``), locked for this transaction
        (NotFound suggesting close matches if there is none)."""
        from workflow.find import normalize_code, project_not_found

        typed, code = code, normalize_code(code)
        proj = self.projects.get(code)
        if proj is not None:
            return proj
        row = self.conn.execute(_LOCK_FOR_UPDATE if self.postgres else _LOCK, {"b_code": code}).mappings().first()
        if row is None:
            raise project_not_found(self.conn, typed)
        proj = self.projects[code] = ProjectRow.of(row)
        return proj

    def lock_many(self, codes: Sequence[str]) -> dict[str, ProjectRow]:
        """Lock many projects at once and read their facts (a batch); NotFound lists the missing."""
        wanted = [c for c in dict.fromkeys(codes) if c not in self.projects]
        for chunk in _chunks(wanted, _IN_CHUNK):
            stmt = select(P).where(P.c.code.in_(chunk))
            if self.postgres:
                stmt = stmt.with_for_update()
            for row in self.conn.execute(stmt).mappings():
                self.projects[row["code"]] = ProjectRow.of(row)
        missing = [c for c in codes if c not in self.projects]
        if missing:
            raise NotFound("no_projects_more" if len(missing) > 5 else "no_projects",
                           [{"project": c} for c in missing], codes=missing[:5])
        self.prefetch([self.projects[c] for c in wanted])
        return {c: self.projects[c] for c in codes}

    def next_project_id(self) -> int:
        """The next new project id (codes are never reused); counts projects created in this
        transaction.  On PostgreSQL creators take a transaction-scoped advisory lock first."""
        if "next_id" not in self.cache:
            conn = self.conn
            if conn.dialect.name == "sqlite":
                # AUTOINCREMENT's counter: codes are never reused, even after a row went missing.
                seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'project'").scalar()
                top = conn.execute(select(func.max(P.c.id))).scalar()
                self.cache["next_id"] = max(seq or 0, top or 0) + 1
            else:
                # Not the id sequence (nextval is not transactional, so a dry run, a refusal or a killed
                # import would use codes up): continue after the highest id under an advisory lock.
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PROJECT_ID_LOCK})")
                self.cache["next_id"] = (conn.execute(select(func.max(P.c.id))).scalar() or 0) + 1
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
        if self._closed is None:
            from workflow.closing import closed_ranges_at

            self._closed = closed_ranges_at(self.conn, self.gate()[1])
        if self._closed:
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

    def _late(self, event: Event, on: date) -> str:
        """The payload of an event that may fall in a closed period: refused there unless the write
        is a late entry (``workflow.closing.late``), which the payload then records."""
        from workflow.closing import late_reason, refuse_closed

        data = event.payload()
        assert self._closed is not None
        for start, end, label in self._closed:
            if start <= on <= end:
                why = late_reason()
                if why is None:
                    raise refuse_closed(label, on, event.kind)
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
            rows = [_COLUMN_VALUES(p) for p in self._new]
            insert_many(conn, P, rows, keys=COLUMNS)
            for p, values in zip(self._new, rows, strict=True):
                p.original = values  # as inserted: nothing left to save
                p.events = 0
                p.new = False
                inserted.add(p.id)
            self._new = []
        for name in _INSERT_ORDER:
            if self._rows[name]:
                insert_many(conn, TABLES[name], self._rows[name])
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
                done = _save(conn, keys, chunk)
                if (len(chunk) == 1 or conn.dialect.supports_sane_multi_rowcount) and done != len(chunk):
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


_GATED_SQL: list[tuple[str, Callable, list[str], list[tuple[str, Callable]]]] = []


def _read_gated(conn: Connection, code: str, actor: str) -> dict[str, Any] | None:
    """SQLite: ``_LOCK_GATED`` compiled once and run as its SQL, each value through SQLAlchemy's own
    result processor of its column (what ``conn.execute`` would do, without building the statement's
    parameters and result object each write)."""
    if not _GATED_SQL:
        compiled = _LOCK_GATED.compile(dialect=conn.dialect)
        names = [str(c.key) for c in _LOCK_GATED.selected_columns]
        processors: list[tuple[str, Callable]] = []
        for name, c in zip(names, _LOCK_GATED.selected_columns, strict=True):
            f = c.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
            if f is not None:
                processors.append((name, f))
        binds = list(compiled.positiontup or ())
        fixed = compiled.construct_params({"b_code": "", "b_login": ""})  # and the literal values in it
        assert all(not isinstance(fixed[b], bool | date) for b in binds)  # none needs a bind processor
        template = [fixed[b] for b in binds]
        positions = {b: [i for i, x in enumerate(binds) if x == b] for b in ("b_code", "b_login")}

        def params(code: str, actor: str) -> tuple:
            values = list(template)
            for name, value in (("b_code", code), ("b_login", actor)):
                for i in positions[name]:
                    values[i] = value
            return tuple(values)

        _GATED_SQL.append((str(compiled), params, names, processors))
    sql, params, names, processors = _GATED_SQL[0]
    # On the DBAPI connection, inside the transaction SQLAlchemy began: a text statement through
    # SQLAlchemy would build its result's metadata from the cursor's description every time.
    found = conn.connection.dbapi_connection.execute(sql, params(code, actor)).fetchone()  # type: ignore[union-attr]
    if found is None:
        return None
    row = dict(zip(names, found, strict=True))
    for name, process in processors:
        row[name] = process(row[name])
    return row


_SAVES: dict[tuple[str, ...], Any] = {}


def _save_statement(keys: tuple[str, ...]) -> Any:
    stmt = _SAVES.get(keys)
    if stmt is None:
        stmt = _SAVES[keys] = (update(P).where(P.c.id == bindparam("b_id"), P.c.version == bindparam("b_old"))
                               .values(**{k: bindparam(f"b_{k}") for k in keys}))
    return stmt


_SQLITE_SAVES: dict[tuple[str, ...], tuple[str, Callable, list[tuple[int, Callable]]]] = {}


def _save(conn: Connection, keys: tuple[str, ...], saves: Sequence[dict]) -> int:
    """Save the changed columns ``keys`` of projects on their old versions (the compare-and-set);
    the rows updated.  On SQLite the statement is compiled once per set of columns and run with
    SQLAlchemy's own bind processors over each value, as ``insert_many`` does."""
    if conn.dialect.name != "sqlite":
        return conn.execute(_save_statement(keys), saves).rowcount
    found = _SQLITE_SAVES.get(keys)
    if found is None:
        compiled = _save_statement(keys).compile(dialect=conn.dialect)
        order = list(compiled.positiontup or ())
        types = {f"b_{k}": P.c[k].type for k in keys} | {"b_id": P.c.id.type, "b_old": P.c.version.type}
        processors = [types[b].dialect_impl(conn.dialect).bind_processor(conn.dialect) for b in order]
        found = _SQLITE_SAVES[keys] = (str(compiled), itemgetter(*order),
                                       [(i, f) for i, f in enumerate(processors) if f is not None])
    sql, getter, processed = found
    params = []
    for save in saves:
        values = list(getter(save))
        for i, process in processed:
            if values[i] is not None:
                values[i] = process(values[i])
        params.append(tuple(values))
    return conn.exec_driver_sql(sql, params).rowcount


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


def insert_many(conn: Connection, table: Table, rows: Sequence[Any], chunk: int = 20_000, *,
                keys: tuple[str, ...] | None = None) -> None:
    """Insert ``rows`` with executemany of the table's Core insert: dicts with the same keys, or
    tuples of the values of ``keys``.

    On SQLite SQLAlchemy's own bind processors convert each distinct value once (dates, times and
    booleans repeat; converting every parameter of every row costs more than SQLite's insert)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        if keys is not None:
            rows = [dict(zip(keys, r, strict=True)) for r in rows]
        for start in range(0, len(rows), chunk):
            conn.execute(insert(table), rows[start:start + chunk])
        return
    sql, getter, processed, order = _sqlite_insert(conn.dialect, table, keys or tuple(rows[0]))
    if keys is not None:  # tuples: reordered only if the statement wants another order
        getter = _same if order == keys else itemgetter(*(keys.index(k) for k in order))
    for start in range(0, len(rows), chunk):
        params = list(map(getter, rows[start:start + chunk]))  # each row's values in the statement's order
        if processed:
            columns = list(zip(*params, strict=True))
            for i, process in processed:
                columns[i] = _converted(columns[i], process)
            params = list(zip(*columns, strict=True))
        conn.exec_driver_sql(sql, params)


_SQLITE_INSERTS: dict[tuple, tuple] = {}


def _same(row: Any) -> Any:
    return row


def _sqlite_insert(dialect: Any, table: Table, keys: tuple
                   ) -> tuple[str, Callable, list[tuple[int, Callable]], tuple[str, ...]]:
    """The INSERT of ``keys`` into ``table`` compiled for SQLite, a getter of a row's values in its
    order, and the (position, bind processor) of the columns that need converting; built once."""
    found = _SQLITE_INSERTS.get((table.name, keys))
    if found is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        order = list(compiled.positiontup or ())
        processors = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in order]
        getter = itemgetter(*order) if len(order) > 1 else (lambda row, k=order[0]: (row[k],))
        found = _SQLITE_INSERTS[(table.name, keys)] = (
            str(compiled), getter, [(i, f) for i, f in enumerate(processors) if f is not None], tuple(order))
    return found


def _converted(column: Sequence, process: Callable) -> tuple:
    """``column`` through a bind processor, each distinct value converted once (None stays None)."""
    try:
        done = {v: None if v is None else process(v) for v in set(column)}
    except TypeError:  # an unhashable value: convert one by one
        return tuple(None if v is None else process(v) for v in column)
    return tuple(map(done.__getitem__, column))


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


__all__ = ["GENESIS", "COLUMNS", "ProjectRow", "Txn", "WriteResult", "insert_many", "project_code",
           "project_codes", "run"]
