"""The review (半年一观摩) and the evaluation (全年一考评) against hand-written SQL for the same
figures, on the ``pipeline demo --projects N`` county, measured in the same run.

- ours: the engine functions ``pipeline report review|evaluation --period P --json`` call, in-process:
  ``workflow.reports.review(engine, P, thresholds=…)`` with the light thresholds in force on the
  window's as-of date (as the command reads them), and ``workflow.reports.evaluation(engine, P)``;
  P is the period the office rows use (``bench_office.period_for``: the latest half-year and year
  ended by today in this year, else the one in progress).
- baseline (review): hand-written SQLite SQL.  One statement finds the projects that first reached
  construction or production inside the window (a transition not from ``on_hold``, not undone by a
  correction: the next stage change is no correction) and gives, per project, its code, name, unit
  and unit name, key flag, planned investment, the stage on the as-of date (read back from history
  when it moved later), the dates it reached construction and production, its lead leader on the
  as-of date (the latest assignment in force) and its light: one CASE expression of every rule of
  docs/lights-and-reports.md for an active stage (the planned milestones passed or due, screening,
  signed without capital, follow-ups, the planned-progress rule in integer arithmetic with the
  year's newest plan and the year's CNY investment, a key project without a lead leader, an open
  problem at the ladder's red level, a promised follow-up missed), and for a project in production
  the 履约 rule (the newest commitment of each kind covering the last full year against the newest
  actual reported: below ``met_pct`` red, none by the deadline yellow, else no light); the other
  final and paused stages have none.  A second and third statement sum capital in place and
  investment completed to the as-of date per project and currency.  The comparison (同比/环比): one
  statement per kind of flow sums, per unit, the first signings and their planned investment,
  capital and investment per currency in each of the five windows (the period, the previous period,
  the year to date, and the same two a year earlier).  The exchange rates of the year from the
  ``setting`` rows (``rates.YEAR.CUR``, the latest entry).  Python sorts nothing the SQL did not
  (the list comes ordered by unit, first date and code), adds the totals up and derives the
  changes and growth rates (rounded to 4 places, as the report documents).
- baseline (evaluation): hand-written SQL for the units, each unit's actual figures of the year to
  date (first signings; capital in CNY and USD; investment in CNY), the targets in force on the
  as-of date (the set-up ledger's ``target_set`` entries, per unit and year the latest effective
  date, equal dates the later entry), the open problems per owner unit at the ladder's
  ``deduct_min_level`` or more on the as-of date (status and due date from the actions recorded by
  then, in their order), and per unit the projects in production on the as-of date whose 履约 check
  of the scored year is ``below`` or ``no_report``.  Python computes each rate (actual / target), the
  score (mean of the rates capped at 120%, × 100, rounded to 2 places, less the deductions) and the
  ranks (highest first, equal scores share a rank, units without a target unranked) by the rules
  of docs/lights-and-reports.md ("Score"), and writes the ``scoring`` block.

Settings are read as numbers, as the command reads them (the light thresholds, the escalation
ladder, the 履约 settings, through ``workflow.settings``); the performance kinds are the vocabulary's
(``workflow.words``).  No report code (``workflow.reports``, ``workflow.lights``) is used by the
baseline.  Every value of both JSON documents (ours as ``--json`` prints it, ``canonical_values``)
is compared, key by key, before anything is timed; no figure is left out.  The demo county has no
problems, year plans or 履约 commitments: ``check_county`` (the smoke test) adds them to a copy of
the tiny county to make those rules bite.

The rows have no ratio goal: the goal is the whole command's 3 s at 50,000 projects, measured by
the ``office`` rows; these rows show how far our figures are from hand-written SQL.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import demo_county, row
from bench.sqlparts import (
    CURRENCIES,
    LEADER_IN_FORCE,
    PROMISED_COLUMN,
    STAGE_AT,
    STAGE_COLUMNS,
    light_case,
    list_totals,
    money_list,
)

NAME = "sql_review"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
METRICS = ("signed", "capital", "foreign", "investment")
# metric -> (target column, currency; None: a count)
METRIC_COLUMNS = {"signed": ("signed", None), "capital": ("capital_minor", "CNY"),
                  "foreign": ("foreign_minor", "USD"), "investment": ("investment_minor", "CNY")}
RATE_CAP = 1.2
WINDOWS = ("period", "previous", "year_to_date", "same_period_last_year", "year_to_date_last_year")
CHANGES = {"month_on_month": ("period", "previous"), "year_on_year": ("period", "same_period_last_year"),
           "year_to_date_on_year": ("year_to_date", "year_to_date_last_year")}
COMPARE = ("signed", "agreed", "capital", "foreign", "investment")
# compared metric -> (the report's figure, currency; None: a count)
COMPARE_FIGURES = {"signed": ("signed", None), "agreed": ("signed_investment", "CNY"),
                   "capital": ("capital_in_place", "CNY"), "foreign": ("capital_in_place", "USD"),
                   "investment": ("investment_completed", "CNY")}

# --- SQL -----------------------------------------------------------------------------------------

# A stage change that counts: a transition not from a paused stage, not undone by a correction (the
# next stage change of the project is no correction).
COUNTS = """e.kind = 'transition' AND e.from_stage <> 'on_hold'
    AND COALESCE((SELECT n.kind FROM event n WHERE n.project_id = e.project_id AND n.seq > e.seq
                    AND n.to_stage IS NOT NULL ORDER BY n.seq LIMIT 1), '') <> 'correction'"""

# The stage of project p on :d: the project row unless it moved later, else the newest stage change
# dated by then.
# The 履约 check of year :pyear on :d, per project with a commitment covering the year (the newest of
# each kind, by record order) against the newest actual of the year and kind recorded by :d.
PERF_CTE = """committed AS (
  SELECT project_id AS pid, kind, per_year FROM (
    SELECT c.project_id, c.kind, c.per_year,
           row_number() OVER (PARTITION BY c.project_id, c.kind ORDER BY c.event_seq DESC) AS k
    FROM commitment c
    WHERE c.from_year <= :pyear AND (c.to_year IS NULL OR c.to_year >= :pyear) AND c.effective_on <= :d
      AND c.kind IN ({kinds})) WHERE k = 1
), actual AS (
  SELECT project_id AS pid, kind, value FROM (
    SELECT f.project_id, f.kind, f.value,
           row_number() OVER (PARTITION BY f.project_id, f.kind ORDER BY f.event_seq DESC) AS k
    FROM performance f WHERE f.year = :pyear AND f.effective_on <= :d) WHERE k = 1
), perf AS (
  SELECT c.pid, max(a.value IS NOT NULL AND a.value * 100 < c.per_year * :met_pct) AS below,
         max(a.value IS NULL AND :d > :deadline) AS no_report
  FROM committed c LEFT JOIN actual a ON a.pid = c.pid AND a.kind = c.kind GROUP BY c.pid
)"""

REVIEW_SQL = """
WITH reached AS (
  SELECT e.project_id AS pid, e.to_stage AS stage, min(e.effective_on) AS first_on
  FROM event e WHERE e.to_stage IN ('construction', 'production') AND {counts}
  GROUP BY e.project_id, e.to_stage
), picked AS MATERIALIZED (
  SELECT pid, max(CASE WHEN stage = 'construction' THEN first_on END) AS cons,
         max(CASE WHEN stage = 'production' THEN first_on END) AS prod
  FROM reached WHERE first_on BETWEEN :start AND :end GROUP BY pid
), plans AS (
  SELECT y.project_id AS pid, y.amount_minor AS plan FROM year_plan y
  JOIN (SELECT project_id, max(event_seq) AS seq FROM year_plan WHERE year = :year AND effective_on <= :d
         AND project_id IN (SELECT pid FROM picked) GROUP BY project_id) n
    ON n.project_id = y.project_id AND n.seq = y.event_seq
  WHERE y.amount_minor <> 0
), done AS (
  SELECT project_id AS pid, sum(amount_minor) AS done FROM investment_completed
  WHERE currency = 'CNY' AND effective_on BETWEEN :ystart AND :d AND project_id IN (SELECT pid FROM picked)
  GROUP BY project_id
), {perf_cte}, snap AS MATERIALIZED (
  SELECT p.id, p.code, p.name, p.unit_code AS unit, u.name AS unit_name, p.key AS key,
         p.planned_investment_minor AS planned, k.cons, k.prod,
         p.plan_sign, p.plan_fund, p.plan_break_ground, p.plan_commission, p.registered_on,
{stage_columns}         (SELECT a.person_login FROM assignment a JOIN person pe ON pe.login = a.person_login
           WHERE a.project_id = p.id AND a.role = 'lead_leader' AND a.assigned_on <= :d
             AND (a.ended_on IS NULL OR a.ended_on > :d) ORDER BY a.id DESC LIMIT 1) AS leader,
         {leader_in_force} AS has_leader,
         EXISTS (SELECT 1 FROM problem pb WHERE pb.project_id = p.id AND pb.opened_on <= :d
                   AND COALESCE((SELECT a.action FROM problem_action a WHERE a.problem_id = pb.id
                                   AND a.effective_on <= :d AND a.action IN ('close', 'reopen')
                                 ORDER BY a.event_seq DESC LIMIT 1), 'reopen') = 'reopen'
                   AND julianday(:d) - julianday(COALESCE((SELECT a.due_on FROM problem_action a
                                   WHERE a.problem_id = pb.id AND a.effective_on <= :d AND a.action = 'extend'
                                 ORDER BY a.event_seq DESC LIMIT 1), pb.due_on)) > :problem_late) AS escalated,
""" + PROMISED_COLUMN + """
         COALESCE(pl.plan, 0) AS plan, CASE WHEN pl.plan IS NULL THEN 0 ELSE COALESCE(dn.done, 0) END AS done,
         pf.below AS perf_below, pf.no_report AS perf_no_report
  FROM picked k JOIN project p ON p.id = k.pid LEFT JOIN unit u ON u.code = p.unit_code
       LEFT JOIN plans pl ON pl.pid = p.id LEFT JOIN done dn ON dn.pid = p.id LEFT JOIN perf pf ON pf.pid = p.id
  WHERE p.registered_on <= :d
), lit AS (
  SELECT *, julianday(:d) - julianday(since) AS in_stage,
         julianday(:d) - julianday(COALESCE(fu, registered_on)) AS quiet,
         CASE stage WHEN 'lead' THEN 0 WHEN 'screening' THEN 1 WHEN 'approved' THEN 2 WHEN 'signed' THEN 3
                    WHEN 'funding' THEN 4 WHEN 'construction' THEN 5 ELSE NULL END AS pos
  FROM snap
)
SELECT id, code, name, unit, unit_name, key, stage, cons, prod, planned, leader, CASE
    WHEN stage = 'production' THEN CASE WHEN perf_below THEN 'red' WHEN perf_no_report THEN 'yellow' END
