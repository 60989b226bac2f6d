"""Workflow versions for running projects (docs/usage.md, "Workflow versions"): ``workflow deploy``
(a new version in the set-up ledger) and ``workflow migrate`` (running projects moved to another
version by a stage map, each move a ``migrated`` event in the project's history).

A migration is all or nothing: every listed project is checked against the new version's stage rules
first (its stage and held-from stage map to stages of the new version, not to a final one, and the
guards of the new version's moves into the mapped stage hold on what the project has recorded); one
refusal and nothing moves.  The events are written by the batch write path (``store.Txn`` in batch
mode, flushed every ``BATCH`` projects), in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from workflow import ledger
from workflow.access import ADMIN, require
from workflow.catalogue import Message
from workflow.codes import normalize_code
from workflow.definition import get_definition, load_definition
from workflow.definition_model import WorkflowDefinition
from workflow.deployed import DEPLOYED_KIND, canonical_text, definition_of, target
from workflow.errors import BadInput, Conflict, NotFound, Refused
from workflow.events import Migrated
from workflow.guards import context_of, evaluate
from workflow.store import Txn
from workflow.tables import ledger as L
from workflow.tables import project as P
from workflow.values import reason as check_reason

BATCH = 2000  # projects migrated between two flushes


def deploy(engine: Engine, actor: str, text: str, *, reason: str | None = None) -> dict:
    """Add a workflow version (admin): the definition ``text`` validated (every problem at once, exit
    2) and stored as a ``workflow_deployed`` ledger entry whose payload holds its canonical text.  A
    name and version already known is a Conflict (exit 5): a version never changes once deployed."""
    text = canonical_text(text)
    defn = load_definition(text)
    why = check_reason(reason, Message("reason"))
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "deploy workflow versions")
        known = conn.execute(select(L.c.seq).where(L.c.kind == DEPLOYED_KIND,
                                                   L.c.target == target(defn.name, defn.version))).first()
        shipped = _is_known(defn.name, defn.version) and known is None
        if known is not None or shipped:
            raise Conflict("versions_already_deployed", name=defn.name, version=defn.version)
        entry = ledger.append(conn, actor, DEPLOYED_KIND, target(defn.name, defn.version),
                              {"name": defn.name, "version": defn.version, "text": text}, why)
    return {"name": defn.name, "version": defn.version, "stages": len(defn.stages),
            "transitions": len(defn.transitions), "ledger_seq": entry["seq"]}


def _is_known(name: str, version: int) -> bool:
    try:
        get_definition(name, version)
    except BadInput:
        return False
    return True


def parse_map(items: Iterable[str] | None, old: WorkflowDefinition, new: WorkflowDefinition) -> dict[str, str]:
    """``--map OLD=NEW`` items -> {old stage: new stage}; every problem at once (exit 2)."""
    out: dict[str, str] = {}
    problems: list[dict] = []
    old_keys = {s.key for s in old.stages}
    new_keys = {s.key for s in new.stages}
    for item in items or ():
        left, sep, right = (item or "").partition("=")
        left, right = left.strip(), right.strip()
        if not sep or not left or not right:
            problems.append({"map": item, "message": Message("versions_map_not_pair", item=item)})
        elif left not in old_keys:
            problems.append({"map": item, "message": Message("versions_map_unknown_old", stage=left,
                                                             version=f"{old.name}:{old.version}")})
        elif right not in new_keys:
            problems.append({"map": item, "message": Message("versions_map_unknown_new", stage=right,
                                                             version=f"{new.name}:{new.version}")})
        elif left in out and out[left] != right:
            problems.append({"map": item, "message": Message("versions_map_twice", stage=left)})
        else:
            out[left] = right
    if problems:
        raise BadInput("versions_map_refused", problems, n=len(problems))
    return out


def check_project(proj: Any, facts: Any, new: WorkflowDefinition, stage_map: Mapping[str, str],
                  reason: str) -> tuple[str | None, str | None, list[Message]]:
    """Where ``proj`` goes in ``new`` (its stage and held-from stage mapped) and what refuses it."""
    new_keys = {s.key: s for s in new.stages}

    def mapped(stage: str) -> str | None:
        return stage_map.get(stage, stage if stage in new_keys else None)

    problems: list[Message] = []
    dest = mapped(proj.stage)
    held = mapped(proj.held_from) if proj.held_from is not None else None
    if dest is None:
        problems.append(Message("versions_stage_unmapped", stage=proj.stage, version=f"{new.name}:{new.version}"))
        return None, None, problems
    if new_keys[dest].is_final:
        problems.append(Message("versions_maps_to_final", stage=proj.stage, dest=dest))
    if new_keys[dest].is_paused:
        if proj.held_from is None or held is None:
            problems.append(Message("versions_held_from_unmapped", stage=proj.held_from or "-", dest=dest))
    else:
        held = None
    into = [t for t in new.transitions if t.dest == dest]
    if dest != new.initial and into and not new_keys[dest].is_paused:
        ctx = context_of(proj, facts, reason)
        failed: list[list[Message]] = []  # per move into the stage: its guards that fail
        for t in into:
            bad = [r.said for r in evaluate(t.guards, ctx, new.guard_labels) if not r.ok]
            if not bad:
                break
            failed.append(bad)
        else:
            problems.extend(sorted(failed, key=len)[0])
    return dest, held, problems


def migrate(engine: Engine, actor: str, *, old: tuple[str, int], new: tuple[str, int],
            mapping: Iterable[str] | None = None, codes: Iterable[str] | None = None, reason: str | None,
            dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Move the running projects of ``old`` (or the listed ``codes``) to ``new`` (admin): see the module
    text.  Returns ``{"from", "to", "dry_run", "projects": [{"code", "from_stage", "to_stage",
    "refused"}], "moved", "refused"}``; a real run with any refusal raises Refused (exit 3) listing
    every refused project, and nothing moves."""
    why = check_reason(reason, Message("versions_migrate_needs_reason"), required_=True)
    assert why is not None
    if old[0] != new[0]:
        raise BadInput("versions_migrate_other_name", old=old[0], new=new[0])
    if old == new:
        raise BadInput("versions_migrate_same", name=old[0], version=old[1])
    before, after = definition_of(*old), definition_of(*new)
    stage_map = parse_map(mapping, before, after)
    wanted = [normalize_code(c) for c in codes] if codes else None
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            doc = _migrate(conn, actor, old, new, before, after, stage_map, wanted, why, dry_run, progress)
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    return doc


