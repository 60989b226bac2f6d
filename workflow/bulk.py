"""Batches: many commands in ONE transaction, all or nothing (``pipeline import``, ``pipeline demo``).

A batch runs the same command functions as a single write (``workflow.commands``) inside one
:class:`workflow.store.Txn` in batch mode: the projects' guard facts are read together and kept in
memory, and rows are inserted a few thousand at a time.  There is no second implementation of any
command here, only the loop, the progress, and the collection of an import's row problems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from contextlib import contextmanager
from datetime import date
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.access import require, roles_for
from workflow.catalogue import Message
from workflow.codes import project_code
from workflow.commands import BATCH_COMMANDS, ProjectFields, register
from workflow.commands.assignments import RuleContext
from workflow.commands.projects import (
    check_year_plans,
    duplicate_message,
    is_key,
    open_projects,
    project_identity,
    set_year_plans,
)
from workflow.directory import unit_codes
from workflow.errors import BadInput, Duplicate, PipelineError
from workflow.io import Identities, identity_digest
from workflow.rows import ProjectRow
from workflow.rules import Facts
from workflow.store import Txn
from workflow.values import day

PROJECT_ARGS = ("name", "investor", "industry", "investment_minor", "unit", "origin", "category", "key", "plan")
_IMPORT_KEYS = frozenset({*PROJECT_ARGS, "on", "year_plan"})
IMPORT_BATCH = 2000  # rows an import writes at a time (then drops)
_PROGRESS_EVERY = 1000

Progress = Callable[[str, int, int], None]

# What each batch action records (the event kind ``access.PERMISSIONS`` names), and how a refusal says it.
BATCH_RECORDS: dict[str, tuple[str, str]] = {
    "check": ("check", "change projects"), "document": ("document", "change projects"),
    "capital": ("capital", "change projects"), "investment": ("investment", "change projects"),
    "followup": ("followup", "change projects"), "advance": ("transition", "change projects"),
    "assign": ("reassignment", "reassign leaders"), "edit": ("edited", "change projects"),
}


class Op(NamedTuple):
    """One command of a batch on an existing project: ``action`` names it (``commands.BATCH_COMMANDS``)
    and ``args`` are its keyword arguments besides the project and ``on``."""

    code: str
    action: str
    on: date
    args: Mapping[str, Any]


def import_year_plans(row: Mapping[str, Any], registered: date) -> dict[int, int]:
    """An import row's yearly investment plans ``{year: fen}`` (``year_plan``), checked."""
    plans = row.get("year_plan")
    return check_year_plans(plans, registered) if plans else {}


def import_fields(row: Mapping[str, Any], default_on: date, today: date) -> tuple[ProjectFields, date]:
    """An import row's checked fields and registration date (never in the future); BadInput names
    the first problem."""
    if not _IMPORT_KEYS.issuperset(row):
        raise BadInput("unknown_field", set=list(sorted(set(row) - _IMPORT_KEYS)))
    get = row.get
    fields = ProjectFields.parse(name=get("name"), investor=get("investor"), industry=get("industry"),
                                 investment_minor=get("investment_minor"), unit=get("unit"), origin=get("origin"),
                                 category=get("category"), key=get("key"), plan=get("plan"))
    on = get("on")
    registered = on if on.__class__ is date else (day(on, "registered_on") if on is not None else default_on)
    if registered > today:
        raise BadInput("registered_on_lies_in", registered=registered, today=today)
    return fields, registered