""" + light_case("has_leader") + """ AS light
FROM lit ORDER BY COALESCE(unit, ''), COALESCE(cons, prod, ''), code
"""

# Money to the as-of date of the projects listed (their ids as one JSON array).
MONEY_SQL = """
SELECT m.project_id, m.currency, sum(m.amount_minor) FROM {table} m
WHERE m.project_id IN (SELECT value FROM json_each(:ids)) AND m.effective_on <= :d
GROUP BY m.project_id, m.currency
"""

PERSON_SQL = "SELECT login, name, title FROM person WHERE login IN (SELECT value FROM json_each(:logins))"

# The flows of several windows at once: per unit and window, first signings and their planned
# investment; capital and investment per currency.
SIGNED_SQL = """
SELECT p.unit_code, {counts_} FROM
  (SELECT e.project_id, min(e.effective_on) AS first_on FROM event e WHERE e.to_stage = 'signed' AND {counts}
    GROUP BY e.project_id) s
  JOIN project p ON p.id = s.project_id
WHERE s.first_on BETWEEN :low AND :high GROUP BY p.unit_code
"""
FLOW_SQL = """
SELECT p.unit_code, m.currency, {sums} FROM {table} m JOIN project p ON p.id = m.project_id
WHERE m.effective_on BETWEEN :low AND :high GROUP BY p.unit_code, m.currency
"""

UNITS_SQL = """
SELECT code, name FROM (
  SELECT code, name, 0 AS last FROM unit
  UNION ALL SELECT NULL, NULL, 1 WHERE EXISTS (SELECT 1 FROM project WHERE unit_code IS NULL))
