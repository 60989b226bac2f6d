"""Replay: rebuild every project from its history alone, check each event was legal, and compare
what the program reads (the project row and the side tables) with what history says it must be.

Each stored event row is parsed back into its :mod:`workflow.events` class (the kind's reader in
:data:`workflow.event_rows.ROW_READERS`, what :func:`workflow.event_rows.event_from_row` calls) and applied
with the same ``apply``/``derived`` the write path (``workflow.store.Txn.emit``) uses, so there is one
description of what every kind does.

Per event the replay checks (a problem names the project, the event and what was wrong):

- **legal move**: a transition fires from the replayed stage through the project's workflow
  definition (the shared machine) to the recorded stage, and every guard of it holds on what was
  recorded before it (documents, checks, capital, lead leader, the project's fields, the reason);
- **dates**: no effective date before the registration, none after the day it was recorded, and no
  transition before the previous one;
- **actor**: a known user whose role may record that kind (the permission table,
  ``workflow.access.PERMISSIONS``, the service and batches read too); a leader's follow-up only on a
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
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter, itemgetter
from typing import Any

from workflow.access import PERMISSIONS, roles_for
from workflow.catalogue import Message
from workflow.day_rules import DayRules
from workflow.definition import get_definition
from workflow.encoding import GENESIS
from workflow.errors import PipelineError
from workflow.event_rows import ROW_READERS
from workflow.events import (
    LEAD_ROLE,
    Assigned,
    Corrected,
    Facts,
    Migrated,
    Registered,
    Retired,
    Transitioned,
)
from workflow.guards import ProjectContext, all_hold, evaluate
from workflow.machine import Route, route
from workflow.text import clip


def _entitled(role: str | None) -> frozenset[str]:
    """The event kinds ``role`` may record: its row of the permission table (``access.PERMISSIONS``)."""
    return PERMISSIONS.get(role, frozenset()) if role is not None else frozenset()


# The project columns history fixes, compared with the project row.
PROJECT_FIELDS = ("name", "investor", "origin", "industry", "category", "key", "planned_investment_minor",
                  "planned_currency", "unit_code", "plan_sign", "plan_fund", "plan_break_ground", "plan_commission",
                  "stage", "stage_since", "held_from", "registered_on", "last_transition_on", "last_followup_on",
                  "workflow_name", "workflow_version", "head_seq", "head_hash")
# Checked by the chain sweep (``chains.check_projects``) already; the replay compares the rest.
CHAIN_FIELDS = frozenset({"stage", "held_from", "head_seq", "head_hash"})
COMPARED_FIELDS = tuple(f for f in PROJECT_FIELDS if f not in CHAIN_FIELDS)

# The side tables and the columns their rows are compared by (``event_seq`` identifies a row).
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "screening_check": ("item", "result", "note", "effective_on"),
    "document": ("kind", "number", "effective_on", "file_sha256", "file_name", "file_size"),
    "capital_arrival": ("amount_minor", "currency", "effective_on", "source"),
    "investment_completed": ("amount_minor", "currency", "effective_on"),
    "followup": ("note", "effective_on", "actor", "contact", "next_step", "next_on"),
    "assignment": ("role", "person_login", "rule_id", "rule_version", "assigned_on", "ended_on", "ended_seq"),
    "problem": ("id", "kind", "text", "owner_unit", "owner_person", "due_on", "source", "opened_on", "actor"),
    "problem_action": ("problem_id", "action", "text", "due_on", "effective_on", "actor"),
    "supervision_letter": ("year", "serial", "number", "problem_id", "level", "addressee", "issued_on", "actor"),
    "year_plan": ("year", "amount_minor", "currency", "effective_on"),
    "commitment": ("kind", "per_year", "from_year", "to_year", "effective_on"),
    "performance": ("year", "kind", "value", "effective_on"),
}

_FUTURE_SLACK = timedelta(days=1)  # the configured time zone's today may be a day ahead of UTC's
FUTURE_SLACK = timedelta(minutes=10)  # a recorded time this far ahead of verify's clock is not yet "future"


def replay_problem(code: str, seq: int | None, text: Message | str, table: str | None = None, field: str | None = None,
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


def normalised(value: Any) -> Any:
    """A stored value in the form the replay produces (SQLite returns dates as text, PostgreSQL as dates)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class Shape:
    """What the replay asks of one workflow definition at its events, worked out once a run: its
    paused and final stages, and the machine's answers (``workflow.machine.route``) asked so far."""

    __slots__ = ("defn", "paused", "final", "routes")

    def __init__(self, defn: Any):
        self.defn = defn
        self.paused = frozenset(s.key for s in defn.stages if s.is_paused)
        self.final = frozenset(s.key for s in defn.stages if s.is_final)
        self.routes: dict[tuple[str, str, str | None], Route | None] = {}

    def route(self, stage: str, trigger: str, held_from: str | None) -> Route | None:
        """``machine.route(defn, stage, trigger, held_from)``, asked once per question a run."""
        key = (stage, trigger, held_from)
        try:
            return self.routes[key]
        except KeyError:
            found = self.routes[key] = route(self.defn, stage, trigger, held_from)
            return found


