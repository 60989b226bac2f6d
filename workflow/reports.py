"""Reports (docs/lights-and-reports.md), warnings and the board: the county's figures, read from history.

Everything here is read-only and is computed for a *window* (a report period cut at its as-of
date) with SQLAlchemy Core aggregates; per-project rows are fetched only where a light has to be
computed (the lights are a pure function, `workflow.lights.compute_light`).

Counting rules (docs/lights-and-reports.md, "What the figures count", rules 1–6):

- A project counts as **signed** once, in the period of its *first* transition into `signed`
  that does not come from a paused stage (resuming from `on_hold` is not a new signing) and was
  not undone by a correction.
- **Capital in place** counts each arrival by its effective date, per currency, never converted;
  **investment completed** likewise.
- A withdrawn (or otherwise finished) project still counts for what happened before.
- Flow figures count events whose effective date lies inside the period and not after the
  as-of date; the as-of date defaults to the period's end or today, whichever is earlier.
- **Snapshot** figures (projects by stage, key projects, projects over 100 million, red/yellow)
  describe the county on the as-of date: the stage, the date it was entered, the last follow-up
  and the lead leader are taken from history as they stood that day; the descriptive fields (unit,
  key designation, planned investment, planned dates) are taken as they are now.
- Key projects and projects over 100 million count projects registered by the as-of date that
  were not refused or withdrawn by then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.errors import BadInput, NotFound
from workflow.find import resolve_unit
from workflow.lights import GREEN, RED, YELLOW, Light, Thresholds, compute_light, findings, light_color
from workflow.periods import Period, Span, parse_span
from workflow.tables import assignment as ASG
from workflow.tables import capital_arrival as CAP
from workflow.tables import event as E
from workflow.tables import followup as FU
from workflow.tables import investment_completed as INV
from workflow.tables import person as PE
from workflow.tables import project as P
from workflow.tables import target as TGT
from workflow.tables import unit as U
from workflow.tables import year_plan as YP

NO_LIGHT = Light(None, ())  # final and paused stages have no light

CURRENCIES: tuple[str, ...] = ("CNY", "USD")
DOCUMENT_LIST_LIMIT = 30  # projects per red/yellow list in a bulletin document (docs/lights-and-reports.md)
OVER_100M_MINOR = 100_000_000 * 100  # 超亿元项目: planned investment ≥ 100 million CNY, in fen
LOST_STAGES: tuple[str, ...] = ("rejected", "withdrawn")
REVIEW_STAGES: tuple[str, ...] = ("construction", "production")
PLAN_FIELDS: tuple[str, ...] = ("sign", "fund", "break_ground", "commission")
METRICS: tuple[str, ...] = ("signed", "capital", "foreign", "investment")
# metric -> (target column, currency of the amount or None for a count)
METRIC_COLUMNS: dict[str, tuple[str, str | None]] = {
    "signed": ("signed", None),
    "capital": ("capital_minor", "CNY"),
    "foreign": ("foreign_minor", "USD"),
    "investment": ("investment_minor", "CNY"),
}
RATE_CAP = 1.2  # a completion rate counts at most 120% towards the score
_CHUNK = 500


# --- stages -------------------------------------------------------------------------------------


def _definition():
    from workflow.definition import default_definition

    return default_definition()


def stage_keys() -> list[str]:
    return [s.key for s in _definition().stages]


def ordered_stages(by_stage: Mapping[str, Any]) -> list[str]:
    """The stage keys of a report's ``projects_by_stage`` in the workflow definition's order, whatever
    the order of the mapping (a closed period's report comes back from the ledger with its keys
    sorted); a key the definition does not know (a stage of an older definition) follows, in key
    order.  How every layout orders its stage columns (docs/lights-and-reports.md)."""
    known = [k for k in stage_keys() if k in by_stage]
    return known + sorted(k for k in by_stage if k not in set(known))


def stage_kinds() -> dict[str, str]:
    return {s.key: s.kind for s in _definition().stages}


def active_stages() -> list[str]:
    return [s.key for s in _definition().stages if s.kind == "active"]


def paused_stages() -> list[str]:
    return [s.key for s in _definition().stages if s.kind == "paused"]


# --- windows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A report period cut at its as-of date: flows count effective dates in [start, end]."""

    period: Period | Span
    as_of: date

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return min(self.period.end, self.as_of)

    @property
    def parts(self) -> list[Window]:
        """The windows of a span's periods that have begun by the as-of date (a single period: itself)."""
        if not isinstance(self.period, Span):
            return [self]
        return [Window(p, min(p.end, self.as_of)) for p in self.period.parts if p.start <= self.as_of]

    def json(self) -> dict:
        doc: dict[str, Any] = {"period": self.period.label, "start": self.start.isoformat(),
               "end": self.period.end.isoformat(), "as_of": self.as_of.isoformat()}
        if isinstance(self.period, Span):
            doc["span"] = [p.label for p in self.period.parts]
        return doc


def make_window(period: Period | Span | str, as_of: date | None = None, *, today: date | None = None,
                lang: str = "en") -> Window:
    """The window of `period`: `as_of` defaults to the period's end or today, whichever is earlier.

    An as-of date before the period starts (a period that has not begun) is refused.
    """
    if isinstance(period, str):
        period = parse_span(period, lang=lang)
    today = today or clock.today()
    if as_of is None:
        as_of = min(period.end, today)
    if as_of < period.start:
        if as_of == today:
            raise BadInput("period_has_not_begun", label=period.label, start=period.start, today=today)
        raise BadInput("as_of_lies_before", as_of=as_of, label=period.label, start=period.start, end=period.end)
    return Window(period, as_of)


