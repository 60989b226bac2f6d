"""The report kinds: bulletin, warnings and dispatch, review, evaluation and the board."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine

from workflow import clock, performance, rates, supervision
from workflow.errors import BadInput
from workflow.find import resolve_unit
from workflow.lights import GREEN, RED, STAGE_ORDER, YELLOW, Thresholds, compute_light, findings
from workflow.periods import Period, Span
from workflow.reports.compare import comparison, windows
from workflow.reports.figures import (
    _add_money,
    _change,
    _figures_by_unit,
    _read,
    _sum_figures,
    _thresholds,
    _units,
    _zero_figures,
    figures_json,
    money_list,
    uncorrected,
)
from workflow.reports.planned import progress, rank_in_order, series
from workflow.reports.shared import Reading, reading
from workflow.reports.state import Snapshot, _as_date, _facts_stmt, snapshots
from workflow.reports.windows import (
    _CHUNK,
    CURRENCIES,
    METRIC_COLUMNS,
    METRICS,
    RATE_CAP,
    REVIEW_STAGES,
    Window,
    _definition,
    active_stages,
    make_window,
    paused_stages,
    previous_window,
)
from workflow.settings import ladder, performance_settings
from workflow.tables import assignment as ASG
from workflow.tables import capital_arrival as CAP
from workflow.tables import event as E
from workflow.tables import investment_completed as INV
from workflow.tables import person as PE
from workflow.tables import project as P
from workflow.tables import unit as U
from workflow.targets import in_force as targets_in_force

# --- bulletin (两月一通报) -------------------------------------------------------------------------


def bulletin(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
             thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en",
             problems: bool | int = False, shared: Reading | None = None) -> dict:
    """Per unit and in total: projects by stage, signed, capital in place and investment completed
    by currency, key projects, projects over 100 million, red/yellow; and the previous period.
    ``problems``: also list the red and yellow projects (as the dispatch report does), from the same
    reading of the county: every one (True) or the worst N of each color (an integer).  ``shared``:
    the reading of a document's reports (``workflow.reports.shared``)."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    pw = previous_window(w)
    with reading(engine, shared) as rd:
        conn = rd.conn
        units = _units(conn, unit)
        snaps = rd.snapshots(w.as_of, t, unit, reasons=False)
        wins = windows(w)  # the year to date, 同比 and 环比 read with the period's own flows
        flows = rd.flows(list(wins.values()) if wins else [w, pw], unit)
        flows_now, flows_before = flows[0], flows[1]
        compared = comparison(conn, w, unit, units, flows) if wins else None
        year_rates = exchange_rates(conn, w.as_of.year)
        now = _figures_by_unit(conn, w, unit, t, snaps, flows_now)
        before = _figures_by_unit(conn, pw, unit, t, flows=flows_before)
        spans = rd.once(("series", w, unit), lambda: series(conn, w, unit))
        planned = rd.once(("progress", w.as_of, unit, t), lambda: progress(conn, w.as_of, unit, snaps, units, t))
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
            **({"comparison": compared} if compared is not None else {}),
            **({"exchange_rates": year_rates} if year_rates else {}),
            **({"projects": listed} if listed is not None else {}),
            **({"series": spans} if spans is not None else {})}


def exchange_rates(conn: Connection, year: int) -> dict[str, str]:
    """The exchange rates set for ``year`` (``workflow.rates``): ``{currency: yuan per unit}``, as text."""
    return {c: str(r) for c, r in rates.read(conn).get(year, {}).items()}