ORDER BY last, code
"""

RATES_SQL = """
SELECT key, value FROM (
  SELECT key, value, row_number() OVER (PARTITION BY key ORDER BY effective_on DESC, entry DESC) AS k
  FROM setting WHERE entry > 0 AND key LIKE 'rates.' || :year || '.%' AND effective_on <= '9999-12-31')
WHERE k = 1 AND value IS NOT NULL ORDER BY key
"""

TARGETS_SQL = """
SELECT unit_code, signed, capital_minor, foreign_minor, investment_minor FROM (
  SELECT json_extract(payload, '$.key.unit_code') AS unit_code, json_extract(payload, '$.key.year') AS year,
         json_extract(payload, '$.row.signed') AS signed, json_extract(payload, '$.row.capital_minor') AS capital_minor,
         json_extract(payload, '$.row.foreign_minor') AS foreign_minor,
         json_extract(payload, '$.row.investment_minor') AS investment_minor,
         row_number() OVER (PARTITION BY json_extract(payload, '$.key.unit_code'),
                                         json_extract(payload, '$.key.year')
                            ORDER BY COALESCE(json_extract(payload, '$.effective_on'), '0001-01-01') DESC,
                                     seq DESC) AS k
  FROM ledger WHERE kind = 'target_set' AND json_extract(payload, '$.table') = 'target'
    AND COALESCE(json_extract(payload, '$.effective_on'), '0001-01-01') <= :d)