class Definitions:
    """Workflow definitions by (name, version), loaded once; None for one the program does not know.
    One per run (a caller replaying many projects shares it), with each definition's `Shape`."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, int], Any] = {}
        self.shapes: dict[tuple[str, int], Shape | None] = {}

    def get(self, name: str, version: int) -> Any:
        key = (name, version)
        if key not in self.cache:
            try:
                self.cache[key] = get_definition(name, version)
            except Exception:
                self.cache[key] = None
        return self.cache[key]

    def shape(self, name: str, version: int) -> Shape | None:
        """The `Shape` of the definition ``get`` gives (None for one the program does not know)."""
        key = (name, version)
        try:
            return self.shapes[key]
        except KeyError:
            defn = self.get(name, version)
            found = self.shapes[key] = None if defn is None else Shape(defn)
            return found


class Replayed:
    """One project rebuilt from its events: its row (a ``workflow.rows.ProjectRow``), facts, derived rows
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


class _Bad:
    """Collects one project's problems (``bad(seq, text, field, expected, found)``)."""

    __slots__ = ("code", "problems")

    def __init__(self, code: str, problems: list[dict]):
        self.code = code
        self.problems = problems

    def __call__(self, seq: int, text: Message | str, field: str | None = None, expected: Any = None, found: Any = None,
                 table: str = "event") -> None:
        self.problems.append(replay_problem(self.code, seq, text, table, field, expected, found))


def _said(exc: BaseException) -> Message | str:
    """What an exception says, as a field of a problem: its message when it holds one (rendered in the
    run's language), else its text."""
    if isinstance(exc, PipelineError):
        return exc.message_obj if exc.message_obj is not None else exc.message
    if len(exc.args) == 1 and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)


def _unreadable(kind: Any, exc: Exception) -> Message:
    """Why an event cannot be read as its kind: a payload that is not JSON, or lacks a member its
    kind's reader needs, said in the run's language; any other error as it says it."""
    if isinstance(exc, json.JSONDecodeError):
        return Message("replay_payload_not_json", kind=kind, line=exc.lineno, column=exc.colno)
    if type(exc) is KeyError and len(exc.args) == 1:
        return Message("replay_payload_lacks_member", kind=kind, member=clip(repr(exc.args[0])))
    return Message("replay_event_unreadable", kind=kind, error_type=type(exc).__name__, error=_said(exc))


_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_DAYS: dict[str, date] = {}


def _on(value: Any) -> date:
    """An effective date from its stored form (text on SQLite, a date on PostgreSQL); text parsed once."""
    if type(value) is str:
        found = _DAYS.get(value)
        if found is None:
            if len(_DAYS) > 100_000:
                _DAYS.clear()
            found = _DAYS[value] = date.fromisoformat(value[:10])
        return found
    return _day(value)