def previous_window(w: Window) -> Window:
    prev = w.period.previous()
    return Window(prev, min(prev.end, w.as_of))


# --- the state of every project on a date -----------------------------------------------------


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


def snapshots(conn: Connection, as_of: date, thresholds: Thresholds, *, unit: str | None = None,
              ids: Iterable[int] | None = None, reasons: bool = True) -> list[Snapshot]:
    """Every project registered by `as_of` (optionally of one unit, or these ids), with its light;
    ``reasons=False``: the light's color alone (`lights.light_color`, the same rules unworded)."""
    kinds = stage_kinds()
    out: list[Snapshot] = []
    id_chunks: list[list[int] | None]
    if ids is None:
        id_chunks = [None]
    else:
        ids = list(ids)
        id_chunks = [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    from workflow import supervision
    from workflow.settings import ladder

    lad = ladder(conn, as_of)
    wanted = None if ids is None or len(ids) > _CHUNK else list(ids)
    escalated = supervision.escalated(conn, as_of, lad, wanted)
    promised = supervision.promises(conn, as_of, wanted)
    bare = {color: Light(color, ()) for color in (RED, YELLOW, GREEN)}
    append = out.append
    for chunk in id_chunks:
        plans = year_plans(conn, as_of, unit=unit, ids=chunk)
        done = year_done(conn, as_of, unit=unit, ids=chunk) if plans else {}
        for (pid, code, name, unit_code, key, planned, registered, p_sign, p_fund, p_bg, p_comm,
             stage, since, followup, leader) in conn.execute(_facts_stmt(as_of, unit, chunk)):
            if since.__class__ is not date:
                since = _as_date(since)
            if followup is not None and followup.__class__ is not date:
                followup = _as_date(followup)
            kind = kinds.get(stage, "final")
            snap = Snapshot(pid, code, name, unit_code, bool(key), int(planned), stage, kind, since, registered,
                            followup, bool(leader),
                            {"sign": p_sign, "fund": p_fund, "break_ground": p_bg, "commission": p_comm})
            append(snap)
            if pid in plans:
                snap.year_plan_minor = plans[pid]
                snap.year_done_minor = done.get(pid, 0)
            if pid in escalated:
                snap.problems = tuple((p["id"], p["text"], p["level"]) for p in escalated[pid])
            if pid in promised:
                snap.promised_on = promised[pid]["next_on"]
            if kind != "active":
                continue
            snap.light = (compute_light(snap, as_of, thresholds) if reasons
                          else bare[light_color(snap, as_of, thresholds)])  # type: ignore[index]
    return out


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


# --- flows: what happened inside a window -------------------------------------------------------


def _uncorrected():
    """The event (of the enclosing query over `event`) was not undone by an admin's correction.

    Only a project's latest stage change can be corrected, and the correction is itself a stage
    change; so a stage change was corrected exactly when the next stage change after it is a
    correction.  (Correcting the correction again is not followed: the original stays undone.)"""
    nxt = E.alias("next_change")
    next_kind = (select(nxt.c.kind)
                 .where(nxt.c.project_id == E.c.project_id, nxt.c.seq > E.c.seq, nxt.c.to_stage.is_not(None))
                 .order_by(nxt.c.seq).limit(1).scalar_subquery())
    return or_(next_kind.is_(None), next_kind != "correction")


def _first_signing():
    """(project_id, first date it was signed): transitions into `signed` not from a paused stage and
    not corrected."""
    return (select(E.c.project_id, func.min(E.c.effective_on).label("on"))
            .where(E.c.kind == "transition", E.c.to_stage == "signed",
                   E.c.from_stage.not_in(paused_stages() or ["-"]), _uncorrected())
            .group_by(E.c.project_id).subquery("first_signing"))


def _flows(conn: Connection, windows: Sequence[Window], unit: str | None) -> list[dict[str | None, dict]]:
    """For each of ``windows``: unit -> {"signed": n, "signed_investment": CNY minor of the planned
    investment of those first signed, "capital": {currency: minor}, "investment": {currency: minor}}.

    One statement per kind of flow for every window at once (a sum per window over the rows of the
    windows' whole range), so the first signings are found once however many windows are asked."""
    if not windows:
        return []
    outs: list[dict[str | None, dict]] = [
        defaultdict(lambda: {"signed": 0, "signed_investment": 0, "capital": {}, "investment": {}})
        for _ in windows]
    unit_filter = [P.c.unit_code == unit] if unit is not None else []
    low, high = min(w.start for w in windows), max(w.end for w in windows)
    first = _first_signing()
    inside = [first.c.on.between(w.start, w.end) for w in windows]
    q = (select(P.c.unit_code,
                *(func.sum(case((c, 1), else_=0)) for c in inside),
                *(func.sum(case((c, P.c.planned_investment_minor), else_=0)) for c in inside))
         .select_from(first.join(P, P.c.id == first.c.project_id))
         .where(first.c.on >= low, first.c.on <= high, *unit_filter)
         .group_by(P.c.unit_code))
    n = len(windows)
    for r in conn.execute(q):
        for i, out in enumerate(outs):
            if r[1 + i]:
                out[r[0]]["signed"] = int(r[1 + i])
                out[r[0]]["signed_investment"] = int(r[1 + n + i] or 0)
    for label, table in (("capital", CAP), ("investment", INV)):
        on = table.c.effective_on
        q = (select(P.c.unit_code, table.c.currency,
                    *(func.sum(case((on.between(w.start, w.end), table.c.amount_minor), else_=None))
                      for w in windows))
             .select_from(table.join(P, P.c.id == table.c.project_id))
             .where(on >= low, on <= high, *unit_filter)
             .group_by(P.c.unit_code, table.c.currency))
        for r in conn.execute(q):
            for i, out in enumerate(outs):
                if r[2 + i] is not None:
                    out[r[0]][label][r[1]] = int(r[2 + i])
    return outs


# --- figures ------------------------------------------------------------------------------------


def _zero_figures() -> dict:
    return {"projects_by_stage": dict.fromkeys(stage_keys(), 0), "signed": 0,
            "capital_in_place": dict.fromkeys(CURRENCIES, 0),
            "investment_completed": dict.fromkeys(CURRENCIES, 0),
            "key_projects": 0, "over_100m": 0, "red": 0, "yellow": 0}


def _add_money(into: dict, amounts: dict) -> None:
    for cur, v in amounts.items():
        into[cur] = into.get(cur, 0) + v


def _figures_by_unit(conn: Connection, w: Window, unit: str | None, thresholds: Thresholds,
                     snaps: list[Snapshot] | None = None, flows: dict[str | None, dict] | None = None
                     ) -> dict[str | None, dict]:
    figs: dict[str | None, dict] = defaultdict(_zero_figures)
    if snaps is None:
        snaps = snapshots(conn, w.as_of, thresholds, unit=unit, reasons=False)
    for s in snaps:
        f = figs[s.unit]
        by_stage = f["projects_by_stage"]
        by_stage[s.stage] = by_stage.get(s.stage, 0) + 1
        if s.stage not in LOST_STAGES:
            if s.key:
                f["key_projects"] += 1
            if s.planned_minor >= OVER_100M_MINOR:
                f["over_100m"] += 1
        if s.light.color == RED:
            f["red"] += 1
        elif s.light.color == YELLOW:
            f["yellow"] += 1
    if flows is None:
        flows = _flows(conn, [w], unit)[0]
    for u, flow in flows.items():
        f = figs[u]
        f["signed"] = flow["signed"]
        _add_money(f["capital_in_place"], flow["capital"])
        _add_money(f["investment_completed"], flow["investment"])
    return figs


def _sum_figures(items: Iterable[dict]) -> dict:
    total = _zero_figures()
    for f in items:
        for k, v in f["projects_by_stage"].items():
            total["projects_by_stage"][k] = total["projects_by_stage"].get(k, 0) + v
        for k in ("signed", "key_projects", "over_100m", "red", "yellow"):
            total[k] += f[k]
        _add_money(total["capital_in_place"], f["capital_in_place"])
        _add_money(total["investment_completed"], f["investment_completed"])
    return total


def _change(now: dict, before: dict) -> dict:
    out = {"projects_by_stage": {k: now["projects_by_stage"].get(k, 0) - before["projects_by_stage"].get(k, 0)
                                 for k in now["projects_by_stage"]}}
    for k in ("signed", "key_projects", "over_100m", "red", "yellow"):
        out[k] = now[k] - before[k]
    for k in ("capital_in_place", "investment_completed"):
        out[k] = {c: now[k].get(c, 0) - before[k].get(c, 0) for c in now[k]}
    return out


def money_list(amounts: dict) -> list[dict]:
    """{currency: minor} -> [{"amount_minor", "currency"}], CNY then USD then the rest."""
    order = {c: i for i, c in enumerate(CURRENCIES)}
    return [{"amount_minor": int(v), "currency": c}
            for c, v in sorted(amounts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))]