def import_projects(engine: Engine, actor: str, rows: Iterable[Mapping[str, Any]], *, on: date | None = None,
                    progress: Progress | None = None, dry_run: bool = False, total: int | None = None,
                    roles: dict[str, str | None] | None = None, allow_duplicate: bool = False) -> dict:
    """Register every row as a new project at the first stage, all or nothing.

    A row holds ``ProjectFields.parse``'s arguments and optionally ``on``, its registration date
    (default: ``on``, else today; never in the future).  ``rows`` may be any iterable (a generator
    reading a file): it is read once, in batches of ``IMPORT_BATCH`` rows, each checked, registered
    through ``commands.register`` (the rules assign leaders as they do for ``project add``) and
    flushed, all inside ONE transaction.  A bad row stops the writing; the remaining rows are still
    checked, and the refusal lists each bad row as ``{"row", "message"}`` and rolls everything back.
    A row naming a project not in a final stage (``commands.projects.project_identity``: the rule of
    `project add`) or repeating an earlier row is such a bad row (Duplicate when all are), unless
    ``allow_duplicate``.  ``dry_run`` does all of it and rolls back."""
    today = clock.today()
    default_on = on or today
    if total is None and isinstance(rows, Sized):
        total = len(rows)
    it = iter(rows)
    head = next(it, None)
    if head is None:
        return {"imported": 0, "rows": 0, "first": None, "last": None, "assignments": 0, "dry_run": dry_run}
    with engine.connect() as conn, transaction(conn, commit=not dry_run):
        require(conn, actor, roles_for("registered"), "import projects", roles)
        txn = Txn(conn, actor, batch=True)
        known = unit_codes(conn)
        first_id = txn.next_project_id()  # creators wait for this transaction to end
        problems: list[dict] = []
        duplicates = _Duplicates(conn) if not allow_duplicate else None
        n = 0
        batch: list[tuple[ProjectFields, date, dict[int, int]]] = []
        for row in chain((head,), it):
            n += 1
            try:
                fields, registered = import_fields(row, default_on, today)
                plans = import_year_plans(row, registered)
                if fields.unit_code is not None and fields.unit_code not in known:
                    raise BadInput("no_unit_unit_code", unit_code=fields.unit_code)
            except BadInput as exc:
                problems.append({"row": n, "message": exc.as_message()})
                batch = []
                continue
            if duplicates is not None and duplicates.repeated(n, fields):
                problems.append(duplicates.problems[-1])
                batch = []
                continue
            if problems:  # nothing more is written: only the checking goes on
                continue
            batch.append((fields, registered, plans))
            if len(batch) == IMPORT_BATCH:
                _register(txn, batch, known)
                batch = []
                if progress is not None:
                    progress("register", n, max(n, total or 0))
        if problems:
            if duplicates is not None and duplicates.problems:
                duplicates.name_the_projects()
                if len(duplicates.problems) == len(problems):
                    first = problems[0]
                    raise Duplicate("of_rows_refused_row", problems, n_problems=len(problems), n=n, row=first['row'],
                                    message=first['message'])
            raise BadInput("import_rows_refused", problems, n_problems=len(problems), n=n)
        if batch:
            _register(txn, batch, known)
        if progress is not None:
            progress("register", n, n)
        assignments = txn.events_written - n - txn.cache.get("year_plans", 0)
    return {"imported": 0 if dry_run else n, "rows": n, "first": project_code(first_id),
            "last": project_code(first_id + n - 1), "assignments": assignments, "dry_run": dry_run}


class _Duplicates:
    """An import's rows checked against the projects not in a final stage and against each other, by
    the digest of their ``project_identity`` (flat memory, as ``workflow.io.check_rows``)."""

    def __init__(self, conn: Connection):
        self.existing = Identities(lambda: conn.execute(open_projects()))
        self.seen: dict[int, int] = {}  # digest -> the row that first gave it
        self.problems: list[dict] = []
        self._named: list[tuple[dict, int]] = []  # (problem, digest) of rows naming an existing project

    def repeated(self, row: int, fields: ProjectFields) -> bool:
        digest = identity_digest(project_identity(fields.name, fields.investor))
        if digest in self.existing.digests:
            self.problems.append({"row": row, "message": ""})
            self._named.append((self.problems[-1], digest))
            return True
        first = self.seen.setdefault(digest, row)
        if first != row:
            self.problems.append({"row": row, "message": Message("repeats_row_same_name", first=first)})
            return True
        return False

    def name_the_projects(self) -> None:
        codes = self.existing.codes({d for _, d in self._named})
        for problem, digest in self._named:
            problem["message"] = duplicate_message(str(codes.get(digest)))