def replay_project(pid: int, code: str, rows: Iterator[tuple], roles: dict[str, str] | DayRules,
                   definitions: Definitions | None = None, now: Any = None,
                   leave_out: frozenset[str] = frozenset()) -> Replayed:
    """Replay one project's events, given as ``(id, project_id, seq, kind, trigger, from_stage, to_stage,
    effective_on, recorded_at, actor, reason, payload, prev_hash, hash)`` tuples in ``seq`` order.
    ``roles``: the rules of each event's day (``workflow.day_rules.DayRules``: roles, disabled flags
    and closed periods as the set-up ledger stood), or a plain login -> role map (today's roles
    throughout, nothing closed).  ``now``: recorded times after it are in the future (None: not
    checked).  ``leave_out``: side tables whose rows are not gathered (the result's ``rows`` holds
    none of theirs; every event is replayed and checked all the same), for a caller that keeps them
    nowhere."""
    defs = definitions or Definitions()
    rep = Replayed(pid, code)
    facts = rep.facts
    derived = rep.rows
    bad = _Bad(code, rep.problems)
    defn: Any = None
    shape: Shape | None = None  # defn's (None: an unknown definition)
    paused: frozenset[str] = frozenset()
    amounts_on: dict[int, date] = {}  # seq of a capital/investment event -> its effective date
    authors: dict[int, str] = {}  # seq -> actor (a correction by the entry's author)
    scan = _SCAN
    days = _DAYS
    readers = ROW_READERS
    day = roles if isinstance(roles, DayRules) else DayRules.constant(roles)
    entitled: dict[str | None, frozenset[str]] = {}  # role -> the kinds it may record
    steady: dict[str, tuple[str | None, bool]] = {}  # actor -> its state, for actors with no ledger entry
    prev_rec: Any = None  # the previous event's recorded time, as stored
    prev_id = -(2**63)  # the previous event's id
    ever_closed = bool(day.closes[0])  # whether any period was ever closed (else no event needs looking up)
    n = 0
    row: Any = None
    head_seq, head_hash = 0, GENESIS
    for _id, _pid, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload, _prev, stored_hash \
            in rows:
        n += 1
        try:
            on = days.get(eff) or _on(eff)
            if type(payload) is str:
                try:  # canonical JSON has no surrounding whitespace: the scanner alone reads it
                    parsed, end = scan(payload, 0)
                    if end != len(payload):
                        raise ValueError("extra data")
                except (StopIteration, ValueError):
                    parsed = json.loads(payload)  # raises with the reason
            else:
                parsed = payload
            if type(parsed) is not dict:
                raise TypeError(Message("replay_payload_not_object"))
            target_on = amounts_on.get(parsed.get("corrects")) if kind == "correction" else None  # type: ignore[arg-type]
            read = readers.get(kind)
            if read is None:
                raise ValueError(Message("replay_unknown_kind", kind=kind))
            ev = read(trigger, from_stage, to_stage, on, reason, parsed, paused, target_on)
        except Exception as exc:
            bad(seq, _unreadable(kind, exc), "payload")
            if row is not None:
                head_seq, head_hash = seq, stored_hash
            continue
        # --- the first event registers the project -------------------------------------------
        if row is None:
            if not isinstance(ev, Registered):
                bad(seq, Message("replay_first_not_registration", kind=kind), "kind", "registered", kind)
                continue
            row = rep.row = ev.new_row(pid, code)
            shape = defs.shape(ev.workflow_name, ev.workflow_version)
            defn = None if shape is None else shape.defn
            if shape is None:
                bad(seq, Message("replay_workflow_unknown", workflow=ev.workflow_name, version=ev.workflow_version),
                    "payload")
            else:
                paused = shape.paused
                if ev.stage != defn.stages[0].key:
                    bad(seq, Message("replay_registered_not_first_stage", stage=ev.stage), "to_stage",
                        defn.stages[0].key, ev.stage)
        elif kind == "registered":
            bad(seq, Message("replay_second_registration"), "kind")
            head_seq, head_hash = seq, stored_hash
            continue
        # --- who: the actor's role and disabled flag when the event was recorded ----------------
        if actor in steady:
            role, disabled = steady[actor]
        else:
            role, disabled = day.user(actor, _id)
            if not day.has_entries(actor):
                steady[actor] = (role, disabled)
        may = entitled.get(role)
        if may is None:
            may = entitled[role] = _entitled(role)
        if disabled and role is not None:
            bad(seq, Message("replay_actor_was_disabled", actor=actor), "actor", "an enabled user",
                f"{actor} (disabled)")
        if kind not in may:
            try:
                allowed = roles_for(kind)
            except ValueError:  # a kind no role records
                allowed = ()
            if role is None:
                bad(seq, Message("replay_actor_unknown", actor=actor), "actor",
                    f"a user whose role may record {kind}", actor)
            elif kind != "correction" or authors.get(parsed.get("corrects")) != actor:  # type: ignore[arg-type]
                bad(seq, Message("replay_actor_may_not_record", actor=actor, role=role, kind=kind), "actor",
                    " or ".join(allowed), role)
        elif kind == "followup" and role == "leader":
            if not any(h["person_login"] == actor for hs in facts.holders.values() for h in hs):
                bad(seq, Message("replay_leader_holds_no_role", actor=actor, code=code), "actor")
        elif kind == "retired" and role == "leader":
            if not any(h["person_login"] == actor for h in facts.holders.get(LEAD_ROLE, ())):
                bad(seq, Message("replay_leader_not_lead", actor=actor, code=code), "actor")
        # --- when -----------------------------------------------------------------------------
        # ISO text compares as dates (a day sorts before any time on it): only a later day is looked at
        if type(eff) is not str or type(rec) is not str or eff > rec:
            try:
                recorded = _day(rec)
            except (TypeError, ValueError):
                recorded = None
            if recorded is not None and on > recorded + _FUTURE_SLACK:
                bad(seq, Message("replay_effective_after_recorded", on=on, recorded=recorded), "effective_on",
                    f"<= {recorded}", on)
        if on < row.registered_on:
            bad(seq, Message("replay_effective_before_registration", on=on, registered=row.registered_on),
                "effective_on", f">= {row.registered_on}", on)
        # ids (the place in the write order the rules of the day go by) and recorded times never go
        # backwards along the chain, nor do recorded times lie in the future
        if type(_id) is not int or _id <= prev_id:
            bad(seq, Message("replay_id_backwards", id=_id, previous=prev_id), "id", f"> {prev_id}", _id)
        else:
            prev_id = _id
        if prev_rec is not None and rec != prev_rec and recorded_before(rec, prev_rec):  # most share a time
            bad(seq, Message("replay_recorded_backwards", at=_show(rec), previous=_show(prev_rec)), "recorded_at",
                f">= {_show(prev_rec)}", rec)
        if now is not None and recorded_before(now, rec):
            bad(seq, Message("replay_recorded_in_future", at=_show(rec)), "recorded_at", f"<= {_show(now)}", rec)
        prev_rec = rec
        # an entry dated inside a period closed when it was recorded is a late entry, with its reason
        closed = day.closed(_id) if ever_closed else ()
        if closed:
            _check_late(closed, on, parsed, bad, seq)
        # --- what -----------------------------------------------------------------------------
        if kind == "transition":
            assert isinstance(ev, Transitioned)
            if on < row.last_transition_on:
                bad(seq, Message("replay_transition_before_previous", on=on, previous=row.last_transition_on),
                    "effective_on", f">= {row.last_transition_on}", on)
            if shape is not None:
                _check_transition(shape, row, facts, ev, bad, seq)
        elif kind == "migrated":
            assert isinstance(ev, Migrated)
            shape = _check_migrated(defs, row, ev, bad, seq)
            defn = None if shape is None else shape.defn
            paused = frozenset() if shape is None else shape.paused
        elif kind == "retired":
            assert isinstance(ev, Retired)
            if on < row.last_transition_on:
                bad(seq, Message("replay_retirement_before_previous", on=on, previous=row.last_transition_on),
                    "effective_on", f">= {row.last_transition_on}", on)
            if shape is not None and row.stage in shape.final:
                bad(seq, Message("replay_retired_from_final", stage=row.stage), "from_stage", None, row.stage)
            if ev.source != row.stage:
                bad(seq, Message("replay_retired_not_from_replayed", source=ev.source, stage=row.stage), "from_stage",
                    row.stage, ev.source)
        elif kind == "correction":
            assert isinstance(ev, Corrected)
            if not 1 <= ev.corrects < seq:
                bad(seq, Message("replay_correction_not_preceding", corrects=ev.corrects), "payload")
        if (trigger is not None or from_stage is not None or to_stage is not None or reason is not None) and (
                trigger != ev.trigger or from_stage != ev.from_stage or to_stage != ev.to_stage
                or reason != ev.reason):
            for col, stored, made in (("trigger", trigger, ev.trigger), ("from_stage", from_stage, ev.from_stage),
                                      ("to_stage", to_stage, ev.to_stage), ("reason", reason, ev.reason)):
                if stored != made:  # a reason may be of any length: quoted shortened (docs/text-and-errors.md)
                    shown = clip(stored) if type(stored) is str else stored
                    bad(seq, Message("replay_column_no_command", kind=kind, column=col, stored=shown), col, made,
                        shown)
        # --- apply, as the write path does -----------------------------------------------------
        if isinstance(ev, Assigned):
            ended = ev.ends(facts)
            if ev.replaces is not None and ended is None:
                bad(seq, Message("replay_reassignment_not_holder", replaces=ev.replaces, role=ev.role), "payload")
            if ended is not None and ended in derived["assignment"]:
                derived["assignment"][ended]["ended_on"] = on
                derived["assignment"][ended]["ended_seq"] = seq
            ev.apply_holders(facts, seq)
        ev.apply(row, facts)
        for table, values in ev.derived(pid, seq, actor):
            if table in leave_out:
                continue
            if table == "assignment":
                values["ended_on"] = None
                values["ended_seq"] = None
            derived[table][seq] = values
        if kind == "capital" or kind == "investment":
            amounts_on[seq] = on
        authors[seq] = actor
        head_seq = seq
        head_hash = stored_hash
    if row is not None:  # the chain head: the last event read after the registration
        row.head_seq = head_seq
        row.head_hash = head_hash
    rep.events = n
    return rep