def figures_json(f: dict) -> dict:
    return {**f, "capital_in_place": money_list(f["capital_in_place"]),
            "investment_completed": money_list(f["investment_completed"])}


# --- units ----------------------------------------------------------------------------------------


def _units(conn: Connection, unit: str | None) -> list[tuple[str | None, str | None]]:
    """(code, name) of every unit, or of `unit` (refused when unknown)."""
    if unit is not None:
        name = conn.execute(select(U.c.name).where(U.c.code == unit)).scalar()
        if name is None:
            known = [r[0] for r in conn.execute(select(U.c.code).order_by(U.c.code).limit(20))]
            if known:
                raise NotFound("no_unit_known", [{"unit": unit}], unit=unit, known=known)
            raise NotFound("no_unit", [{"unit": unit}], unit=unit)
        return [(unit, name)]
    units: list[tuple[str | None, str | None]] = [tuple(r) for r in conn.execute(
        select(U.c.code, U.c.name).order_by(U.c.code))]
    if conn.execute(select(P.c.id).where(P.c.unit_code.is_(None)).limit(1)).first():
        units.append((None, None))
    return units


def _read(engine: Engine):
    """A connection whose statements all see the same data (one read transaction)."""
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def _thresholds(t: Thresholds | None) -> Thresholds:
    return t if t is not None else Thresholds()


# --- planned progress (序时进度): yearly plans, completed, start rate, by unit and category ------------

PROGRESS_CATEGORIES: tuple[str, ...] = ("new", "continuing", "completed", "preparatory")