WHERE k = 1 AND year = :year
"""

ESCALATED_SQL = """
SELECT pb.owner_unit, count(*) FROM problem pb
WHERE pb.opened_on <= :d
  AND COALESCE((SELECT a.action FROM problem_action a WHERE a.problem_id = pb.id AND a.effective_on <= :d
                  AND a.action IN ('close', 'reopen') ORDER BY a.event_seq DESC LIMIT 1), 'reopen') = 'reopen'
  AND julianday(:d) - julianday(COALESCE((SELECT a.due_on FROM problem_action a WHERE a.problem_id = pb.id
                  AND a.effective_on <= :d AND a.action = 'extend' ORDER BY a.event_seq DESC LIMIT 1), pb.due_on))
      > :late
GROUP BY pb.owner_unit
"""

SHORTFALL_SQL = """
WITH {perf_cte}
SELECT p.unit_code, count(*) FROM perf pf JOIN project p ON p.id = pf.pid
WHERE p.unit_code IS NOT NULL AND p.registered_on <= :d AND {stage_at} = 'production'
  AND (pf.below OR pf.no_report)
GROUP BY p.unit_code
"""

# Behind time progress (elapsed = :pnum / :pden of the year), in exact integer arithmetic:
# by points, (elapsed - done / plan) * 100 > limit; by the relative rule, done / plan < limit % of elapsed.
BEHIND_POINTS = "(:pnum * 100 * plan - :pden * 100 * MAX(done, 0) > {limit} * :pden * plan)"
BEHIND_RATIO = "(100 * MAX(done, 0) * :pden < {limit} * plan * :pnum)"


# --- helpers ---------------------------------------------------------------------------------------


def _elapsed(as_of: date, t) -> Fraction:
    """Time progress (序时进度) of the as-of date: by month, or by day of the year."""
    if t.progress_by_day:
        return Fraction(as_of.timetuple().tm_yday, 366 if calendar.isleap(as_of.year) else 365)
    return Fraction(as_of.month, 12)


def _late_for(lad, level: int) -> int | float:
    """An open problem is at ``level`` or more when it is more than this many days overdue
    (docs/supervision.md: 1 within ``remind_days`` of its due date, 2 once overdue, 3, 4, 5 past
    ``unit_head_days``, ``county_leader_days``, ``top_leader_days``)."""
    return {5: lad.top_leader_days, 4: lad.county_leader_days, 3: lad.unit_head_days, 2: 0,
            1: -lad.remind_days - 1}.get(level, float("-inf"))


def _deadline(year: int, report_days: int) -> date:
    return date(year, 12, 31) + timedelta(days=report_days)


def _perf_cte() -> str:
    from workflow.words import PERFORMANCE_KINDS

    return PERF_CTE.format(kinds=", ".join(f"'{k}'" for k in PERFORMANCE_KINDS))


def _perf_params(perf: dict, year: int) -> dict:
    return {"pyear": year, "met_pct": perf["met_pct"], "deadline": _deadline(year, perf["report_days"]).isoformat()}


def _growth(now: int, before: int) -> float | None:
    return None if not before else round((now - before) / before, 4)


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


class Win:
    """A report period (label, start, end as it is printed) cut at the as-of date."""

    def __init__(self, label: str, start: date, period_end: date, as_of: date):
        self.label, self.start, self.period_end, self.as_of = label, start, period_end, as_of
        self.end = min(period_end, as_of)


def window(period: str, today: date) -> tuple[Win, Win]:
    """The period's window (as-of date: its end or today, whichever is earlier) and the previous
    period's, cut at the same as-of date (``workflow.periods`` parses the label)."""
    from workflow.periods import parse_span

    p = parse_span(period)
    as_of = min(p.end, today)
    prev = p.previous()
    return Win(p.label, p.start, p.end, as_of), Win(prev.label, prev.start, prev.end, min(prev.end, as_of))


