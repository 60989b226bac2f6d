"""The chain sweep of ``audit verify`` (docs/audit.md): every event's hash recomputed from its stored
fields, ``seq`` running 1, 2, 3, … per project, each ``prev_hash`` the previous event's hash, and the
stage (and held-from stage) each project's transitions and corrections replay to, checked against
the project row.  ``workflow.audit`` runs it and adds the digest, the ledger, the settings and the
replay of every derived row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from workflow.catalogue import Message
from workflow.checkpoints import (
    DIGEST_GENESIS,
    LedgerFolds,
)
from workflow.codes import project_code
from workflow.definition import get_definition
from workflow.definition_model import held_from_after
from workflow.encoding import (
    GENESIS,
    canonical,
    event_bytes,
    event_document,
    project_field,
    row_bytes,
)
from workflow.snapshot import stream

MAX_FAILURES = 10_000
_sha256 = hashlib.sha256


def parse_effective(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def parse_recorded(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def slow_event_hash(code, seq, kind, trigger, from_stage, to_stage, effective_on, recorded_at, actor,
                    reason, payload, prev_hash) -> tuple[str, bool]:
    """The hash of a stored row by parsing every field (as the engine reads it) and canonicalising
    the whole document; and whether the stored payload text is itself canonical."""
    parsed = json.loads(payload)
    canonical_payload = canonical(parsed).decode("utf-8")
    doc = event_document(
        project=code, seq=seq, kind=kind, trigger=trigger, from_stage=from_stage, to_stage=to_stage,
        effective_on=parse_effective(effective_on), recorded_at=parse_recorded(recorded_at), actor=actor,
        reason=reason, payload=parsed, prev_hash=prev_hash,
    )
    return hashlib.sha256(canonical(doc)).hexdigest(), canonical_payload == payload






# --- verification -------------------------------------------------------------------------------

_EVENT_COLUMNS = ("id, project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, "
                  "actor, reason, payload, prev_hash, hash")


class Chain:
    """What the sweep knows about one project so far."""

    __slots__ = ("code", "project", "last_seq", "last_hash", "stage", "stage_seq", "held_from", "lo", "actor",
                 "n", "paused", "max_id", "max_seq", "flagged")

    def __init__(self, code: str, paused: frozenset):
        self.code = code
        self.project = project_field(code)  # its member of the event document, for ``row_bytes``
        self.last_seq = 0
        self.last_hash = GENESIS
        self.stage: str | None = None
        self.stage_seq: int | None = None
        self.held_from: str | None = None
        self.lo = 1  # lower bound of the version: write transactions proven by history
        self.actor = None
        self.n = 0
        self.paused = paused
        self.max_id = 0  # in project order: the latest-written event so far and its seq
        self.max_seq = 0
        self.flagged = 0


class Failures:
    def __init__(self, limit: int = MAX_FAILURES):
        self.items: list[dict] = []
        self.total = 0
        self.limit = limit

    def add(self, code: str | None, seq: int | None, problem: Message | str, table: str | None = "event",
            field: str | None = None, expected: Any = None, found: Any = None) -> None:
        self.add_item({"code": code, "seq": seq, "problem": problem, "table": table, "field": field,
                       "expected": expected, "found": found})

    def add_item(self, item: dict) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(item)


def new_chain(project: tuple | None, pid: int, paused_cache: dict) -> Chain:
    """The chain state of project ``pid`` before its first event (``project``: its row as
    ``load_projects`` reads it; None for events whose project row is missing)."""
    if project is None:
        return Chain(project_code(pid), frozenset())
    return Chain(project[1], paused_stages(project[7], project[8], paused_cache))


def paused_stages(name: str, version: int, cache: dict) -> frozenset:
    key = (name, version)
    if key not in cache:
        try:
            defn = get_definition(name, version)
            cache[key] = frozenset(s.key for s in defn.stages if s.is_paused)
        except Exception:  # an unknown workflow: held_from is then not checked
            cache[key] = None
    return cache[key]


def load_projects(conn) -> dict[int, tuple]:
    rows = conn.exec_driver_sql(
        "SELECT id, code, stage, held_from, version, head_seq, head_hash, workflow_name, workflow_version "
        "FROM project")
    return {r[0]: tuple(r) for r in rows}




def heads_of(row: dict, failures: Failures) -> dict[tuple[str, int], str]:
    try:
        heads = json.loads(row["heads"])
        return {(str(c), int(s)): str(h) for c, s, h in heads}
    except (ValueError, TypeError):
        failures.add(None, None, Message("checkpoint_row_of_has", digest=row['digest']))
        return {}


def sweep_events(conn, *, where: str = "", params: tuple = (), projects: dict[int, tuple],
           digest: str | None = None, running: bool = False, wanted: dict | None = None,
           progress: Callable[[int, int], None] | None = None, total: int = 0,
           failures: Failures, rows: Iterable[tuple] | None = None) -> dict:
    """Stream the events in write order, checking each one and each chain link; returns the chains,
    the running digest state and what was found for ``wanted`` (code, seq) pairs.  (Verify's replay
    reads them in project order instead: ``sweep_projects``; both check each event by ``check_event``.)
    ``rows``: the event table's rows (``_EVENT_COLUMNS``, by id) when the caller holds them already,
    because it has just filled the table with those rows (a county bundle's scratch copy,
    docs/city.md): their recorded times may be in the hashed form the table stores otherwise, which
    every check here reads alike; else they are read from ``conn``."""
    sha256 = hashlib.sha256
    chains: dict[int, Chain] = {}
    paused_cache: dict = {}
    target = bytes.fromhex(digest) if digest else None
    running = running or target is not None
    g = DIGEST_GENESIS
    matched_at = 0 if target == g else None  # the digest of an empty history
    found: dict[tuple[str, int], str] = {}
    want = wanted or None
    done = 0
    step = 20_000
    report_at = step
    folds = LedgerFolds(conn) if running else None
    fold_at = folds.at if folds is not None else None
    if rows is None:
        rows = stream(conn, f"SELECT {_EVENT_COLUMNS} FROM event {where} ORDER BY id", params)
    get_chain = chains.get
    for row in rows:  # once per event of a history: written for speed (docs/performance.md)
        pid = row[1]
        ch = get_chain(pid)
        if ch is None:
            ch = chains[pid] = new_chain(projects.get(pid), pid, paused_cache)
        seq = check_event(ch, failures, row)  # 1.-3.
        # 4. the running digest (with the ledger entries placed before this event) and the heads
        if running:
            if fold_at is not None and row[0] > fold_at:
                g, matched_at = folds.fold(g, row[0], target, matched_at, done)  # type: ignore[union-attr]
                fold_at = folds.at  # type: ignore[union-attr]
            stored = row[13]
            g = sha256(g + (stored.encode("ascii") if type(stored) is str else repr(stored).encode())).digest()
            if target is not None and matched_at is None and g == target:
                matched_at = done + 1
        if want is not None and (ch.code, seq) in want:
            found[(ch.code, seq)] = row[13]
        done += 1
        if done == report_at:
            report_at += step
            if progress is not None:
                progress(done, total)
    if folds is not None:
        g, matched_at = folds.fold(g, None, target, matched_at, done)
    if progress is not None:
        progress(done, max(total, done))
    return {"chains": chains, "events": done, "matched_at": matched_at, "found": found, "digest": g,
            "ledger_folded": bool(folds and folds.rows)}


def check_event(ch: Chain, failures: Failures, row: tuple) -> int:
    """The checks of one event on its project's chain ``ch``, in whichever order the sweep reads the
    events: 1. its own hash, from its stored fields; 2. its place in the chain; 3. what the project row
    must agree with (kept on ``ch``).  Returns its seq as the chain counts it (a broken link is counted
    where it fits).  Called once per event of a history: written for speed (docs/performance.md)."""
    (_id, _pid, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload, prev, stored) = row
    try:
        # dates as text (SQLite's columns, a bundle's rows): row_bytes, which refuses what event_bytes refuses
        if type(eff) is str and type(rec) is str:
            raw = row_bytes(ch.project, row)
        else:
            raw = event_bytes(ch.code, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload,
                              prev)
        ok = _sha256(raw).hexdigest() == stored
    except (TypeError, ValueError):  # UnicodeEncodeError included
        ok = False
    if not ok:
        slow_check(failures, ch.code, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason,
                    payload, prev, stored)
    last_seq = ch.last_seq
    if seq == last_seq + 1:
        if prev != ch.last_hash:
            failures.add(ch.code, seq, Message("prev_hash_does_not", seq=seq - 1)
                         if seq > 1 else Message("prev_hash_of_first"))
    else:
        seq = link_failure(failures, ch.code, seq, last_seq)
    if seq > last_seq:
        ch.last_seq = seq
        ch.last_hash = stored
    n = ch.n
    if n and (actor != ch.actor or kind == "correction"):
        ch.lo += 1  # one service call acts for one actor; a correction always opens its own
    ch.actor = actor
    ch.n = n + 1
    if to_stage is not None:  # it sets the stage: a transition or correction must leave the stage history
        # had the project in; the stage, its event and the held-from stage follow it
        stage = ch.stage
        if kind in STAGE_KINDS and stage is not None and from_stage != stage:
            failures.add(ch.code, seq, Message("from_but_history_had", kind=kind, from_stage=from_stage, stage=stage))
        ch.held_from = held_from(ch.paused, ch.held_from, kind, from_stage, to_stage, payload)
        ch.stage = to_stage
        ch.stage_seq = seq
    return seq


def link_failure(failures: Failures, code: str, seq: Any, last_seq: int) -> int:
    """Report an event that does not follow event ``last_seq`` of its chain; returns the seq to go on
    with."""
    expected = last_seq + 1
    if type(seq) is not int:
        failures.add(code, None, Message("event_with_non_integer", seq=seq))
        return last_seq
    if seq > expected:
        missing = f"event {expected} is missing" if seq == expected + 1 else \
            f"events {expected} to {seq - 1} are missing"
        failures.add(code, expected, Message("next_event_found_is", missing=missing, seq=seq))
    else:
        failures.add(code, seq, Message("event_is_out_of", seq=seq, last_seq=last_seq))
    return seq


# The kinds whose from-stage must be the stage history had the project in.
STAGE_KINDS = ("transition", "correction", "migrated", "retired")


def held_from(paused: frozenset | None, held_from: Any, kind: str, from_stage: Any, to_stage: Any,
               payload: Any) -> Any:
    """The stage a project is held from after an event that sets its stage (``paused``: the workflow's
    paused stages; None for an unknown workflow, whose held-from stage is not followed)."""
    if paused is None:
        return held_from
    if kind == "correction" or kind == "migrated":
        try:
            return json.loads(payload).get("held_from")
        except (ValueError, TypeError, AttributeError):
            return None
    if kind == "transition":
        return held_from_after(paused, from_stage, to_stage, held_from)
    if kind == "retired":
        return None
    return held_from


_PROJECT_ID = itemgetter(1)


def sweep_projects(conn, *, projects: dict[int, tuple], wanted: dict | None = None,
                    progress: Callable[[int, int], None] | None = None, total: int = 0, failures: Failures,
                    feed) -> dict:
    """``sweep``'s checks with the events read in project order (``(project_id, seq)``), one project
    at a time: its rows are gathered (in C), its chain checked in one loop over locals, and the rows
    handed to ``feed`` (a ``workflow.replay_check.Checker``): one read of history for both checks.  Each event must
    also have been written after the one before it.  The running digest needs its own pass in write
    order (``_digest_pass``)."""
    from itertools import groupby

    chains: dict[int, Chain] = {}
    paused_cache: dict = {}
    found: dict[tuple[str, int], str] = {}
    want: dict[str, set] = {}
    for code_, seq_ in wanted or ():
        want.setdefault(code_, set()).add(seq_)
    done = 0
    report_at = 20_000
    events = stream(conn, f"SELECT {_EVENT_COLUMNS} FROM event ORDER BY project_id, seq")
    for pid, group in groupby(events, _PROJECT_ID):
        rows = list(group)
        ch = chains.get(pid)
        if ch is None:
            ch = chains[pid] = new_chain(projects.get(pid), pid, paused_cache)
        code = ch.code
        wanted_seqs = want.get(code)
        max_id, max_seq, flagged = ch.max_id, ch.max_seq, ch.flagged
        for row in rows:
            _id, seq = row[0], row[2]
            if _id > max_id:  # read in seq order: each event must have been written after the one before
                max_id, max_seq = _id, seq
            elif flagged != max_seq:
                flagged = max_seq
                failures.add(code, max_seq, Message("event_is_out_of_order", max_seq=max_seq, seq=seq))
            seq = check_event(ch, failures, row)  # 1.-3.
            # 4. the checkpoint's heads
            if wanted_seqs is not None and seq in wanted_seqs:
                found[(code, seq)] = row[13]
        ch.max_id, ch.max_seq, ch.flagged = max_id, max_seq, flagged
        feed.project(pid, rows)
        done += len(rows)
        if progress is not None and done >= report_at:
            report_at = done + 20_000
            progress(done, total)
    if progress is not None:
        progress(done, max(total, done))
    return {"chains": chains, "events": done, "matched_at": None, "found": found, "digest": DIGEST_GENESIS,
            "ledger_folded": False}


def slow_check(failures, code, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload,
                prev, stored) -> None:
    try:
        digest, canonical = slow_event_hash(code, seq, kind, trigger, from_stage, to_stage, eff, rec, actor,
                                            reason, payload, prev)
    except Exception as exc:  # unreadable field: an edit that no longer parses
        failures.add(code, seq, Message("stored_field_cannot_be", name=type(exc).__name__, exc=exc))
        return
    if digest != stored:
        failures.add(code, seq, Message("stored_fields_no_longer"))
    elif not canonical:
        failures.add(code, seq, Message("payload_text_was_rewritten"))


def check_projects(projects: dict[int, tuple], chains: dict[int, Chain], failures: Failures) -> None:
    for pid, (_pid, code, stage, held_from, version, head_seq, head_hash, *_wf) in projects.items():
        ch = chains.get(pid)
        if ch is None:
            failures.add(code, 1, Message("project_has_no_history"), "event",
                         "row")
            continue
        if head_seq != ch.last_seq or head_hash != ch.last_hash:
            failures.add(code, ch.last_seq,
                         Message("project_row_head_seq", head_seq=head_seq, head_hash=str(head_hash)[:12],
                                 last_seq=ch.last_seq, last_hash=str(ch.last_hash)[:12]), "project",
                         "head_seq" if head_seq != ch.last_seq else "head_hash",
                         ch.last_seq if head_seq != ch.last_seq else ch.last_hash,
                         head_seq if head_seq != ch.last_seq else head_hash)
        if ch.stage is not None and stage != ch.stage:
            failures.add(code, ch.stage_seq, Message("project_row_says_stage", stage=stage, stage_seq=ch.stage_seq,
                                                     ch_stage=ch.stage), "project", "stage",
                         ch.stage, stage)
        elif ch.paused is not None and ch.stage is not None and held_from != ch.held_from:
            failures.add(code, ch.stage_seq, Message("project_row_says_it", held_from=held_from,
                                                     ch_held_from=ch.held_from), "project", "held_from",
                         ch.held_from, held_from)
        if not isinstance(version, int) or not ch.lo <= version <= max(ch.last_seq, 1):
            failures.add(code, ch.last_seq, Message("project_row_version_is", version=version, lo=ch.lo,
                                                    max=max(ch.last_seq, 1)), "project",
                         "version", f"{ch.lo}..{max(ch.last_seq, 1)}", version)
    for pid, ch in chains.items():
        if pid not in projects:
            failures.add(ch.code, None, Message("events_exist_but_project", n=ch.n))