def _thresholds_json(t: Thresholds) -> dict:
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
             thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en",
             shared: Reading | None = None) -> dict:
    """Every red or yellow project on the window's as-of date with its reasons, leader and unit.
    ``shared``: the reading of a document's reports (``workflow.reports.shared``)."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    with reading(engine, shared) as rd:
        conn = rd.conn
        units = _units(conn, unit)
        snaps = rd.snapshots(w.as_of, t, unit)
        items, counts = _problems(conn, w.as_of, unit, t, lang, snaps)
        planned = rd.once(("progress", w.as_of, unit, t), lambda: progress(conn, w.as_of, unit, snaps, units, t))
        supervised = _supervision(conn, w, unit, units)
        wins = windows(w)
        compared = comparison(conn, w, unit, units, rd.flows(list(wins.values()), unit)) if wins else None
        year_rates = exchange_rates(conn, w.as_of.year)
    return {"report": "dispatch", **w.json(), "unit": unit, "thresholds": _thresholds_json(t),
            "totals": {"red": counts[RED], "yellow": counts[YELLOW]},
            "units": _per_unit_counts(units, items), "projects": items, "progress": planned,
            "supervision": supervised, **({"comparison": compared} if compared is not None else {}),
            **({"exchange_rates": year_rates} if year_rates else {})}

def _supervision(conn: Connection, w: Window, unit: str | None, units: list[tuple[str | None, str | None]]
                 ) -> dict:
    """The dispatch report's problems (督办): open ones on the as-of date by owner unit with their
    levels, most urgent first, and those closed out (销号) in the period."""
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
           thresholds: Thresholds | None = None, today: date | None = None, lang: str = "en",
           shared: Reading | None = None) -> dict:
    """Projects that reached `construction` or `production` in the period (first time; a resume
    from hold is not reaching a stage), with their money to date and lead leader.  ``shared``: the
    reading of a document's reports (``workflow.reports.shared``)."""
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    t = _thresholds(thresholds)
    w = make_window(period, as_of, today=today, lang=lang)
    reached = (select(E.c.project_id, E.c.to_stage, func.min(E.c.effective_on).label("on"))
               .where(E.c.kind == "transition", E.c.to_stage.in_(REVIEW_STAGES),
                      E.c.from_stage.not_in(paused_stages() or ["-"]), uncorrected())
               .group_by(E.c.project_id, E.c.to_stage).subquery("reached"))
    q = (select(reached.c.project_id, reached.c.to_stage, reached.c.on)
         .select_from(reached.join(P, P.c.id == reached.c.project_id))
         .where(reached.c.on >= w.start, reached.c.on <= w.end))
    if unit is not None:
        q = q.where(P.c.unit_code == unit)
    with reading(engine, shared) as rd:
        conn = rd.conn
        units = _units(conn, unit)
        wins = windows(w)
        compared = comparison(conn, w, unit, units, rd.flows(list(wins.values()), unit)) if wins else None
        year_rates = exchange_rates(conn, w.as_of.year)
        dates: dict[int, dict] = defaultdict(dict)
        for pid, stage, on in conn.execute(q):
            dates[pid][stage] = _as_date(on)
        ids = sorted(dates)
        snaps = {s.id: s for s in snapshots(conn, w.as_of, t, ids=ids)}
        capital = _money_by_project(conn, CAP, ids, w.as_of)
        invest = _money_by_project(conn, INV, ids, w.as_of)
        leaders = _lead_leaders(conn, ids, w.as_of)
        names = _unit_names(conn)
        spans = rd.once(("series", w, unit), lambda: series(conn, w, unit))
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
    return {"report": "review", **w.json(), "unit": unit, "totals": review_totals(items), "projects": items,
            **({"comparison": compared} if compared is not None else {}),
            **({"exchange_rates": year_rates} if year_rates else {}),
            **({"series": spans} if spans is not None else {})}


def review_totals(items: list[dict]) -> dict:
    """A review's totals over its projects ``items`` (also of a closed period's unit: ``workflow.closing``,
    whose stored amounts past 2**53 are strings of digits)."""
    return {"projects": len(items),
            "construction": sum(1 for x in items if x["construction_on"]),
            "production": sum(1 for x in items if x["production_on"]),
            "planned_investment": {"amount_minor": sum(int(x["planned_investment"]["amount_minor"]) for x in items),
                                   "currency": "CNY"},
            "capital_in_place": _sum_lists(x["capital_in_place"] for x in items),
            "investment_completed": _sum_lists(x["investment_completed"] for x in items)}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _sum_lists(lists: Iterable[list[dict]]) -> list[dict]:
    total = dict.fromkeys(CURRENCIES, 0)
    for items in lists:
        for m in items:
            total[m["currency"]] = total.get(m["currency"], 0) + int(m["amount_minor"])
    return money_list(total)


# --- targets and evaluation (全年一考评) -------------------------------------------------------------


def year_to_date(w: Window) -> Window:
    """What a target of the year is measured against: for a period shorter than a year, the year to
    date (1 January to the period's end, cut at the as-of date); a year or a span, itself."""
    if isinstance(w.period, Span) or w.period.kind == "year":
        return w
    year = w.period.year
    return Window(Period(f"{year}-YTD", "year", date(year, 1, 1), w.period.end), w.as_of)


def _actuals(rd: Reading, w: Window, unit: str | None) -> dict[str | None, dict[str, int]]:
    out: dict[str | None, dict[str, int]] = {}
    for u, flow in rd.flows([year_to_date(w)], unit)[0].items():
        out[u] = {"signed": flow["signed"], "capital": flow["capital"].get("CNY", 0),
                  "foreign": flow["capital"].get("USD", 0), "investment": flow["investment"].get("CNY", 0)}
    return out


def _metric_value(metric: str, value: int | None):
    if value is None:
        return None
    currency = METRIC_COLUMNS[metric][1]
    return int(value) if currency is None else {"amount_minor": int(value), "currency": currency}


def performance_year(w: Window, report_days: int) -> int:
    """The year whose 履约 check the evaluation of ``w`` scores: the year the period ends in once its
    actuals are due (``report_days`` after it ends) by the as-of date, else the year before (whose
    actuals were due by then)."""
    year = w.period.end.year
    return year if w.as_of > performance.deadline(year, report_days) else year - 1