def _migrate(conn: Any, actor: str, old: tuple[str, int], new: tuple[str, int], before: WorkflowDefinition,
             after: WorkflowDefinition, stage_map: Mapping[str, str], wanted: list[str] | None, why: str,
             dry_run: bool, progress: Callable[[str, int, int], None] | None) -> dict:
    require(conn, actor, ADMIN, "migrate projects")
    txn = Txn(conn, actor, batch=True)
    finals = [s.key for s in before.stages if s.is_final]
    stmt = select(P.c.code, P.c.workflow_name, P.c.workflow_version, P.c.stage).order_by(P.c.id)
    if wanted is None:
        stmt = stmt.where(P.c.workflow_name == old[0], P.c.workflow_version == old[1], P.c.stage.not_in(finals))
        found = [r[0] for r in conn.execute(stmt)]
    else:
        rows = {r[0]: r for r in conn.execute(stmt.where(P.c.code.in_(wanted)))}
        missing = [c for c in dict.fromkeys(wanted) if c not in rows]
        if missing:
            raise NotFound("versions_projects_not_found", [{"project": c} for c in missing], codes=missing)
        other = [{"project": c, "workflow": f"{rows[c][1]}:{rows[c][2]}"} for c in dict.fromkeys(wanted)
                 if (rows[c][1], rows[c][2]) != old or rows[c][3] in finals]
        if other:
            raise BadInput("versions_projects_not_running", other, codes=[o["project"] for o in other],
                           version=f"{old[0]}:{old[1]}")
        found = list(dict.fromkeys(wanted))
    plan: list[dict] = []
    refused = 0
    total = len(found)
    for start in range(0, total, BATCH):
        chunk = found[start:start + BATCH]
        projs = txn.lock_many(chunk)
        txn.prefetch(projs.values())
        for code in chunk:
            proj = projs[code]
            dest, held, problems = check_project(proj, txn.facts(proj), after, stage_map, why)
            plan.append({"code": code, "from_stage": proj.stage, "to_stage": dest, "held_from": held,
                         "refused": problems})
            if problems:
                refused += 1
            elif not dry_run and not refused:
                txn.emit(proj, Migrated(on=txn.today, workflow=new[0], from_version=old[1], to_version=new[1],
                                        source=proj.stage, dest=dest or proj.stage, held_from=held, why=why))
                txn.done(proj)
        if not dry_run and not refused:
            txn.flush()
            txn.forget()
        if progress is not None:
            progress("migrate", min(start + BATCH, total), total)
    if refused and not dry_run:
        details = [{"project": p["code"], "from_stage": p["from_stage"], "to_stage": p["to_stage"],
                    "problems": p["refused"]} for p in plan if p["refused"]]
        raise Refused("versions_migration_refused", details, n=refused, total=total)
    return {"from": f"{old[0]}:{old[1]}", "to": f"{new[0]}:{new[1]}", "dry_run": dry_run, "projects": plan,
            "moved": 0 if dry_run else total, "refused": refused}