def _windows(w: Win, prev: Win) -> dict[str, Win]:
    year = w.start.year
    ly_end = _year_earlier(w.end)
    return {"period": w, "previous": prev,
            "year_to_date": Win(f"{year}-YTD", date(year, 1, 1), w.end, w.end),
            "same_period_last_year": Win(f"{year - 1}{w.label[4:]}", _year_earlier(w.start),
                                         _year_earlier(w.period_end), ly_end),
            "year_to_date_last_year": Win(f"{year - 1}-YTD", date(year - 1, 1, 1), ly_end, ly_end)}


def _flows(conn, wins: list[Win]) -> list[dict]:
    """Per window: unit -> {"signed", "signed_investment", "capital": {cur: minor}, "investment": {…}}."""
    from sqlalchemy import text

    outs: list[dict] = [defaultdict(lambda: {"signed": 0, "signed_investment": 0, "capital": {}, "investment": {}})
                        for _ in wins]
    params: dict[str, Any] = {"low": min(w.start for w in wins).isoformat(),
                              "high": max(w.end for w in wins).isoformat()}
    for i, w in enumerate(wins):
        params[f"s{i}"], params[f"e{i}"] = w.start.isoformat(), w.end.isoformat()
    inside = [f"s.first_on BETWEEN :s{i} AND :e{i}" for i in range(len(wins))]
    counts_ = ", ".join([f"sum({c})" for c in inside]
                        + [f"sum(CASE WHEN {c} THEN p.planned_investment_minor ELSE 0 END)" for c in inside])
    n = len(wins)
    for r in conn.execute(text(SIGNED_SQL.format(counts=COUNTS, counts_=counts_)), params):
        for i, out in enumerate(outs):
            if r[1 + i]:
                out[r[0]]["signed"] = int(r[1 + i])
                out[r[0]]["signed_investment"] = int(r[1 + n + i] or 0)
    sums = ", ".join(f"sum(CASE WHEN m.effective_on BETWEEN :s{i} AND :e{i} THEN m.amount_minor END)"
                     for i in range(n))
    for label, table in (("capital", "capital_arrival"), ("investment", "investment_completed")):
        for r in conn.execute(text(FLOW_SQL.format(sums=sums, table=table)), params):
            for i, out in enumerate(outs):
                if r[2 + i] is not None:
                    out[r[0]][label][r[1]] = int(r[2 + i])
    return outs


def _figures(flows: dict, units: set) -> dict[str, int]:
    out = dict.fromkeys(COMPARE, 0)
    for u, f in flows.items():
        if u in units:
            out["signed"] += f["signed"]
            out["agreed"] += f["signed_investment"]
            out["capital"] += f["capital"].get("CNY", 0)
            out["foreign"] += f["capital"].get("USD", 0)
            out["investment"] += f["investment"].get("CNY", 0)
    return out


def _block(figs: dict[str, dict[str, int]]) -> dict:
    def figures(fig):
        out: dict[str, Any] = {"signed": fig["signed"]}
        for m in COMPARE[1:]:
            name, cur = COMPARE_FIGURES[m]
            out.setdefault(name, []).append({"amount_minor": fig[m], "currency": cur})
        return out

    def changes(a, b):
        out: dict[str, Any] = {"signed": {"change": figs[a]["signed"] - figs[b]["signed"],
                                          "rate": _growth(figs[a]["signed"], figs[b]["signed"])}}
        for m in COMPARE[1:]:
            name, cur = COMPARE_FIGURES[m]
            out.setdefault(name, []).append({"amount_minor": figs[a][m] - figs[b][m], "currency": cur,
                                             "rate": _growth(figs[a][m], figs[b][m])})
        return out

    return {**{n: figures(figs[n]) for n in WINDOWS}, "changes": {k: changes(a, b) for k, (a, b) in CHANGES.items()}}


def _comparison(conn, w: Win, prev: Win, units: list) -> dict:
    wins = _windows(w, prev)
    by_name = dict(zip(WINDOWS, _flows(conn, [wins[n] for n in WINDOWS]), strict=True))
    known = {code for code, _ in units}
    return {"year": w.start.year,
            "windows": {n: {"label": x.label, "start": x.start.isoformat(), "end": x.end.isoformat()}
                        for n, x in wins.items()},
            "totals": _block({n: _figures(by_name[n], known) for n in WINDOWS}),
            "units": [{"unit": code, "unit_name": name, **_block({n: _figures(by_name[n], {code}) for n in WINDOWS})}
                      for code, name in units]}