def _register(txn: Txn, batch: list[tuple[ProjectFields, date, dict[int, int]]], units: set[str]) -> None:
    """Register one batch of checked rows, then write it and drop it from memory."""
    rules = RuleContext.of(txn)
    first = txn.next_project_id()
    rules.prepare([(first + i, Facts(is_key(f.planned_investment_minor, f.key_override), f.category, f.industry,
                                     f.unit_code, f.origin, f.planned_investment_minor), registered)
                   for i, (f, registered, _) in enumerate(batch)])
    for fields, registered, plans in batch:
        proj = register(txn, fields, registered, units=units, allow_duplicate=True)  # import_projects checked
        if plans:
            txn.cache["year_plans"] = txn.cache.get("year_plans", 0) + set_year_plans(txn, proj, plans, registered)
    txn.flush()
    txn.forget()


def apply(engine: Engine, actor: str, ops: Sequence[Op], *, progress: Progress | None = None,
          roles: dict[str, str | None] | None = None) -> dict:
    """Run many commands on existing projects in ONE transaction, all or nothing (``pipeline demo``).

    Each op runs its command exactly as a single write would (the same checks, guards through the
    shared machine, the automatic ``fund`` on the first capital, the same events and rows, one version
    per command).  A failure names the op (``write N``) and rolls everything back."""
    ops = list(ops)
    for op in ops:
        if op.action not in BATCH_COMMANDS:
            raise BadInput("unknown_batch_action_known", action=op.action, batch_commands=list(BATCH_COMMANDS))
    if not ops:
        return {"writes": 0, "events": 0, "projects": 0}
    with engine.begin() as conn:
        role = ""
        for kind, what in dict.fromkeys(BATCH_RECORDS[op.action] for op in ops):  # each kind once, in order
            role = require(conn, actor, roles_for(kind), what, roles)
        txn = Txn(conn, actor, batch=True)
        projs = txn.lock_many([op.code for op in ops])
        total = len(ops)
        for n, op in enumerate(ops, 1):
            proj = projs[op.code]
            args = dict(op.args)
            if op.action == "followup":
                args["role"] = role
            try:
                BATCH_COMMANDS[op.action](txn, proj, on=op.on, **args)
            except PipelineError as exc:
                exc.wrap("write_failed", n=n, code=op.code, action=op.action, on=op.on)
                raise
            except TypeError as exc:
                raise BadInput("write", n=n, code=op.code, action=op.action, exc=exc) from None
            txn.done(proj)
            if progress is not None and (n % _PROGRESS_EVERY == 0 or n == total):
                progress("apply", n, total)
        txn.flush()
        return {"writes": total, "events": txn.events_written, "projects": len(projs)}


def run_batch(engine: Engine, actor: str, fn: Callable[[Txn], Any], *, roles: Iterable[str], what: str,
              cache: dict[str, str | None] | None = None) -> Any:
    """``fn(txn)`` in one batch transaction after the role check; flushed and committed on success."""
    with engine.begin() as conn:
        require(conn, actor, roles, what, cache)
        txn = Txn(conn, actor, batch=True)
        result = fn(txn)
        txn.flush()
        return result


@contextmanager
def transaction(conn: Connection, *, commit: bool):
    """A transaction that commits on success when ``commit`` (else rolls back: a dry run) and rolls
    back on any exception."""
    trans = conn.begin()
    try:
        yield trans
    except BaseException:
        trans.rollback()
        raise
    if commit:
        trans.commit()
    else:
        trans.rollback()


__all__ = ["IMPORT_BATCH", "Op", "apply", "import_fields", "import_projects", "run_batch", "transaction",
           "ProjectRow"]