def _check_migrated(defs: Definitions, row: Any, ev: Migrated, bad: _Bad, seq: int) -> Shape | None:
    """A migration starts from the project's replayed workflow version and stage and ends at a stage
    of the version it names; returns that version's `Shape` (None: unknown)."""
    if (ev.workflow, ev.from_version) != (row.workflow_name, row.workflow_version):
        bad(seq, Message("replay_migrated_from_version", workflow=ev.workflow, version=ev.from_version,
                         replayed_workflow=row.workflow_name, replayed_version=row.workflow_version), "payload",
            f"{row.workflow_name}:{row.workflow_version}", f"{ev.workflow}:{ev.from_version}")
    if ev.source != row.stage:
        bad(seq, Message("replay_migrated_from_stage", source=ev.source, stage=row.stage), "from_stage", row.stage,
            ev.source)
    shape = defs.shape(ev.workflow, ev.to_version)
    if shape is None:
        bad(seq, Message("replay_workflow_unknown", workflow=ev.workflow, version=ev.to_version), "payload")
        return None
    keys = {s.key for s in shape.defn.stages}
    if ev.dest not in keys:
        bad(seq, Message("replay_migrated_to_missing_stage", dest=ev.dest, workflow=ev.workflow, version=ev.to_version),
            "to_stage", None, ev.dest)
    if ev.held_from is not None and ev.held_from not in keys:
        bad(seq, Message("replay_held_from_missing_stage", held_from=ev.held_from, workflow=ev.workflow,
                         version=ev.to_version), "payload", None, ev.held_from)
    return shape