def _rates(conn, year: int) -> dict[str, str]:
    from decimal import Decimal

    from sqlalchemy import text

    return {key.rsplit(".", 1)[1]: str(Decimal(value)) for key, value in conn.execute(text(RATES_SQL), {"year": year})}


def _window_json(w: Win) -> dict:
    return {"period": w.label, "start": w.start.isoformat(), "end": w.period_end.isoformat(),
            "as_of": w.as_of.isoformat()}


# --- the review --------------------------------------------------------------------------------------


def review_baseline(engine, period: str, today: date, t, lad, perf: dict) -> dict:
    """The review of ``period`` as ``report review --json`` prints it, from hand-written SQL; ``t``,
    ``lad``, ``perf``: the light thresholds, the ladder and the 履约 settings in force on the as-of date."""
    import json

    from sqlalchemy import text

    w, prev = window(period, today)
    d = w.as_of
    elapsed = _elapsed(d, t)
    rule = BEHIND_RATIO if t.progress_ratio_rule else BEHIND_POINTS
    red, yellow = ((t.progress_red_ratio_pct, t.progress_yellow_ratio_pct) if t.progress_ratio_rule
                   else (t.progress_red_points, t.progress_yellow_points))
    sql = REVIEW_SQL.format(counts=COUNTS, stage_columns=STAGE_COLUMNS, leader_in_force=LEADER_IN_FORCE,
                            perf_cte=_perf_cte(),
                            behind_red=rule.format(limit=int(red)), behind_yellow=rule.format(limit=int(yellow)))
    params = {"d": d.isoformat(), "start": w.start.isoformat(), "end": w.end.isoformat(), "year": d.year,
              "ystart": date(d.year, 1, 1).isoformat(), "pnum": elapsed.numerator, "pden": elapsed.denominator,
              "screening_red": t.screening_red_days, "screening_yellow": t.screening_yellow_days,
              "signed_red": t.signed_no_capital_red_days, "followup_red": t.followup_red_days,
              "followup_yellow": t.followup_yellow_days, "due": t.milestone_due_days,
              "problem_late": _late_for(lad, lad.red_level), **_perf_params(perf, d.year - 1)}
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
        ids = json.dumps([r.id for r in rows])
        money: dict[str, dict[int, dict]] = {}
        for label, table in (("capital", "capital_arrival"), ("investment", "investment_completed")):
            money[label] = defaultdict(dict)
            for pid, cur, total in conn.execute(text(MONEY_SQL.format(table=table)), {"ids": ids, "d": d.isoformat()}):
                money[label][pid][cur] = int(total)
        people = {login: {"login": login, "name": name, "title": title} for login, name, title in conn.execute(
            text(PERSON_SQL), {"logins": json.dumps(sorted({r.leader for r in rows if r.leader}))})}
        units = [tuple(u) for u in conn.execute(text(UNITS_SQL))]
        compared = _comparison(conn, w, prev, units)
        year_rates = _rates(conn, d.year)
    items = []
    for r in rows:
        items.append({
            "code": r.code, "name": r.name, "unit": r.unit, "unit_name": r.unit_name, "key": bool(r.key),
            "stage": r.stage, "construction_on": r.cons, "production_on": r.prod,
            "planned_investment": {"amount_minor": int(r.planned), "currency": "CNY"},
            "capital_in_place": money_list({**dict.fromkeys(CURRENCIES, 0), **money["capital"].get(r.id, {})}),
            "investment_completed": money_list({**dict.fromkeys(CURRENCIES, 0),
                                                 **money["investment"].get(r.id, {})}),
            "light": r.light, "lead_leader": people.get(r.leader) if r.leader else None})

    totals = list_totals(items)
    return {"report": "review", **_window_json(w), "unit": None, "totals": totals, "projects": items,
            "comparison": compared, **({"exchange_rates": year_rates} if year_rates else {})}


# --- the evaluation ----------------------------------------------------------------------------------


