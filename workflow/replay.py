"""Replay: rebuild every project from its history alone, check each event was legal, and compare
what the program reads (the project row and the side tables) with what history says it must be.

Each stored event row is parsed back into its :mod:`workflow.events` class
(:func:`workflow.events.event_from_row`) and applied with the same ``apply``/``derived`` the write
path (``workflow.store.Txn.emit``) uses, so there is one description of what every kind does.

Per event the replay checks (a problem names the project, the event and what was wrong):

- **legal move**: a transition fires from the replayed stage through the project's workflow
  definition (the shared machine) to the recorded stage, and every guard of it holds on what was
  recorded before it (documents, checks, capital, lead leader, the project's fields, the reason);
- **dates**: no effective date before the registration, none after the day it was recorded, and no
  transition before the previous one;
- **actor**: a known user whose role may do that act (``ENTITLED``); a leader's follow-up only on a
  project the leader holds a role on; a correction by an admin or by the corrected entry's author.

What the replay rebuilds is then compared with the tables: every project field history fixes
(``PROJECT_FIELDS``) and every derived row (``DERIVED_COLUMNS``): a changed value, a missing row and
a phantom row (one no event made) are each a difference naming the table, the field, the expected
and the found value.

Everything streams: events in ``(project_id, seq)`` order and each side table in ``project_id``
order are merged project by project, so memory holds one project at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from workflow.events import (
    GENESIS,
    Assigned,
    Corrected,
    Facts,
    Registered,
    Transitioned,
    event_from_row,
    project_code,
)

WRITERS = ("coordinator", "admin")
# Which roles may record each kind of event (what ``workflow.service`` lets each role do).
ENTITLED: dict[str, tuple[str, ...]] = {
    "registered": WRITERS, "edited": WRITERS, "transition": WRITERS, "check": WRITERS, "document": WRITERS,
    "capital": WRITERS, "investment": WRITERS, "followup": (*WRITERS, "leader"), "assignment": WRITERS,
    "reassignment": ("admin",), "correction": ("admin",),
}

# The project columns history fixes, compared with the project row.
PROJECT_FIELDS = ("name", "investor", "origin", "industry", "category", "key", "planned_investment_minor",
                  "unit_code", "plan_sign", "plan_fund", "plan_break_ground", "plan_commission", "stage",
                  "stage_since", "held_from", "registered_on", "last_transition_on", "last_followup_on",
                  "workflow_name", "workflow_version", "head_seq", "head_hash")
# Checked by the chain sweep (``audit._check_projects``) already; the replay compares the rest.
CHAIN_FIELDS = frozenset({"stage", "held_from", "head_seq", "head_hash"})
COMPARED_FIELDS = tuple(f for f in PROJECT_FIELDS if f not in CHAIN_FIELDS)

# The side tables and the columns their rows are compared by (``event_seq`` identifies a row).
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "screening_check": ("item", "result", "note", "effective_on"),
    "document": ("kind", "number", "effective_on"),
    "capital_arrival": ("amount_minor", "currency", "effective_on", "source"),
    "investment_completed": ("amount_minor", "currency", "effective_on"),
    "followup": ("note", "effective_on", "actor"),
    "assignment": ("role", "person_login", "rule_id", "rule_version", "assigned_on", "ended_on", "ended_seq"),
}

_FUTURE_SLACK = timedelta(days=1)  # the configured time zone's today may be a day ahead of UTC's


def _problem(code: str, seq: int | None, text: str, table: str | None = None, field: str | None = None,
             expected: Any = None, found: Any = None) -> dict:
    return {"code": code, "seq": seq, "problem": text, "table": table, "field": field,
            "expected": _show(expected), "found": _show(found)}


def _show(value: Any) -> Any:
    """A value as JSON shows it (dates as ISO text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _day(value: Any) -> date:
    if type(value) is str:
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value  # type: ignore[no-any-return]


def _norm(value: Any) -> Any:
    """A stored value in the form the replay produces (SQLite returns dates as text, PostgreSQL as dates)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Definitions:
    """Workflow definitions by (name, version), loaded once; None for one the program does not know."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, int], Any] = {}

    def get(self, name: str, version: int) -> Any:
        key = (name, version)
        if key not in self.cache:
            try:
                from workflow.definition import get_definition

                self.cache[key] = get_definition(name, version)
            except Exception:
                self.cache[key] = None
        return self.cache[key]


class _Probe:
    __slots__ = ("stage", "held_from")

    def __init__(self, stage: str, held_from: str | None):
        self.stage = stage
        self.held_from = held_from


class Replayed:
    """One project rebuilt from its events: its row (a ``store.ProjectRow``), facts, derived rows
    (table -> event_seq -> values) and the problems found on the way."""

    __slots__ = ("pid", "code", "row", "facts", "rows", "problems", "events")

    def __init__(self, pid: int, code: str):
        self.pid = pid
        self.code = code
        self.row: Any = None
        self.facts = Facts()
        self.rows: dict[str, dict[int, dict]] = {t: {} for t in DERIVED_COLUMNS}
        self.problems: list[dict] = []
        self.events = 0


def _new_row(pid: int, code: str, ev: Registered, created_at: Any) -> Any:
    from workflow.store import ProjectRow

    sign, fund, break_ground, commission = ev.plan
    return ProjectRow(
        id=pid, code=code, name=ev.name, investor=ev.investor, origin=ev.origin, industry=ev.industry,
        category=ev.category, key=ev.key, key_override=None, planned_investment_minor=ev.planned_investment_minor,
        planned_currency="CNY", unit_code=ev.unit_code, plan_sign=sign, plan_fund=fund,
        plan_break_ground=break_ground, plan_commission=commission, stage=ev.stage, stage_since=ev.on,
        held_from=None, registered_on=ev.on, last_transition_on=ev.on, last_followup_on=None,
        workflow_name=ev.workflow_name, workflow_version=ev.workflow_version, version=1, head_seq=0,
        head_hash=GENESIS, created_at=created_at)


def replay_project(pid: int, code: str, rows: Iterator[tuple], roles: dict[str, str],
                   definitions: _Definitions | None = None) -> Replayed:
    """Replay one project's events, given as ``(seq, kind, trigger, from_stage, to_stage, effective_on,
    recorded_at, actor, reason, payload, hash)`` tuples in ``seq`` order."""
    from workflow.guards import GuardContext, evaluate

    defs = definitions or _Definitions()
    rep = Replayed(pid, code)
    facts = rep.facts
    derived = rep.rows
    problems = rep.problems
    defn: Any = None
    paused: frozenset[str] = frozenset()
    amounts_on: dict[int, date] = {}  # seq of a capital/investment event -> its effective date
    authors: dict[int, str] = {}  # seq -> actor (a correction by the entry's author)
    for seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload, stored_hash in rows:
        rep.events += 1
        row = rep.row

        def bad(text: str, field: str | None = None, expected: Any = None, found: Any = None,
                table: str = "event", seq: int = seq) -> None:
            problems.append(_problem(code, seq, text, table, field, expected, found))

        try:
            on = _day(eff)
            parsed = json.loads(payload) if isinstance(payload, str) else payload
            if not isinstance(parsed, dict):
                raise TypeError("the payload is not an object")
            target_on = None
            if kind == "correction":
                target_on = amounts_on.get(parsed.get("corrects"))  # type: ignore[arg-type]
            ev = event_from_row(kind, trigger, from_stage, to_stage, on, reason, parsed, paused, target_on)
        except Exception as exc:
            bad(f"the event cannot be read as a {kind!r} event ({type(exc).__name__}: {exc})", "payload")
            if row is not None:
                row.head_seq, row.head_hash = seq, stored_hash
            continue
        # --- the first event registers the project -------------------------------------------
        if row is None:
            if not isinstance(ev, Registered):
                bad(f"the first event is {kind!r}, not the project's registration", "kind", "registered", kind)
                continue
            row = rep.row = _new_row(pid, code, ev, None)
            defn = defs.get(ev.workflow_name, ev.workflow_version)
            if defn is None:
                bad(f"workflow {ev.workflow_name!r} version {ev.workflow_version} is unknown", "payload")
            else:
                paused = frozenset(s.key for s in defn.stages if s.is_paused)
                if ev.stage != defn.stages[0].key:
                    bad(f"registered at stage {ev.stage!r}, not the workflow's first stage", "to_stage",
                        defn.stages[0].key, ev.stage)
        elif isinstance(ev, Registered):
            bad("a second registration", "kind")
            row.head_seq, row.head_hash = seq, stored_hash
            continue
        # --- who ------------------------------------------------------------------------------
        role = roles.get(actor)
        allowed = ENTITLED.get(kind, ())
        if role is None:
            bad(f"the actor {actor!r} is not a known user", "actor", "a user whose role may record "
                f"{kind}", actor)
        elif role not in allowed:
            author = authors.get(parsed.get("corrects")) if kind == "correction" else None  # type: ignore[arg-type]
            if author != actor:
                bad(f"the actor {actor!r} (role {role}) may not record a {kind} event", "actor",
                    " or ".join(allowed), role)
        elif role == "leader" and kind == "followup":
            if not any(h["person_login"] == actor for hs in facts.holders.values() for h in hs):
                bad(f"the leader {actor!r} holds no role on {code} and may not add its follow-ups", "actor")
        # --- when -----------------------------------------------------------------------------
        try:
            recorded = _day(rec)
        except (TypeError, ValueError):
            recorded = None
        if recorded is not None:
            if on > recorded + _FUTURE_SLACK:
                bad(f"effective date {on} lies after the day it was recorded ({recorded})", "effective_on",
                    f"<= {recorded}", on)
        if on < row.registered_on:
            bad(f"effective date {on} lies before the registration ({row.registered_on})", "effective_on",
                f">= {row.registered_on}", on)
        # --- what -----------------------------------------------------------------------------
        if isinstance(ev, Transitioned):
            if on < row.last_transition_on:
                bad(f"transition dated {on}, before the previous transition ({row.last_transition_on})",
                    "effective_on", f">= {row.last_transition_on}", on)
            if defn is not None:
                _check_transition(defn, row, facts, ev, bad, GuardContext, evaluate)
        elif isinstance(ev, Corrected):
            if not 1 <= ev.corrects < seq:
                bad(f"a correction of event {ev.corrects}, which does not precede it", "payload")
        for col, stored, made in (("trigger", trigger, ev.trigger), ("from_stage", from_stage, ev.from_stage),
                                  ("to_stage", to_stage, ev.to_stage), ("reason", reason, ev.reason)):
            if stored != made:
                bad(f"a {kind} event with {col} {stored!r}, which no command records", col, made, stored)
        # --- apply, as the write path does -----------------------------------------------------
        if isinstance(ev, Assigned):
            ended = ev.ends(facts)
            if ev.replaces is not None and ended is None:
                bad(f"a reassignment replacing {ev.replaces!r}, who does not hold {ev.role}", "payload")
            if ended is not None and ended in derived["assignment"]:
                derived["assignment"][ended]["ended_on"] = on
                derived["assignment"][ended]["ended_seq"] = seq
            ev.apply_holders(facts, seq)
        ev.apply(row, facts)
        for table, values in ev.derived(pid, seq, actor):
            if table == "assignment":
                values = {**values, "ended_on": None, "ended_seq": None}
            derived[table][seq] = values
        if kind in ("capital", "investment"):
            amounts_on[seq] = on
        authors[seq] = actor
        row.head_seq, row.head_hash = seq, stored_hash
    return rep


def _check_transition(defn: Any, row: Any, facts: Facts, ev: Transitioned, bad: Callable[..., None],
                      GuardContext: Any, evaluate: Any) -> None:
    from workflow.machine import fire

    probe = _Probe(row.stage, row.held_from)
    try:
        _from, to = fire(defn, probe, ev.name)
    except Exception as exc:
        bad(f"{ev.name} is not a legal transition from {row.stage!r} ({exc})", "trigger")
        return
    if to != ev.dest:
        bad(f"{ev.name} from {row.stage!r} leads to {to!r}, not to the recorded {ev.dest!r}", "to_stage", to, ev.dest)
    transition = defn.transition(ev.name)
    ctx = GuardContext(
        name=row.name, investor=row.investor, industry=row.industry, unit=row.unit_code,
        planned_investment_minor=row.planned_investment_minor, key=bool(row.key),
        documents=frozenset(facts.documents), checks=dict(facts.checks), capital_minor=facts.capital,
        has_lead_leader=bool(facts.holders.get("lead_leader")), reason=ev.why)
    for result in evaluate(transition.guards, ctx, defn.guard_labels):
        if not result.ok:
            bad(f"{ev.name} was recorded although its guard {result.guard} did not hold: {result.message}",
                "trigger")


# --- comparing with the tables -------------------------------------------------------------------------


def compare_project(rep: Replayed, found: dict | None, fields: tuple[str, ...] = COMPARED_FIELDS) -> list[dict]:
    """The differences between the replayed project row and the stored one (a mapping of its columns)."""
    out: list[dict] = []
    row = rep.row
    if row is None or found is None:
        return out
    for f in fields:
        expected = getattr(row, f)
        got = found[f]
        if f == "key":
            got = None if got is None else bool(got)
        if _norm(expected) != _norm(got):
            out.append(_problem(rep.code, row.head_seq, f"the project row's {f} is {_show(_norm(got))!r}, but its "
                                f"history makes it {_show(_norm(expected))!r}", "project", f, _norm(expected),
                                _norm(got)))
    override = found.get("key_override")
    if override is not None and bool(override) != bool(row.key) and row.key == bool(found["key"]):
        out.append(_problem(rep.code, row.head_seq, f"the project row's key_override {override!r} contradicts the "
                            f"key flag history records ({row.key!r})", "project", "key_override", row.key,
                            bool(override)))
    return out


def compare_rows(rep: Replayed, table: str, found: list[tuple]) -> list[dict]:
    """The differences between the replayed rows of ``table`` and the stored ones, given as
    ``(event_seq, *DERIVED_COLUMNS[table])`` tuples."""
    out: list[dict] = []
    columns = DERIVED_COLUMNS[table]
    expected = rep.rows[table]
    seen: set[int] = set()
    code = rep.code
    for stored in found:
        seq = stored[0]
        want = expected.get(seq)
        if want is None or seq in seen:
            what = "a second row for" if seq in seen else "a row no event made, for"
            out.append(_problem(code, seq, f"{table}: {what} event {seq} ({_describe(columns, stored[1:])})",
                                table, "row", None, dict(zip(columns, map(_norm, stored[1:]), strict=True))))
            continue
        seen.add(seq)
        for col, got in zip(columns, stored[1:], strict=True):
            exp = _norm(want[col])
            got = _norm(got)
            if exp != got:
                out.append(_problem(code, seq, f"{table}.{col} of event {seq} is {got!r}, but history records "
                                    f"{exp!r}", table, col, exp, got))
    for seq, want in expected.items():
        if seq not in seen:
            values = {c: _norm(want[c]) for c in columns}
            shown = _describe(columns, [want[c] for c in columns])
            out.append(_problem(code, seq, f"{table}: the row of event {seq} is missing ({shown})", table, "row",
                                values, None))
    return out


def _describe(columns: tuple[str, ...], values: Any) -> str:
    return ", ".join(f"{c}={_norm(v)!r}" for c, v in zip(columns, values, strict=True))


# --- the streaming check --------------------------------------------------------------------------------

_EVENTS = ("SELECT project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, actor, "
           "reason, payload, hash FROM event ORDER BY project_id, seq")


def _table_sql(table: str) -> str:
    cols = ", ".join(DERIVED_COLUMNS[table])
    return f"SELECT project_id, event_seq, {cols} FROM {table} ORDER BY project_id, event_seq, id"


class _Peek:
    """A stream of rows whose first column is a project id, read project by project."""

    __slots__ = ("it", "head")

    def __init__(self, it: Iterator[tuple]):
        self.it = it
        self.head: tuple | None = next(it, None)

    def take(self, pid: int, orphans: Callable[[tuple], None]) -> list[tuple]:
        """The rows of project ``pid``; rows of lower ids (no such project replayed) go to ``orphans``."""
        out = []
        head = self.head
        it = self.it
        while head is not None and head[0] <= pid:
            if head[0] == pid:
                out.append(head[1:])
            else:
                orphans(head)
            head = next(it, None)
        self.head = head
        return out

    def rest(self, orphans: Callable[[tuple], None]) -> None:
        while self.head is not None:
            orphans(self.head)
            self.head = next(self.it, None)


def check(conn: Any, stream: Callable[[Any, str], Iterator[tuple]], add: Callable[[dict], None],
          progress: Callable[[int], None] | None = None) -> int:
    """Replay every project on ``conn`` (one snapshot) and report each problem and difference through
    ``add``; returns the number of projects replayed.  ``stream(conn, sql)`` yields rows lazily."""
    from sqlalchemy import select

    from workflow.store import COLUMNS
    from workflow.tables import app_user as AU

    roles = {login: role for login, role in conn.execute(select(AU.c.login, AU.c.role))}
    defs = _Definitions()
    tables = {t: _Peek(stream(conn, _table_sql(t))) for t in DERIVED_COLUMNS}
    project_cols = list(COLUMNS)
    projects = _Peek(stream(conn, f"SELECT id, {', '.join(project_cols)} FROM project ORDER BY id"))

    def orphan_of(table: str) -> Callable[[tuple], None]:
        def orphan(r: tuple) -> None:
            cols = DERIVED_COLUMNS[table]
            add(_problem(project_code(r[0]), r[1], f"{table}: a row for project id {r[0]}, which has no history",
                         table, "row", None, dict(zip(cols, map(_norm, r[2:]), strict=True))))
        return orphan

    def no_history(r: tuple) -> None:
        pass  # a project row without events: the chain check reports it

    count = 0
    events = stream(conn, _EVENTS)
    current: list[tuple] = []
    pid: int | None = None

    def finish(pid: int, rows: list[tuple]) -> None:
        nonlocal count
        count += 1
        found_project = projects.take(pid, no_history)
        code = found_project[0][1] if found_project else project_code(pid)
        rep = replay_project(pid, code, iter(rows), roles, defs)
        for p in rep.problems:
            add(p)
        if found_project:
            for p in compare_project(rep, dict(zip(project_cols, found_project[0], strict=True))):
                add(p)
        for t, peek in tables.items():
            for p in compare_rows(rep, t, peek.take(pid, orphan_of(t))):
                add(p)
        if progress is not None:
            progress(rep.events)

    try:
        for r in events:
            if r[0] != pid:
                if pid is not None:
                    finish(pid, current)
                pid = r[0]
                current = []
            current.append(r[1:])
        if pid is not None:
            finish(pid, current)
        for t, peek in tables.items():
            peek.rest(orphan_of(t))
    finally:
        for gen in (events, projects.it, *(p.it for p in tables.values())):
            close = getattr(gen, "close", None)
            if close is not None:
                close()
    return count


# --- figures from history alone ---------------------------------------------------------------------

# Tables that are not projections of history: copied as they are (the directory, users, rules,
# targets and settings the reports read besides the projects).
_COPIED = ("unit", "person", "app_user", "rule", "target", "setting")


class history_database:
    """A scratch SQLite database whose project row and side tables are rebuilt from the events of
    ``engine`` alone (and its directory, rules, targets and settings copied), for ``report
    --from-history``: the same report code then reads only what history says.  A context manager
    giving an engine; the file is removed afterwards."""

    def __init__(self, engine: Any):
        self.source = engine
        self.dir: Any = None
        self.engine: Any = None

    def __enter__(self) -> Any:
        import tempfile
        from datetime import UTC

        from sqlalchemy import insert, select

        from workflow import audit
        from workflow.db import make_engine
        from workflow.store import COLUMNS, insert_many
        from workflow.tables import app_user as AU
        from workflow.tables import metadata
        from workflow.tables import project as P

        self.dir = tempfile.TemporaryDirectory(prefix="pipeline-history-")
        self.engine = make_engine(f"sqlite:///{self.dir.name}/history.db")
        metadata.create_all(self.engine)
        now = datetime.now(UTC)
        with audit._snapshot_connection(self.source) as src, self.engine.begin() as dst:
            for name in _COPIED:
                table = metadata.tables[name]
                rows = [dict(r) for r in src.execute(select(table)).mappings()]
                if rows:
                    dst.execute(insert(table), rows)
            roles = {login: role for login, role in src.execute(select(AU.c.login, AU.c.role))}
            defs = _Definitions()
            projects: list[tuple] = []
            derived: dict[str, list[dict]] = {t: [] for t in DERIVED_COLUMNS}
            current: list[tuple] = []
            pid: int | None = None
            codes = {r[0]: r[1] for r in src.execute(select(P.c.id, P.c.code))}

            def finish(pid: int, rows: list[tuple]) -> None:
                rep = replay_project(pid, codes.get(pid, project_code(pid)), iter(rows), roles, defs)
                if rep.row is None:
                    return
                rep.row.created_at = now
                rep.row.version = max(1, rep.row.head_seq)
                projects.append(tuple(getattr(rep.row, c) for c in COLUMNS))
                for table, by_seq in rep.rows.items():
                    derived[table].extend(by_seq.values())

            for r in audit._stream(src, _EVENTS):
                if r[0] != pid:
                    if pid is not None:
                        finish(pid, current)
                    pid, current = r[0], []
                current.append(r[1:])
            if pid is not None:
                finish(pid, current)
            if projects:
                dst.execute(insert(P), [dict(zip(COLUMNS, p, strict=True)) for p in projects])
            for name, values in derived.items():
                if values:
                    insert_many(dst, metadata.tables[name], values)
            from workflow.tables import event as E

            batch: list[dict] = []
            for r in src.execute(select(E)).mappings():  # history itself, as it is
                batch.append(dict(r))
                if len(batch) >= 20_000:
                    insert_many(dst, E, batch)
                    batch = []
            insert_many(dst, E, batch)
            src.rollback()
        return self.engine

    def __exit__(self, *exc: Any) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.dir is not None:
            self.dir.cleanup()