_CANONICAL_AT = 26  # len("2026-01-31 09:30:00.000000"): how SQLite stores a recorded time
_HASHED_AT = 27  # len("2026-01-31T09:30:00.000000Z"): the form history hashes (a bundle's, checked when read)


def _instant(value: Any) -> datetime:
    """A recorded time from its stored form (text on SQLite, a datetime on PostgreSQL), in UTC."""
    at = datetime.fromisoformat(value) if type(value) is str else value
    if not isinstance(at, datetime):
        raise TypeError(f"{value!r} is not a time")
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def recorded_before(a: Any, b: Any) -> bool:
    """Whether recorded time ``a`` lies before ``b`` (text in SQLite's own form, or both in the form
    history hashes, compares as it is: UTC, fixed width)."""
    if type(a) is str and type(b) is str:
        n = len(a)
        if n == len(b) and ((n == _CANONICAL_AT and a[10] == b[10] == " ")
                            or (n == _HASHED_AT and a[10] == b[10] == "T" and a[26] == b[26] == "Z")):
            return a < b
    try:
        return _instant(a) < _instant(b)
    except (TypeError, ValueError):
        return False  # a recorded time that is no time: the chain check reports the event


def _check_late(closed: tuple, on: date, payload: Any, bad: _Bad, seq: int) -> None:
    """An event dated inside a closed period carries the late-entry marker (``workflow.closed``) naming
    such a period, with a reason."""
    for start, end, label in closed:
        if start <= on <= end:
            marker = payload.get("late") if isinstance(payload, dict) else None
            labels = {lab for s, e, lab in closed if s <= on <= e}
            if not (isinstance(marker, dict) and marker.get("period") in labels
                    and isinstance(marker.get("reason"), str) and marker["reason"].strip()):
                bad(seq, Message("replay_closed_without_late", on=on, label=label), "payload",
                    {"late": {"period": label, "reason": "…"}}, marker)
            return