def evaluation_baseline(engine, period: str, today: date, lad, perf: dict) -> dict:
    """The evaluation of the year ``period`` as ``report evaluation --json`` prints it, from
    hand-written SQL; ``lad``, ``perf``: the ladder and the 履约 settings in force on the as-of date."""
    from sqlalchemy import text

    w, _ = window(period, today)
    d = w.as_of
    year = w.start.year
    # the 履约 year scored: the period's end year once its actuals are due by the as-of date, else the one before
    perf_year = w.period_end.year if d > _deadline(w.period_end.year, perf["report_days"]) else w.period_end.year - 1
    with engine.connect() as conn:
        units = [(c, n) for c, n in conn.execute(text(UNITS_SQL)) if c is not None]
        ytd = Win(f"{year}-YTD", date(year, 1, 1), w.end, w.end)
        actual = {u: {"signed": f["signed"], "capital": f["capital"].get("CNY", 0),
                      "foreign": f["capital"].get("USD", 0), "investment": f["investment"].get("CNY", 0)}
                  for u, f in _flows(conn, [ytd])[0].items()}
        escalated = dict(conn.execute(text(ESCALATED_SQL), {"d": d.isoformat(),
                                                            "late": _late_for(lad, lad.deduct_min_level)}).all())
        shortfalls = dict(conn.execute(text(SHORTFALL_SQL.format(perf_cte=_perf_cte(), stage_at=STAGE_AT)),
                                       {"d": d.isoformat(), **_perf_params(perf, perf_year)}).all())
        targets = {u: dict(zip(("signed", "capital_minor", "foreign_minor", "investment_minor"),
                               (int(v or 0) for v in vals), strict=True))
                   for u, *vals in conn.execute(text(TARGETS_SQL), {"d": d.isoformat(), "year": year})}
    rows = []
    for code, name in units:
        tgt, act = targets.get(code), actual.get(code, dict.fromkeys(METRICS, 0))
        items, capped = [], []
        for metric in METRICS:
            col, cur = METRIC_COLUMNS[metric]
            goal = tgt[col] if tgt is not None else 0
            if not goal:
                continue
            rate = act[metric] / goal
            capped.append(min(rate, RATE_CAP))
            items.append({"metric": metric, "target": _metric(metric, goal), "actual": _metric(metric, act[metric]),
                          "rate": round(rate, 4)})
        score = round(sum(capped) / len(capped) * 100, 2) if capped else None
        deduction = escalated.get(code, 0) * lad.deduct_points
        perf_deduction = shortfalls.get(code, 0) * perf["deduct_points"]
        if score is not None:
            score = round(score - deduction - perf_deduction, 2)
        rows.append({"unit": code, "unit_name": name, "rank": None, "score": score, "targets": items,
                     "actual": {m: _metric(m, act[m]) for m in METRICS},
                     "problems_escalated": escalated.get(code, 0), "problem_deduction": deduction,
                     "performance_shortfalls": shortfalls.get(code, 0), "performance_deduction": perf_deduction})
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["unit"]))
    for i, r in enumerate(ranked):  # equal scores share a rank (1, 1, 3)
        r["rank"] = ranked[i - 1]["rank"] if i and ranked[i - 1]["score"] == r["score"] else i + 1
    unranked = sorted((r for r in rows if r["score"] is None), key=lambda r: r["unit"])
    return {"report": "evaluation", **_window_json(w), "year": year, "years": [year], "unit": None,
            "actual_from": ytd.start.isoformat(), "actual_to": ytd.end.isoformat(),
            "scoring": {"rate": "actual / target",
                        "score": f"mean of rates capped at {RATE_CAP:.0%}, × 100, less the problem deduction"
                                 + (" and the 履约 deduction" if perf["deduct_points"] else ""),
                        "rate_cap": RATE_CAP,
                        "problem_deduction": {"min_level": lad.deduct_min_level, "points": lad.deduct_points},
                        "performance_deduction": {"points": perf["deduct_points"], "met_pct": perf["met_pct"],
                                                  "year": perf_year}},
            "units": ranked + unranked}


def _metric(metric: str, value: int):
    cur = METRIC_COLUMNS[metric][1]
    return int(value) if cur is None else {"amount_minor": int(value), "currency": cur}


# --- equality ----------------------------------------------------------------------------------------


