"""Snapshots: the state of every project on a date, read from history."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.engine import Connection

from workflow import performance, supervision
from workflow.lights import GREEN, RED, YELLOW, Light, Thresholds, compute_light, light_color
from workflow.reports.windows import _CHUNK, NO_LIGHT, stage_kinds
from workflow.settings import LADDER_PREFIX, InForceByDate, Ladder, ladder
from workflow.tables import assignment as ASG
from workflow.tables import event as E
from workflow.tables import followup as FU
from workflow.tables import investment_completed as INV
from workflow.tables import project as P
from workflow.tables import year_plan as YP

# --- the state of every project on a date -----------------------------------------------------

_ON = itemgetter(0)  # a change's effective date (FactsByDate)


@dataclass(slots=True)
class Snapshot:
    """One project as it stood on `as_of`, with its light (the snapshot is the light's facts)."""

    id: int
    code: str
    name: str
    unit: str | None
    key: bool
    planned_minor: int
    stage: str
    stage_kind: str
    stage_since: date
    registered_on: date
    last_followup_on: date | None
    has_lead_leader: bool
    plan: dict
    light: Light = NO_LIGHT
    year_plan_minor: int = 0  # the plan of the as-of date's year (CNY fen), 0 without one
    year_done_minor: int = 0  # investment completed (CNY) from 1 January to the as-of date
    # open problems at the supervision ladder's red level or more: (id, text, level), by id
    problems: tuple[tuple[int, str, int], ...] = ()
    promised_on: date | None = None  # the next follow-up the latest follow-up promised, if any
    performance: tuple = ()  # a producing project's 履约 check of the last full year (workflow.performance)


def _facts_stmt(as_of: date, unit: str | None = None, ids: Iterable[int] | None = None):
    """One row per project registered by `as_of`: its stage, stage date, last follow-up and lead
    leader as of that day.  The project row is the answer when nothing happened after `as_of`;
    otherwise correlated look-ups read the history (newest event first, on the (project, seq) key)."""
    d = literal(as_of, type_=P.c.stage_since.type)
    newest = (select(E.c.to_stage, E.c.effective_on)
              .where(E.c.project_id == P.c.id, E.c.to_stage.is_not(None), E.c.effective_on <= d)
              .order_by(E.c.seq.desc()).limit(1))
    moved_later = P.c.last_transition_on > d
    stage = case((moved_later, newest.with_only_columns(E.c.to_stage).scalar_subquery()), else_=P.c.stage)
    since = case((moved_later, newest.with_only_columns(E.c.effective_on).scalar_subquery()),
                 else_=P.c.stage_since)
    last_fu = case(
        (P.c.last_followup_on > d,
         select(func.max(FU.c.effective_on)).where(FU.c.project_id == P.c.id, FU.c.effective_on <= d)
         .scalar_subquery()),
        else_=P.c.last_followup_on)
    leader = exists(select(ASG.c.id).where(
        ASG.c.project_id == P.c.id, ASG.c.role == "lead_leader", ASG.c.assigned_on <= d,
        or_(ASG.c.ended_on.is_(None), ASG.c.ended_on > d)))
    stmt = (select(P.c.id, P.c.code, P.c.name, P.c.unit_code, P.c.key, P.c.planned_investment_minor,
                   P.c.registered_on, P.c.plan_sign, P.c.plan_fund, P.c.plan_break_ground,
                   P.c.plan_commission, stage.label("stage_at"), since.label("since_at"),
                   last_fu.label("followup_at"), leader.label("leader_at"))
            .where(P.c.registered_on <= d).order_by(P.c.id))
    if unit is not None:
        stmt = stmt.where(P.c.unit_code == unit)
    if ids is not None:
        stmt = stmt.where(P.c.id.in_(list(ids)))
    return stmt


class FactsByDate:
    """The rows of :func:`_facts_stmt` (every project, no unit or ids) at dates in ascending order,
    from one pass over the history sorted by effective date instead of one statement per date: the
    stage changes, follow-ups and lead-leader assignments are read once and applied up to each date
    in turn (the city's figures of many month-ends, docs/city.md).  The same rules as the statement:
    the project row where nothing happened after the date; else the stage of the newest (highest
    seq) stage change dated by then, the latest follow-up dated by then, and a lead leader assigned
    by then and not ended by then; as in :func:`each_snapshot`, equal values of the rows (dates, unit
    codes, stages) are one object, and the key and lead-leader flags bools.  After :meth:`at`, the
    same date's promises
    (``supervision.promises``), year plans and investment done this year (:func:`year_plans`,
    :func:`year_done`) from the same pass, and the supervision ladder, the escalated problems and the
    履约 check from their owners' readers by date (``settings.InForceByDate``,
    ``supervision.EscalatedByDate``, ``performance.ForLightsByDate``)."""

    def __init__(self, conn: Connection) -> None:
        # Equal values a row holds (dates, unit codes, stages) are one object, as each_snapshot keeps them.
        once: Any = {}.setdefault
        # per project: the row's first eleven columns (the same at every date), then what decides the rest
        self._projects: list[tuple] = []
        for (pid, code, name, unit_code, key, planned, registered, p_sign, p_fund, p_bg, p_comm,
             stage_now, since_now, moved_on, followup_now) in conn.execute(
                select(P.c.id, P.c.code, P.c.name, P.c.unit_code, P.c.key, P.c.planned_investment_minor,
                       P.c.registered_on, P.c.plan_sign, P.c.plan_fund, P.c.plan_break_ground,
                       P.c.plan_commission, P.c.stage, P.c.stage_since, P.c.last_transition_on,
                       P.c.last_followup_on).order_by(P.c.id)).all():
            registered = once(registered, registered)
            same = (pid, code, name, once(unit_code, unit_code), bool(key), int(planned), registered,
                    once(p_sign, p_sign), once(p_fund, p_fund), once(p_bg, p_bg), once(p_comm, p_comm))
            self._projects.append((same, pid, registered, once(stage_now, stage_now), once(since_now, since_now),
                                   moved_on, once(followup_now, followup_now)))
        # the changes of each kind by effective date, each a tuple (date, project id, ...); at() applies
        # all of a date's changes together, and the kinds apart (each decides its own facts).  A row
        # reads the history's stage only before the project's last transition date (after it, the
        # project row's), so a stage change dated on or after that date is never read: it is left out.
        self._stages = sorted(((once(on, on), pid, seq, once(stage, stage)) for pid, seq, stage, on in conn.execute(
            select(E.c.project_id, E.c.seq, E.c.to_stage, E.c.effective_on)
            .select_from(E.join(P, P.c.id == E.c.project_id))
            .where(E.c.to_stage.is_not(None), E.c.effective_on < P.c.last_transition_on)).all()),
            key=_ON)
        self._followups = sorted(((once(on, on), pid, seq, next_on) for pid, on, seq, next_on in conn.execute(
            select(FU.c.project_id, FU.c.effective_on, FU.c.event_seq, FU.c.next_on)).all()), key=_ON)
        self._plan_changes = sorted(conn.execute(
            select(YP.c.effective_on, YP.c.project_id, YP.c.year, YP.c.event_seq, YP.c.amount_minor)).all(), key=_ON)
        self._investments = sorted(conn.execute(select(INV.c.effective_on, INV.c.project_id, INV.c.amount_minor)
                                                .where(INV.c.currency == "CNY")).all(), key=_ON)
        # (date, project id, +1 from an assignment's start or -1 from its end)
        lead_changes: list[tuple[date, int, int]] = []
        for pid, start, end in conn.execute(select(ASG.c.project_id, ASG.c.assigned_on, ASG.c.ended_on)
                                            .where(ASG.c.role == "lead_leader")).all():
            lead_changes.append((start, pid, 1))
            if end is not None:  # ended by a date once both its start and its end are
                lead_changes.append((max(start, end), pid, -1))
        self._lead_changes = sorted(lead_changes, key=_ON)
        # (date, project id): from that date on, a project is registered, or its row reads the project
        # row's stage or last follow-up instead of the history (at() builds its row anew then)
        self._crossings = sorted(
            [(registered, pid) for _, pid, registered, *_ in self._projects]
            + [(moved_on, pid) for _, pid, _, _, _, moved_on, _ in self._projects]
            + [(fu_now, pid) for _, pid, _, _, _, _, fu_now in self._projects if fu_now is not None], key=_ON)
        self._position = {p[1]: i for i, p in enumerate(self._projects)}
        self._rows: list[tuple | None] = [None] * len(self._projects)  # each project's row at the last date
        self._taken = dict.fromkeys(("stages", "followups", "plans", "investments", "leads", "crossings"), 0)
        self._last: date | None = None
        self._stage: dict[int, tuple[int, str, date]] = {}  # pid -> (seq, stage, effective date)
        self._followup: dict[int, date] = {}
        self._leads: dict[int, int] = {}  # pid -> lead-leader assignments in force
        self._latest: dict[int, tuple[date, int]] = {}  # pid -> latest follow-up (on, seq)
        self._promised: dict[int, date] = {}  # pid -> the next follow-up its latest follow-up promised
        self._plan_seqs: dict[int, dict[int, int]] = {}  # year -> pid -> the seq of its newest plan
        self._plans: dict[int, dict[int, int]] = {}  # year -> pid -> that plan, where not 0
        self._done: dict[int, dict[int, int]] = {}  # year -> pid -> investment completed (CNY) so far
        # the supervision ladder, the escalated problems and the 履约 check at each date, each by its owner
        self._ladders = InForceByDate(conn, LADDER_PREFIX)
        self._escalated = supervision.EscalatedByDate(conn)
        self._checks = performance.ForLightsByDate(conn)

    def at(self, as_of: date) -> list[tuple]:
        """The rows at ``as_of``, not earlier than the previous call's date."""
        if self._last is not None and as_of < self._last:
            raise ValueError("FactsByDate.at: dates must not go back")
        self._last = as_of
        stage, followup, leads, latest = self._stage, self._followup, self._leads, self._latest
        promised, plans, plan_seqs, done = self._promised, self._plans, self._plan_seqs, self._done
        # the projects whose row may differ from the previous date's: only theirs is built again
        changed = {pid for _, pid in self._due("crossings", self._crossings, as_of)}
        for on, pid, seq, to in self._due("stages", self._stages, as_of):
            held = stage.get(pid)
            if held is None or seq > held[0]:
                stage[pid] = (seq, to, on)
                changed.add(pid)
        for on, pid, seq, next_on in self._due("followups", self._followups, as_of):
            if pid not in followup or on > followup[pid]:
                followup[pid] = on
                changed.add(pid)
            held_fu = latest.get(pid)
            if held_fu is None or (on, seq) > held_fu:
                latest[pid] = (on, seq)
                if next_on is not None:
                    promised[pid] = next_on
                else:
                    promised.pop(pid, None)
        for _, pid, year, plan_seq, minor in self._due("plans", self._plan_changes, as_of):
            seqs, of_year = plan_seqs.setdefault(year, {}), plans.setdefault(year, {})
            if pid not in seqs or plan_seq > seqs[pid]:
                seqs[pid] = plan_seq
                if minor:
                    of_year[pid] = int(minor)
                else:  # a plan of 0 is no plan
                    of_year.pop(pid, None)
        for on, pid, minor in self._due("investments", self._investments, as_of):
            done_of_year = done.setdefault(on.year, {})
            done_of_year[pid] = done_of_year.get(pid, 0) + int(minor)
        for _, pid, step in self._due("leads", self._lead_changes, as_of):
            changed.add(pid)
            leads[pid] = leads.get(pid, 0) + step
        rows, position, projects = self._rows, self._position, self._projects
        for pid in changed:
            at = position.get(pid)
            if at is None:  # a change of no project row: it has no row
                continue
            same, _, registered, stage_now, since_now, moved_on, followup_now = projects[at]
            if registered > as_of:
                rows[at] = None
                continue
            if moved_on > as_of:
                seq_stage_on = stage.get(pid)
                stage_at, since_at = (seq_stage_on[1], seq_stage_on[2]) if seq_stage_on else (None, None)
            else:
                stage_at, since_at = stage_now, since_now
            followup_at = followup.get(pid) if followup_now is not None and followup_now > as_of else followup_now
            rows[at] = same + (stage_at, since_at, followup_at, leads.get(pid, 0) > 0)
        return list(filter(None, rows))  # the rows not None (a row is a non-empty tuple)

    def _due(self, kind: str, changes: list, as_of: date) -> list:
        """The ``changes`` (of ``kind``, by date) after those taken so far and dated by ``as_of``."""
        first = self._taken[kind]
        self._taken[kind] = end = bisect_right(changes, as_of, lo=first, key=_ON)
        return changes[first:end]

    def _now(self, as_of: date) -> None:
        if as_of != self._last:
            raise ValueError("FactsByDate: call at(as_of) first")

    def promises(self, as_of: date) -> dict[int, date]:
        """project id -> the next follow-up its latest follow-up by ``as_of`` promised, if any."""
        self._now(as_of)
        return dict(self._promised)

    def year_plans(self, as_of: date) -> dict[int, int]:
        """:func:`year_plans` at ``as_of``."""
        self._now(as_of)
        return dict(self._plans.get(as_of.year, {}))

    def year_done(self, as_of: date) -> dict[int, int]:
        """:func:`year_done` at ``as_of``."""
        self._now(as_of)
        return dict(self._done.get(as_of.year, {}))

    def ladder(self, as_of: date) -> Ladder:
        """``settings.ladder`` at ``as_of``."""
        self._now(as_of)
        return self._ladders.ladder(as_of)

    def escalated(self, as_of: date, lad: Ladder) -> dict[int, list[dict]]:
        """``supervision.escalated`` (every project's) at ``as_of``."""
        self._now(as_of)
        return self._escalated.at(as_of, lad)

    def for_lights(self, as_of: date) -> dict[int, tuple]:
        """``performance.for_lights`` (every project's) at ``as_of``."""
        self._now(as_of)
        return self._checks.at(as_of)


def snapshots(conn: Connection, as_of: date, thresholds: Thresholds, *, unit: str | None = None,
              ids: Iterable[int] | None = None, reasons: bool = True,
              facts: FactsByDate | None = None) -> list[Snapshot]:
    """Every project registered by `as_of` (optionally of one unit, or these ids), with its light;
    ``reasons=False``: the light's color alone (`lights.light_color`, the same rules unworded).
    ``facts``: every project's facts at ``as_of`` from that one-pass reader (no unit or ids)."""
    return list(each_snapshot(conn, as_of, thresholds, unit=unit, ids=ids, reasons=reasons, facts=facts))


def each_snapshot(conn: Connection, as_of: date, thresholds: Thresholds, *, unit: str | None = None,
                  ids: Iterable[int] | None = None, reasons: bool = True,
                  facts: FactsByDate | None = None) -> Iterator[Snapshot]:
    """:func:`snapshots` one at a time, for a caller that only adds them up (a county's snapshots
    take some 1 KB a project held together).  Equal values read from the rows (dates, unit codes,
    stages) are kept once: a list of them holds one object per distinct value."""
    if facts is not None and (unit is not None or ids is not None):
        raise ValueError("snapshots: facts are every project's")
    kinds = stage_kinds()
    same: dict[Any, Any] = {}
    once = same.setdefault
    id_chunks: list[list[int] | None]
    if ids is None:
        id_chunks = [None]
    else:
        ids = list(ids)
        id_chunks = [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    rows = facts.at(as_of) if facts is not None else None
    lad = facts.ladder(as_of) if facts is not None else ladder(conn, as_of)
    wanted = None if ids is None or len(ids) > _CHUNK else list(ids)
    escalated = facts.escalated(as_of, lad) if facts is not None else supervision.escalated(conn, as_of, lad, wanted)
    promised = (facts.promises(as_of) if facts is not None
                else {pid: p["next_on"] for pid, p in supervision.promises(conn, as_of, wanted).items()})
    # a light's color alone; None: a producing project whose 履约 check finds nothing has no light
    bare: dict[str | None, Light] = {None: NO_LIGHT, **{color: Light(color, ()) for color in (RED, YELLOW, GREEN)}}
    for chunk in id_chunks:
        if facts is not None:
            plans, done = facts.year_plans(as_of), facts.year_done(as_of)
        else:
            plans = year_plans(conn, as_of, unit=unit, ids=chunk)
            done = year_done(conn, as_of, unit=unit, ids=chunk)
        judged = facts.for_lights(as_of) if facts is not None else performance.for_lights(conn, as_of, chunk)
        for (pid, code, name, unit_code, key, planned, registered, p_sign, p_fund, p_bg, p_comm,
             stage, since, followup, leader) in (rows if rows is not None
                                                 else conn.execute(_facts_stmt(as_of, unit, chunk))):
            if rows is None:  # a statement's row (FactsByDate's rows hold dates, each value once already)
                key, planned, leader = bool(key), int(planned), bool(leader)
                if since.__class__ is not date:
                    since = _as_date(since)
                if followup is not None and followup.__class__ is not date:
                    followup = _as_date(followup)
                unit_code, stage, since, registered, followup = (
                    once(unit_code, unit_code), once(stage, stage), once(since, since), once(registered, registered),
                    once(followup, followup))
                p_sign, p_fund, p_bg, p_comm = (once(p_sign, p_sign), once(p_fund, p_fund), once(p_bg, p_bg),
                                                once(p_comm, p_comm))
            kind = kinds.get(stage, "final")
            # year plan and investment done: 0 without; done with a year plan or without (the key projects' 本年完成)
            snap = Snapshot(pid, code, name, unit_code, key, planned, stage, kind, since, registered, followup, leader,
                            {"sign": p_sign, "fund": p_fund, "break_ground": p_bg, "commission": p_comm}
                            if p_sign or p_fund or p_bg or p_comm else {},  # no plan date: {} (the same to a reader)
                            NO_LIGHT, plans.get(pid, 0), done.get(pid, 0), (), promised.get(pid))
            if pid in escalated:
                snap.problems = tuple((p["id"], p["text"], p["level"]) for p in escalated[pid])
            if kind == "active" or (pid in judged and performance.producing(stage)):
                if kind != "active":
                    snap.performance = judged[pid]  # a producing project: its 履约 light
                snap.light = (compute_light(snap, as_of, thresholds) if reasons
                              else bare[light_color(snap, as_of, thresholds)])  # type: ignore[index]
            yield snap


def _project_filter(q, column, unit: str | None, ids: list[int] | None):
    if ids is not None:
        q = q.where(column.in_(ids))
    if unit is not None:
        q = q.where(column.in_(select(P.c.id).where(P.c.unit_code == unit)))
    return q


def year_plans(conn: Connection, as_of: date, *, unit: str | None = None, ids: list[int] | None = None
               ) -> dict[int, int]:
    """project id -> its investment plan for ``as_of``'s year as it stood on ``as_of`` (the newest
    ``year_plan`` entry dated by then; 0 entries are left out)."""
    newest = (select(YP.c.project_id, func.max(YP.c.event_seq).label("seq"))
              .where(YP.c.year == as_of.year, YP.c.effective_on <= as_of).group_by(YP.c.project_id))
    newest = _project_filter(newest, YP.c.project_id, unit, ids).subquery("newest_plan")
    q = (select(YP.c.project_id, YP.c.amount_minor)
         .select_from(YP.join(newest, (YP.c.project_id == newest.c.project_id) & (YP.c.event_seq == newest.c.seq))))
    return {pid: int(minor) for pid, minor in conn.execute(q) if minor}


def year_done(conn: Connection, as_of: date, *, unit: str | None = None, ids: list[int] | None = None
              ) -> dict[int, int]:
    """project id -> investment completed (CNY) from 1 January of ``as_of``'s year to ``as_of``."""
    q = (select(INV.c.project_id, func.sum(INV.c.amount_minor))
         .where(INV.c.currency == "CNY", INV.c.effective_on >= date(as_of.year, 1, 1), INV.c.effective_on <= as_of)
         .group_by(INV.c.project_id))
    q = _project_filter(q, INV.c.project_id, unit, ids)
    return {pid: int(total) for pid, total in conn.execute(q)}


def _as_date(value) -> date | None:
    """SQLite returns dates from a CASE expression as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