def _reached_on(conn: Connection, as_of: date, unit: str | None) -> dict[int, dict[str, date]]:
    """project id -> {"construction"/"production": the first date it reached that stage by ``as_of``}
    (a resume from hold is not reaching a stage; corrected transitions do not count)."""
    q = (select(E.c.project_id, E.c.to_stage, func.min(E.c.effective_on))
         .where(E.c.kind == "transition", E.c.to_stage.in_(REVIEW_STAGES), E.c.effective_on <= as_of,
                E.c.from_stage.not_in(paused_stages() or ["-"]), _uncorrected())
         .group_by(E.c.project_id, E.c.to_stage))
    q = _project_filter(q, E.c.project_id, unit, None)
    out: dict[int, dict[str, date]] = defaultdict(dict)
    for pid, stage, on in conn.execute(q):
        d = _as_date(on)
        assert d is not None
        out[pid][stage] = d
    return out


def progress_category(reached: dict[str, date], year: int) -> str:
    """新开工 (ground broken this year), 续建 (broken earlier, not finished), 竣工 (in production this
    year) or 前期 (not yet broken ground) on the as-of date."""
    start = date(year, 1, 1)
    prod, cons = reached.get("production"), reached.get("construction")
    if prod is not None and prod >= start:
        return "completed"
    if cons is None and prod is None:
        return "preparatory"
    first = cons or prod
    assert first is not None
    return "new" if first >= start else "continuing"


def _progress_row(rows: list[dict], elapsed) -> dict:
    from workflow.progress import plan_progress, points

    plan = sum(r["plan"] for r in rows)
    done = sum(r["done"] for r in rows)
    rate = plan_progress(done, plan)
    planned_starts = sum(1 for r in rows if r["planned_start"])
    started = sum(1 for r in rows if r["planned_start"] and r["started"])
    return {"projects": sum(1 for r in rows if r["plan"]),
            "year_plan": {"amount_minor": plan, "currency": "CNY"},
            "completed": {"amount_minor": done, "currency": "CNY"},
            "plan_rate": None if rate is None else round(float(rate), 4),
            "points": None if rate is None else points(rate - elapsed),
            "planned_starts": planned_starts, "started": started,
            "starts_in_year": sum(1 for r in rows if r["started_in_year"]),
            "start_rate": round(started / planned_starts, 4) if planned_starts else None}


def progress(conn: Connection, as_of: date, unit: str | None, snaps: list[Snapshot], units: list,
             t: Thresholds) -> dict:
    """The planned progress of ``as_of``'s year: per unit, per category and in total — the yearly
    plan, the investment completed in the year, the % of plan and the points above or below time
    progress; the planned groundbreakings due by ``as_of`` in the year, how many of them broke ground,
    every groundbreaking of the year, and the start rate (开工率 = started ÷ planned)."""
    from workflow.progress import points, time_progress

    year = as_of.year
    elapsed = time_progress(as_of, by_day=bool(t.progress_by_day))
    start = date(year, 1, 1)
    reached = _reached_on(conn, as_of, unit)
    rows: list[dict] = []
    for s in snaps:
        if s.stage in LOST_STAGES:
            continue
        planned_bg = s.plan.get("break_ground")
        planned_start = planned_bg is not None and start <= planned_bg <= as_of
        r = reached.get(s.id, {})
        first = r.get("construction") or r.get("production")
        started_in_year = first is not None and first >= start
        if not s.year_plan_minor and not planned_start and not started_in_year:
            continue  # nothing planned, nothing due, no groundbreaking this year: not in the figures
        rows.append({"unit": s.unit, "category": progress_category(r, year), "plan": s.year_plan_minor,
                     "done": s.year_done_minor if s.year_plan_minor else 0, "planned_start": planned_start,
                     "started": first is not None, "started_in_year": started_in_year})
    names = dict(units)
    by_unit = []
    for code, _ in units:
        mine = [r for r in rows if r["unit"] == code]
        by_unit.append({"unit": code, "unit_name": names.get(code), **_progress_row(mine, elapsed)})
    by_category = [{"category": c, **_progress_row([r for r in rows if r["category"] == c], elapsed)}
                   for c in PROGRESS_CATEGORIES]
    return {"year": year, "as_of": as_of.isoformat(), "time_progress": points(elapsed),
            "time_by": "day" if t.progress_by_day else "month", "totals": _progress_row(rows, elapsed),
            "units": by_unit, "categories": by_category}


# --- spans: each period of a span, its growth, the average growth --------------------------------

SERIES_METRICS: tuple[str, ...] = ("signed", "capital", "foreign", "investment")


def _growth(now: int, before: int) -> float | None:
    return None if not before else round((now - before) / before, 4)