def _difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where ``a`` and ``b`` first differ (a path and both values), None when equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{path or '/'}: keys {sorted(set(a) ^ set(b))} in one only"
        for k in sorted(a):
            found = _difference(a[k], b[k], f"{path}/{k}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if a != b or isinstance(a, bool) != isinstance(b, bool):
        return f"{path}: {a!r} != {b!r}"
    return None


def check_equal(kind: str, doc: dict, ref: dict) -> int:
    """Refuse (AssertionError) when our report ``doc`` as ``--json`` prints it differs from the
    baseline's ``ref`` in any value; returns how many numbers were compared."""
    import json

    from workflow.encoding import canonical_values

    ours, theirs = canonical_values(doc), json.loads(json.dumps(ref, ensure_ascii=False))
    found = _difference(ours, theirs)
    if found:
        raise AssertionError(f"report {kind} differs from the hand-written SQL at {found}")
    return _count(ours)


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    return 1 if isinstance(value, int | float) and not isinstance(value, bool) else 0


def not_vacuous(kind: str, doc: dict) -> None:
    """Refuse a comparison that could not fail: the figures compared must not be all empty or zero."""
    if kind == "review":
        t = doc["totals"]
        lights = {p["light"] for p in doc["projects"]}
        ok = (t["projects"] and t["planned_investment"]["amount_minor"]
              and any(m["amount_minor"] for m in t["capital_in_place"]) and {"red", "yellow"} & lights
              and any(p["lead_leader"] for p in doc["projects"])
              and doc["comparison"]["totals"]["period"]["signed"])
    else:
        ranked = [u for u in doc["units"] if u["rank"] is not None]
        ok = len(ranked) > 1 and len({u["score"] for u in ranked}) > 1 and any(u["targets"] for u in ranked)
    if not ok:
        raise AssertionError(f"report {kind}: the figures compared are empty or zero; the check would prove nothing")


# --- the benchmark -------------------------------------------------------------------------------------


def _best(fn, repeat: int) -> tuple[float, object]:
    import time

    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def settings_on(engine, day: date) -> tuple[Any, Any, dict]:
    """The light thresholds, the ladder and the 履约 settings in force on ``day`` (as the command reads
    them: stored settings over the defaults, no override)."""
    from workflow import settings

    with engine.connect() as conn:
        return (settings.light_thresholds(conn, None, day), settings.ladder(conn, day),
                settings.performance_settings(conn, day))


def _pair(engine, kind: str, period: str, today: date):
    """(ours, baseline) as functions of nothing, for ``kind`` of ``period`` with the settings in
    force on the window's as-of date."""
    from workflow import reports

    t, lad, perf = settings_on(engine, window(period, today)[0].as_of)
    if kind == "review":
        return (lambda: reports.review(engine, period, thresholds=t, today=today),
                lambda: review_baseline(engine, period, today, t, lad, perf))
    return (lambda: reports.evaluation(engine, period, today=today),
            lambda: evaluation_baseline(engine, period, today, lad, perf))


def check_report(engine, kind: str, period: str, today: date) -> tuple[dict, dict]:
    """Ours and the baseline's ``kind`` of ``period``, checked equal; returns both."""
    ours, base = _pair(engine, kind, period, today)
    doc, ref = ours(), base()
    check_equal(kind, doc, ref)
    return doc, ref


def check_county(engine, today: date) -> dict[str, tuple[dict, dict]]:
    """Both reports of the office rows' periods, ours and the baseline's, checked equal on ``engine``'s
    county and checked not vacuous; returns them."""
    from bench.bench_office import period_for

    out = {}
    for kind in ("review", "evaluation"):
        out[kind] = doc, _ = check_report(engine, kind, period_for(kind, today), today)
        not_vacuous(kind, doc)
    return out


def run(size: str, workdir: Path) -> list[dict]:
    from bench.bench_office import period_for
    from workflow import clock
    from workflow.db import make_engine

    n = SIZES[size]
    db = demo_county(n)
    engine = make_engine(f"sqlite:///{db}", write=False)
    today = clock.today()
    repeat = 5 if size == "tiny" else 3
    rows = []
    try:
        check_county(engine, today)  # same figures first (and a warm cache for both)
        for kind in ("review", "evaluation"):
            period = period_for(kind, today)
            ours, base = _pair(engine, kind, period, today)
            t_base, ref = _best(base, repeat)
            t_ours, doc = _best(ours, repeat)
            check_equal(kind, doc, ref)  # type: ignore[arg-type]
            r = row(f"report {kind} --period {period} --json figures, {n:,} projects vs hand-written SQL",
                    t_ours * 1000, t_base * 1000, "ms", "≤ 3 s at 50,000 (the whole command, office rows)",
                    limit=float("inf"), equal=True)
            r["met"] = None
            rows.append(r)
    finally:
        engine.dispose()
    return rows