def _check_transition(shape: Shape, row: Any, facts: Facts, ev: Transitioned, bad: _Bad, seq: int) -> None:
    """The transition is one the definition's machine fires from the replayed stage (to the recorded
    stage), and every guard condition of it held on what was recorded before it."""
    found = shape.route(row.stage, ev.name, row.held_from)
    if found is None:
        bad(seq, Message("replay_transition_illegal", trigger=ev.name, stage=row.stage), "trigger", None, ev.name)
        return
    to = found.dest
    if to != ev.dest:
        bad(seq, Message("replay_transition_wrong_dest", trigger=ev.name, stage=row.stage, dest=to, recorded=ev.dest),
            "to_stage", to, ev.dest)
    if not found.guards:
        return
    ctx = ProjectContext(row, facts, ev.why)  # read as it stands: nothing changes it before it is judged
    if all_hold(found.guards, ctx):
        return
    for result in evaluate(found.guards, ctx, shape.defn.guard_labels):
        if not result.ok:
            bad(seq, Message("replay_guard_did_not_hold", trigger=ev.name, guard=result.guard, said=result.said),
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
        if normalised(expected) != normalised(got):
            message = Message("project_row_is_but", f=f, show=_show(normalised(got)),
                              show_2=_show(normalised(expected)))
            out.append(replay_problem(rep.code, row.head_seq, message, "project", f, normalised(expected),
                                      normalised(got)))
    override = found.get("key_override")
    if override is not None and bool(override) != bool(row.key) and row.key == bool(found["key"]):
        out.append(replay_problem(rep.code, row.head_seq, Message("project_row_key_override", override=override,
                                                            key=row.key), "project", "key_override", row.key,
                            bool(override)))
    return out


_DATE_COLUMNS = frozenset({"effective_on", "assigned_on", "ended_on", "next_on", "due_on", "opened_on", "issued_on"})
_PROJECT_DATES = frozenset({"plan_sign", "plan_fund", "plan_break_ground", "plan_commission", "stage_since",
                            "registered_on", "last_transition_on", "last_followup_on"})


class _IsoDates(dict):
    """date -> its ISO text (and None -> None), each worked out once."""

    def __missing__(self, day: Any) -> Any:
        if len(self) > 100_000:
            self.clear()
            self[None] = None
        text = self[day] = day.isoformat()
        return text


_ISO = _IsoDates({None: None})
_ROW_MAKERS: dict[tuple[str, bool], Callable[[dict], tuple]] = {}


def _row_maker(table: str, iso_dates: bool) -> Callable[[dict], tuple]:
    """A function giving a replayed row of ``table`` (its ``derived`` values) as the stored tuple
    ``(project_id, event_seq, *DERIVED_COLUMNS[table])`` reads (dates as ISO text when ``iso_dates``)."""
    found = _ROW_MAKERS.get((table, iso_dates))
    if found is None:
        columns = ("project_id", "event_seq", *DERIVED_COLUMNS[table])
        found = _ROW_MAKERS[(table, iso_dates)] = _as_stored(
            itemgetter(*columns), [i for i, c in enumerate(columns) if iso_dates and c in _DATE_COLUMNS])
    return found


def project_maker(iso_dates: bool) -> Callable[[Any], tuple]:
    """A function giving a replayed project row's ``COMPARED_FIELDS`` as the stored row holds them
    (dates as ISO text when ``iso_dates``): for a first comparison of the whole row at once."""
    return _as_stored(attrgetter(*COMPARED_FIELDS),
                      [i for i, f in enumerate(COMPARED_FIELDS) if iso_dates and f in _PROJECT_DATES])


def _as_stored(get: Callable[[Any], tuple], dates: list[int]) -> Callable[[Any], tuple]:
    """``get``'s values, those at the positions ``dates`` as ISO text (a non-date there raises
    ``AttributeError``: the callers then compare field by field)."""
    if not dates:
        return get

    def values(source: Any) -> tuple:
        found = list(get(source))
        for i in dates:
            found[i] = _ISO[found[i]]
        return tuple(found)
    return values


def compare_rows(rep: Replayed, table: str, found: list[tuple], iso_dates: bool = True) -> list[dict]:
    """The differences between the replayed rows of ``table`` and the stored ones, given as
    ``(project_id, event_seq, *DERIVED_COLUMNS[table])`` tuples (dates as ISO text when ``iso_dates``,
    as SQLite returns them; else as dates)."""
    expected = rep.rows[table]
    if len(found) == len(expected):
        if not found:
            return []
        make = _row_maker(table, iso_dates)
        try:
            if [make(v) for v in expected.values()] == found:  # the same rows in the same order
                return []
        except (AttributeError, TypeError):  # a replayed value that is not a date where one belongs
            pass
    out: list[dict] = []
    columns = DERIVED_COLUMNS[table]
    seen: set[int] = set()
    code = rep.code
    for stored in found:
        seq = stored[1]
        want = expected.get(seq)
        if want is None or seq in seen:
            what = "a second row for" if seq in seen else "a row no event made, for"
            out.append(replay_problem(code, seq, Message("event", table=table, what=what, seq=seq,
                                                   describe=_describe(columns, stored[2:])),
                                table, "row", None, dict(zip(columns, map(normalised, stored[2:]), strict=True))))
            continue
        seen.add(seq)
        for col, exp, got in zip(columns, [want[c] for c in columns], stored[2:], strict=True):
            exp = normalised(exp)
            got = normalised(got)
            if exp != got:
                out.append(replay_problem(code, seq, Message("of_event_is_but", table=table, col=col, seq=seq, got=got,
                                                       exp=exp), table, col, exp, got))
    if len(seen) != len(expected):
        for seq, want in expected.items():
            if seq not in seen:
                shown = _describe(columns, [want[c] for c in columns])
                message = Message("row_of_event_is", table=table, seq=seq, shown=shown)
                out.append(replay_problem(code, seq, message, table, "row", {c: normalised(want[c]) for c in columns},
                                          None))
    return out


def _describe(columns: tuple[str, ...], values: Any) -> str:
    return ", ".join(f"{c}={normalised(v)!r}" for c, v in zip(columns, values, strict=True))