def series(conn: Connection, w: Window, unit: str | None) -> dict | None:
    """For a span: each of its periods (cut at the as-of date) with its flow figures (signed; capital
    in place in CNY; foreign capital in place in USD; investment completed in CNY) and the growth
    against the period before it in the span; and the average growth per period (per year for a
    span of years), compounded from the first period to the last: (last / first) ** (1 / (n - 1)) - 1.
    None for a single period.  The figures of the periods add up to the span's."""
    if not isinstance(w.period, Span):
        return None
    rows: list[dict[str, Any]] = []
    for part, flows in zip(w.parts, _flows(conn, w.parts, unit), strict=True):
        act = {"signed": 0, "capital": 0, "foreign": 0, "investment": 0}
        for flow in flows.values():
            act["signed"] += flow["signed"]
            act["capital"] += flow["capital"].get("CNY", 0)
            act["foreign"] += flow["capital"].get("USD", 0)
            act["investment"] += flow["investment"].get("CNY", 0)
        prev = rows[-1]["figures"] if rows else None
        rows.append({"period": part.period.label, "start": part.start.isoformat(), "end": part.end.isoformat(),
                     "figures": act,
                     "growth": {m: (_growth(act[m], prev[m]) if prev is not None else None) for m in SERIES_METRICS}})
    average: dict[str, float | None] = {}
    for m in SERIES_METRICS:
        first, last = (rows[0]["figures"][m], rows[-1]["figures"][m]) if rows else (0, 0)
        n = len(rows)
        average[m] = (round((last / first) ** (1 / (n - 1)) - 1, 4)
                      if n >= 2 and first > 0 and last >= 0 else None)
    totals = {m: sum(r["figures"][m] for r in rows) for m in SERIES_METRICS}
    return {"per": w.period.kind, "units": {"capital": "CNY minor", "foreign": "USD minor",
                                            "investment": "CNY minor"},
            "periods": rows, "totals": totals, "average_growth": average}


# --- bulletin (两月一通报) -------------------------------------------------------------------------


def bulletin(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
             thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en",
             problems: bool | int = False) -> dict:
    """Per unit and in total: projects by stage, signed, capital in place and investment completed
    by currency, key projects, projects over 100 million, red/yellow; and the previous period.
    ``problems``: also list the red and yellow projects (as the dispatch report does), from the same
    reading of the county: every one (True) or the worst N of each color (an integer)."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    pw = previous_window(w)
    with _read(engine) as conn:
        units = _units(conn, unit)
        snaps = snapshots(conn, w.as_of, t, unit=unit, reasons=False)
        flows_now, flows_before = _flows(conn, [w, pw], unit)
        now = _figures_by_unit(conn, w, unit, t, snaps, flows_now)
        before = _figures_by_unit(conn, pw, unit, t, flows=flows_before)
        spans = series(conn, w, unit)
        planned = progress(conn, w.as_of, unit, snaps, units, t)
        # 协议总投资: the planned investment (CNY) of the projects first signed inside the window
        agreed = sum(flow["signed_investment"] for flow in flows_now.values())
        limit = None if problems is True else int(problems)
        listed = _problems(conn, w.as_of, unit, t, lang, snaps, limit)[0] if problems else None
    rows = []
    for code, name in units:
        f, b = now.get(code) or _zero_figures(), before.get(code) or _zero_figures()
        rows.append({"unit": code, "unit_name": name, **figures_json(f), "previous": figures_json(b),
                     "change": figures_json(_change(f, b))})
    known = {code for code, _ in units}
    totals = _sum_figures(v for k, v in now.items() if k in known)
    previous = _sum_figures(v for k, v in before.items() if k in known)
    return {"report": "bulletin", **w.json(), "previous_period": pw.period.label,
            "previous_as_of": pw.as_of.isoformat(), "unit": unit, "thresholds": _thresholds_json(t),
            "totals": figures_json(totals), "previous": figures_json(previous),
            "change": figures_json(_change(totals, previous)), "units": rows, "progress": planned,
            "signed_investment": {"amount_minor": agreed, "currency": "CNY"},
            **({"projects": listed} if listed is not None else {}),
            **({"series": spans} if spans is not None else {})}


def _thresholds_json(t: Thresholds) -> dict:
    from dataclasses import asdict

    return asdict(t)


# --- warnings and dispatch (一季一调度) -------------------------------------------------------------


def _rank_key(s: Snapshot, as_of: date | None = None, t: Thresholds | None = None):
    """Worst first: red before yellow, then more red reasons, more reasons, key projects, by id.  A
    light counted by color alone has its rules' findings counted (no words needed to rank)."""
    if s.light.reasons or as_of is None or t is None:
        colors = [r.color for r in s.light.reasons]
    else:
        colors = [f[0] for f in findings(s, as_of, t)]
    reds = sum(1 for c in colors if c == RED)
    return (0 if s.light.color == RED else 1, -reds, -len(colors), not s.key, s.id)


def _lead_leaders(conn: Connection, ids: list[int], as_of: date) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        q = (select(ASG.c.project_id, ASG.c.person_login, PE.c.name, PE.c.title)
             .select_from(ASG.join(PE, PE.c.login == ASG.c.person_login))
             .where(ASG.c.project_id.in_(chunk), ASG.c.role == "lead_leader", ASG.c.assigned_on <= as_of,
                    or_(ASG.c.ended_on.is_(None), ASG.c.ended_on > as_of))
             .order_by(ASG.c.id))
        for pid, login, name, title in conn.execute(q):
            out[pid] = {"login": login, "name": name, "title": title}
    return out


def _unit_names(conn: Connection) -> dict[str | None, str]:
    """Unit code -> name; looked up with a project's unit, which may be None (no name then)."""
    return dict(conn.execute(select(U.c.code, U.c.name)).all())


def _problem_json(s: Snapshot, leader: dict | None, units: dict, lang: str) -> dict:
    return {"code": s.code, "name": s.name, "unit": s.unit, "unit_name": units.get(s.unit), "key": s.key,
            "stage": s.stage, "stage_since": s.stage_since.isoformat(), "light": s.light.color,
            "reasons": s.light.messages(lang),
            "reasons_detail": [{"code": r.code, "color": r.color, "en": r.en, "zh": r.zh}
                               for r in s.light.reasons],
            "lead_leader": leader}