def _performance_shortfalls(conn: Connection, year: int, as_of: date, unit: str | None) -> dict[str, int]:
    """Per unit, its projects in production on ``as_of`` whose 履约 check of ``year`` has a kind
    ``below`` or ``no_report``: the stage of every project on ``as_of`` in one query (the snapshots'
    own, ``_facts_stmt``, cut to the stage), then ``workflow.performance.check`` of those in production,
    a chunk at a time."""
    facts = _facts_stmt(as_of, unit)
    stage = facts.selected_columns.stage_at
    producing = list(conn.execute(facts.with_only_columns(P.c.id, P.c.unit_code)
                                  .where(P.c.unit_code.is_not(None),
                                         stage.in_([s for s in STAGE_ORDER if performance.producing(s)]))))
    out: dict[str, int] = defaultdict(int)
    for i in range(0, len(producing), _CHUNK):
        units = dict(producing[i:i + _CHUNK])
        for pid, items in performance.check(conn, year, as_of, units).items():
            if any(item[2] in ("below", "no_report") for item in items):
                out[units[pid]] += 1
    return out


def evaluation(engine: Engine, period: Period | Span | str, *, as_of: date | None = None, unit: str | None = None,
               today: date | None = None, lang: str = "en", shared: Reading | None = None) -> dict:
    """Per unit: each target of the period's year against the actual figure in the period, the
    completion rate (actual / target), a score and a rank.

    The score is the mean over the unit's targets of the rate capped at 120%, times 100 (so 100
    means every target met exactly, at most 120).  Units are ranked by score, highest first; equal
    scores share a rank (1, 1, 3).  A unit with no target for the year is listed unranked (rank and
    score null).  A target of 0 is no target.  For a period shorter than a year the actual figure
    is the year to date (1 January to the period's end) against the full-year target.  Each open
    problem a unit owns at the ladder's ``deduct_min_level`` or more on the as-of date takes
    ``deduct_points`` off its score (督办扣分, shown as ``problem_deduction``); so does each project in
    production whose 履约 check (``performance_year``) is short, the 履约 setting ``deduct_points``
    (履约扣分, ``performance_shortfalls`` and ``performance_deduction``; default 0: no deduction).
    ``shared``: the reading of a document's reports (``workflow.reports.shared``).
    With ``unit`` the report lists that unit only, with its rank among all the county's units:
    every unit is scored and ranked, then the list is cut (docs/lights-and-reports.md).
    """
    unit = resolve_unit(engine, unit)  # a code or a name (workflow/find.py)
    w = make_window(period, as_of, today=today, lang=lang)
    with reading(engine, shared) as rd:
        conn = rd.conn
        _units(conn, unit)  # an unknown unit is refused
        units = [(c, n) for c, n in _units(conn, None) if c is not None]
        actual = _actuals(rd, w, None)
        lad = ladder(conn, w.as_of)
        escalated: dict[str, int] = defaultdict(int)
        for p in supervision.open_problems(conn, w.as_of, lad):
            if p["level"] >= lad.deduct_min_level:
                escalated[p["owner_unit"]] += 1
        perf = performance_settings(conn, w.as_of)
        perf_year = performance_year(w, perf["report_days"])
        shortfalls = _performance_shortfalls(conn, perf_year, w.as_of, None)
        years = w.period.years if isinstance(w.period, Span) else (w.period.year,)
        targets: dict[str, dict[str, int]] = {}
        for r in targets_in_force(conn, years, w.as_of, None):  # a span's target: the sum of its years'
            sums = targets.setdefault(r["unit_code"], dict.fromkeys((c for c, _ in METRIC_COLUMNS.values()), 0))
            for col in sums:
                sums[col] += int(r[col] or 0)
        spans = rd.once(("series", w, unit), lambda: series(conn, w, unit))
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
        perf_deduction = shortfalls.get(code, 0) * perf["deduct_points"]
        if score is not None:
            score = round(score - deduction - perf_deduction, 2)
        rows.append({"unit": code, "unit_name": name, "rank": None, "score": score, "targets": items,
                     "actual": {m: _metric_value(m, act.get(m, 0)) for m in METRICS},
                     "problems_escalated": escalated.get(code, 0), "problem_deduction": deduction,
                     "performance_shortfalls": shortfalls.get(code, 0), "performance_deduction": perf_deduction})
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["unit"]))
    rank_in_order(ranked, lambda r: r["score"])  # among all the units, before the cut to ``unit``
    unranked = sorted((r for r in rows if r["score"] is None), key=lambda r: r["unit"])
    if unit is not None:
        ranked = [r for r in ranked if r["unit"] == unit]
        unranked = [r for r in unranked if r["unit"] == unit]
    measured = year_to_date(w)
    return {"report": "evaluation", **w.json(), "year": w.period.year, "years": list(years), "unit": unit,
            "actual_from": measured.start.isoformat(), "actual_to": measured.end.isoformat(),
            **({"series": spans} if spans is not None else {}),
            "scoring": {"rate": "actual / target",
                        "score": f"mean of rates capped at {RATE_CAP:.0%}, × 100, less the problem deduction"
                                 + (" and the 履约 deduction" if perf["deduct_points"] else ""),
                        "rate_cap": RATE_CAP,
                        "problem_deduction": {"min_level": lad.deduct_min_level, "points": lad.deduct_points},
                        "performance_deduction": {"points": perf["deduct_points"], "met_pct": perf["met_pct"],
                                                  "year": perf_year}},
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