def _problems(conn: Connection, as_of: date, unit: str | None, t: Thresholds, lang: str,
              every: list[Snapshot] | None = None, limit: int | None = None) -> tuple[list[dict], dict]:
    """The red and yellow projects, worst first (``limit``: only the worst ``limit`` of each color),
    and the counts of each color (all of them)."""
    if every is None:
        every = snapshots(conn, as_of, t, unit=unit)
    snaps = [s for s in every if s.light.color in (RED, YELLOW)]
    snaps.sort(key=lambda s: _rank_key(s, as_of, t))
    counts = {RED: sum(1 for s in snaps if s.light.color == RED),
              YELLOW: sum(1 for s in snaps if s.light.color == YELLOW)}
    if limit is not None:
        snaps = ([s for s in snaps if s.light.color == RED][:limit]
                 + [s for s in snaps if s.light.color == YELLOW][:limit])
    for s in snaps:  # a light counted by color alone is worded now, for the projects listed only
        if not s.light.reasons:
            s.light = compute_light(s, as_of, t)
    leaders = _lead_leaders(conn, [s.id for s in snaps], as_of)
    units = _unit_names(conn)
    items = [_problem_json(s, leaders.get(s.id), units, lang) for s in snaps]
    return items, counts


def _per_unit_counts(units: list[tuple[str | None, str | None]], items: list[dict]) -> list[dict]:
    rows: dict[str | None, dict[str, Any]] = {
        code: {"unit": code, "unit_name": name, "red": 0, "yellow": 0} for code, name in units}
    for it in items:
        row = rows.setdefault(it["unit"], {"unit": it["unit"], "unit_name": it["unit_name"], "red": 0,
                                           "yellow": 0})
        row[it["light"]] += 1
    return list(rows.values())


def warnings(engine: Engine, *, as_of: date | None = None, unit: str | None = None,
             thresholds: Thresholds | None = None, lang: str = "en") -> dict:
    """Every red and yellow project on `as_of` (default today), worst first, with its reasons, its
    unit and its lead leader.  Worst first: red before yellow, then more red reasons, then more
    reasons, then key projects, then the oldest project."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    as_of = as_of or clock.today()
    with _read(engine) as conn:
        units = _units(conn, unit)
        items, counts = _problems(conn, as_of, unit, t, lang)
    return {"as_of": as_of.isoformat(), "unit": unit, "red": counts[RED], "yellow": counts[YELLOW],
            "units": _per_unit_counts(units, items), "projects": items}


def dispatch(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
             thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en") -> dict:
    """Every red or yellow project on the window's as-of date with its reasons, leader and unit."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    with _read(engine) as conn:
        units = _units(conn, unit)
        snaps = snapshots(conn, w.as_of, t, unit=unit)
        items, counts = _problems(conn, w.as_of, unit, t, lang, snaps)
        planned = progress(conn, w.as_of, unit, snaps, units, t)
        supervised = _supervision(conn, w, unit, units)
    return {"report": "dispatch", **w.json(), "unit": unit, "thresholds": _thresholds_json(t),
            "totals": {"red": counts[RED], "yellow": counts[YELLOW]},
            "units": _per_unit_counts(units, items), "projects": items, "progress": planned,
            "supervision": supervised}

def _supervision(conn: Connection, w: Window, unit: str | None, units: list[tuple[str | None, str | None]]
                 ) -> dict:
    """The dispatch report's problems (督办): open ones on the as-of date by owner unit with their
    levels, most urgent first, and those closed out (销号) in the period."""
    from workflow import supervision
    from workflow.settings import ladder

    states = supervision.problem_states(conn, w.as_of, ladder(conn, w.as_of))
    if unit is not None:
        states = [p for p in states if p["owner_unit"] == unit]
    names = dict(units)
    by_unit: dict[str, list[dict]] = {}
    for p in sorted((p for p in states if p["status"] == "open"), key=supervision.urgency_key):
        by_unit.setdefault(p["owner_unit"], []).append(p)
    open_rows = [{"unit": u, "unit_name": names.get(u) or ps[0]["owner_unit_name"], "open": len(ps),
                  "overdue": sum(1 for p in ps if p["level"] >= 2),
                  "problems": [supervision.problem_json(p) for p in ps]}
                 for u, ps in sorted(by_unit.items())]
    closed = [p for p in states if p["status"] == "closed" and w.start <= p["closed_on"] <= w.as_of]
    closed.sort(key=lambda p: (p["owner_unit"], p["closed_on"], p["id"]))
    return {"open": sum(r["open"] for r in open_rows), "closed": len(closed), "units": open_rows,
            "closed_problems": [{**supervision.problem_json(p), "closed_on": p["closed_on"].isoformat()}
                                for p in closed]}


# --- review (半年一观摩) ----------------------------------------------------------------------------


def _money_by_project(conn: Connection, table, ids: list[int], as_of: date) -> dict[int, dict]:
    out: dict[int, dict] = defaultdict(dict)
    for i in range(0, len(ids), _CHUNK):
        q = (select(table.c.project_id, table.c.currency, func.sum(table.c.amount_minor))
             .where(table.c.project_id.in_(ids[i:i + _CHUNK]), table.c.effective_on <= as_of)
             .group_by(table.c.project_id, table.c.currency))
        for pid, cur, total in conn.execute(q):
            out[pid][cur] = int(total)
    return out


def review(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
           thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en") -> dict:
    """Projects that reached `construction` or `production` in the period (first time; a resume
    from hold is not reaching a stage), with their money to date and lead leader."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    reached = (select(E.c.project_id, E.c.to_stage, func.min(E.c.effective_on).label("on"))
               .where(E.c.kind == "transition", E.c.to_stage.in_(REVIEW_STAGES),
                      E.c.from_stage.not_in(paused_stages() or ["-"]), _uncorrected())
               .group_by(E.c.project_id, E.c.to_stage).subquery("reached"))
    q = (select(reached.c.project_id, reached.c.to_stage, reached.c.on)
         .select_from(reached.join(P, P.c.id == reached.c.project_id))
         .where(reached.c.on >= w.start, reached.c.on <= w.end))
    if unit is not None:
        q = q.where(P.c.unit_code == unit)
    with _read(engine) as conn:
        _units(conn, unit)
        dates: dict[int, dict] = defaultdict(dict)
        for pid, stage, on in conn.execute(q):
            dates[pid][stage] = _as_date(on)
        ids = sorted(dates)
        snaps = {s.id: s for s in snapshots(conn, w.as_of, t, ids=ids)}
        capital = _money_by_project(conn, CAP, ids, w.as_of)
        invest = _money_by_project(conn, INV, ids, w.as_of)
        leaders = _lead_leaders(conn, ids, w.as_of)
        names = _unit_names(conn)
        spans = series(conn, w, unit)
    items: list[dict[str, Any]] = []
    for pid in ids:
        s = snaps[pid]
        items.append({
            "code": s.code, "name": s.name, "unit": s.unit, "unit_name": names.get(s.unit), "key": s.key,
            "stage": s.stage, "construction_on": _iso(dates[pid].get("construction")),
            "production_on": _iso(dates[pid].get("production")),
            "planned_investment": {"amount_minor": s.planned_minor, "currency": "CNY"},
            "capital_in_place": money_list({**dict.fromkeys(CURRENCIES, 0), **capital.get(pid, {})}),
            "investment_completed": money_list({**dict.fromkeys(CURRENCIES, 0), **invest.get(pid, {})}),
            "light": s.light.color, "lead_leader": leaders.get(pid)})
    items.sort(key=lambda x: (x["unit"] or "", x["construction_on"] or x["production_on"] or "", x["code"]))
    totals = {"projects": len(items),
              "construction": sum(1 for x in items if x["construction_on"]),
              "production": sum(1 for x in items if x["production_on"]),
              "planned_investment": {"amount_minor": sum(x["planned_investment"]["amount_minor"] for x in items),
                                     "currency": "CNY"},
              "capital_in_place": _sum_lists(x["capital_in_place"] for x in items),
              "investment_completed": _sum_lists(x["investment_completed"] for x in items)}
    return {"report": "review", **w.json(), "unit": unit, "totals": totals, "projects": items,
            **({"series": spans} if spans is not None else {})}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _sum_lists(lists: Iterable[list[dict]]) -> list[dict]:
    total = dict.fromkeys(CURRENCIES, 0)
    for items in lists:
        for m in items:
            total[m["currency"]] = total.get(m["currency"], 0) + m["amount_minor"]
    return money_list(total)


# --- targets and evaluation (全年一考评) -------------------------------------------------------------


def _actuals(conn: Connection, w: Window, unit: str | None) -> dict[str | None, dict[str, int]]:
    out: dict[str | None, dict[str, int]] = {}
    for u, flow in _flows(conn, [w], unit)[0].items():
        out[u] = {"signed": flow["signed"], "capital": flow["capital"].get("CNY", 0),
                  "foreign": flow["capital"].get("USD", 0), "investment": flow["investment"].get("CNY", 0)}
    return out


def _metric_value(metric: str, value: int | None):
    if value is None:
        return None
    currency = METRIC_COLUMNS[metric][1]
    return int(value) if currency is None else {"amount_minor": int(value), "currency": currency}


def evaluation(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
               today: date | None = None, lang: str = "en") -> dict:
    """Per unit: each target of the period's year against the actual figure in the period, the
    completion rate (actual / target), a score and a rank.

    The score is the mean over the unit's targets of the rate capped at 120%, times 100 (so 100
    means every target met exactly, at most 120).  Units are ranked by score, highest first; equal
    scores share a rank (1, 1, 3).  A unit with no target for the year is listed unranked (rank and
    score null).  A target of 0 is no target.  For a period shorter than a year the rates measure
    progress against the full-year target.  Each open problem a unit owns at the ladder's
    ``deduct_min_level`` or more on the as-of date takes ``deduct_points`` off its score (督办扣分,
    shown as ``problem_deduction``).
    """
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    from workflow import supervision
    from workflow.settings import ladder

    w = make_window(period, as_of, today=today, lang=lang)
    with _read(engine) as conn:
        units = [(c, n) for c, n in _units(conn, unit) if c is not None]
        actual = _actuals(conn, w, unit)
        lad = ladder(conn, w.as_of)
        escalated: dict[str, int] = defaultdict(int)
        for p in supervision.open_problems(conn, w.as_of, lad):
            if p["level"] >= lad.deduct_min_level:
                escalated[p["owner_unit"]] += 1
        years = w.period.years if isinstance(w.period, Span) else (w.period.year,)
        q = select(TGT).where(TGT.c.year.in_(years))
        if unit is not None:
            q = q.where(TGT.c.unit_code == unit)
        targets: dict[str, dict[str, int]] = {}
        for r in conn.execute(q).mappings():  # a span's target is the sum of its years' targets
            sums = targets.setdefault(r["unit_code"], dict.fromkeys((c for c, _ in METRIC_COLUMNS.values()), 0))
            for col in sums:
                sums[col] += int(r[col] or 0)
        spans = series(conn, w, unit)
    rows: list[dict[str, Any]] = []
    for code, name in units:
        tgt = targets.get(code)
        act = actual.get(code, dict.fromkeys(METRICS, 0))
        items, capped = [], []
        for metric in METRICS:
            goal = tgt[METRIC_COLUMNS[metric][0]] if tgt is not None else None
            if not goal:
                continue
            rate = act.get(metric, 0) / goal
            capped.append(min(rate, RATE_CAP))
            items.append({"metric": metric, "target": _metric_value(metric, goal),
                          "actual": _metric_value(metric, act.get(metric, 0)), "rate": round(rate, 4)})
        score = round(sum(capped) / len(capped) * 100, 2) if capped else None
        deduction = escalated.get(code, 0) * lad.deduct_points
        if score is not None:
            score = round(score - deduction, 2)
        rows.append({"unit": code, "unit_name": name, "rank": None, "score": score, "targets": items,
                     "actual": {m: _metric_value(m, act.get(m, 0)) for m in METRICS},
                     "problems_escalated": escalated.get(code, 0), "problem_deduction": deduction})
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["unit"]))
    for i, r in enumerate(ranked):
        r["rank"] = ranked[i - 1]["rank"] if i and ranked[i - 1]["score"] == r["score"] else i + 1
    unranked = sorted((r for r in rows if r["score"] is None), key=lambda r: r["unit"])
    return {"report": "evaluation", **w.json(), "year": w.period.year, "years": list(years), "unit": unit,
            **({"series": spans} if spans is not None else {}),
            "scoring": {"rate": "actual / target",
                        "score": f"mean of rates capped at {RATE_CAP:.0%}, × 100, less the problem deduction",
                        "rate_cap": RATE_CAP,
                        "problem_deduction": {"min_level": lad.deduct_min_level, "points": lad.deduct_points}},
            "units": ranked + unranked}


# --- the board ----------------------------------------------------------------------------------


def board(engine: Engine, *, as_of: date | None = None, unit: str | None = None,
          thresholds: Thresholds | None = None, top: int = 3, lang: str = "en") -> dict:
    """The pipeline at a glance: per active stage its count, planned investment, capital in place,
    red/yellow counts and its `top` most urgent projects (worst first)."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    if top < 0:
        raise BadInput("top_must_be_or")
    t = _thresholds(thresholds)
    as_of = as_of or clock.today()
    with _read(engine) as conn:
        _units(conn, unit)
        snaps = [s for s in snapshots(conn, as_of, t, unit=unit) if s.stage_kind == "active"]
        q = (select(CAP.c.project_id, CAP.c.currency, func.sum(CAP.c.amount_minor))
             .where(CAP.c.effective_on <= as_of).group_by(CAP.c.project_id, CAP.c.currency))
        if unit is not None:
            q = q.where(CAP.c.project_id.in_(select(P.c.id).where(P.c.unit_code == unit)))
        capital: dict[int, dict] = defaultdict(dict)
        for pid, cur, total in conn.execute(q):
            capital[pid][cur] = int(total)
        urgent_ids: list[int] = []
        by_stage: dict[str, list[Snapshot]] = {k: [] for k in active_stages()}
        for s in snaps:
            by_stage.setdefault(s.stage, []).append(s)
        for items in by_stage.values():
            warned = sorted((s for s in items if s.light.color in (RED, YELLOW)), key=_rank_key)[:top]
            urgent_ids.extend(s.id for s in warned)
        leaders = _lead_leaders(conn, urgent_ids, as_of)
        from workflow import supervision

        problems = [p for p in supervision.open_problems(conn, as_of)
                    if unit is None or p["owner_unit"] == unit]
    stages = []
    defn = _definition()
    for key, items in by_stage.items():
        cap = dict.fromkeys(CURRENCIES, 0)
        for s in items:
            _add_money(cap, capital.get(s.id, {}))
        warned = sorted((s for s in items if s.light.color in (RED, YELLOW)), key=_rank_key)
        stages.append({
            "stage": key, "label": {"en": defn.stage_label(key, "en"), "zh": defn.stage_label(key, "zh")},
            "count": len(items),
            "planned_investment": {"amount_minor": sum(s.planned_minor for s in items), "currency": "CNY"},
            "capital_in_place": money_list(cap),
            "red": sum(1 for s in items if s.light.color == RED),
            "yellow": sum(1 for s in items if s.light.color == YELLOW),
            "green": sum(1 for s in items if s.light.color == GREEN),
            "urgent": [{"code": s.code, "name": s.name, "unit": s.unit, "key": s.key, "light": s.light.color,
                        "reasons": s.light.messages(lang), "lead_leader": leaders.get(s.id)}
                       for s in warned[:top]],
        })
    return {"as_of": as_of.isoformat(), "unit": unit, "active": len(snaps),
            "red": sum(st["red"] for st in stages), "yellow": sum(st["yellow"] for st in stages),
            "green": sum(st["green"] for st in stages), "stages": stages,
            "problems": [supervision.problem_json(p) for p in problems]}


__all__ = [
    "Snapshot", "Window", "board", "bulletin", "dispatch", "evaluation", "make_window", "previous_window",
    "review", "snapshots", "warnings",
]

