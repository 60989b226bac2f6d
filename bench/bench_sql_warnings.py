"""The red and yellow lists (``pipeline warnings --json``) and the quarter's dispatch (一季一调度,
``pipeline report dispatch --period P --json``) over the demo county, against hand-written SQL for
the same figures, measured in the same run.

- ours: ``workflow.reports.warnings`` (today, with ``workflow.listing.refine`` as the command pages
  it, no search: every project) and ``workflow.reports.dispatch`` of the quarter P the office rows
  use (``bench.bench_office.period_for("dispatch", today)``), in-process, with the thresholds in
  force on the as-of date as the commands read them (``settings.light_thresholds``); best of a few
  runs, in turn with the baseline's.
- baseline: raw SQLite SQL through SQLAlchemy ``text()``; the settings (thresholds, the escalation
  ladder, the 履约 ``met_pct`` and ``report_days``) read from the database and passed in as
  numbers, the 履约 kinds' order (``workflow.words.PERFORMANCE_KINDS``) as a constant.  One
  statement per list: each project's state on the date read once (a MATERIALIZED CTE: the stage
  and its date from history, the last follow-up, a lead leader in force, the latest promise, the
  year's plan and the investment completed in the year), the problems (督办) as they stood that day
  (due date after extensions, open or closed by the last close/reopen, the ladder's level), the
  履约 check of the year before of every committed project (newest commitment and newest actual
  per kind); then one colour column per rule of docs/lights-and-reports.md (every planned
  milestone overdue or due, screening too long, signed without capital, no follow-up, planned
  progress behind in exact integer arithmetic, a key project without a lead leader, the count of
  problems at the ladder's red level, a promised follow-up missed; for a project in production its
  履约 kinds below the threshold or not reported by the deadline); the light, the number of red
  reasons and of all reasons, and the order worst first (red, more red reasons, more reasons, key,
  id) decided in SQL, with the unit's name and the lead leader (login, name, title: the newest
  assignment in force) of the listed projects.  Python only writes each project's reason codes in
  the lights' order (the red ones, then the yellow ones, each in rule order) from the SQL's
  colours.  For the dispatch, in the same statement (UNION ALL over the same CTE) the planned
  progress (序时进度) summed per unit and category (projects with a plan, plan, done, planned
  groundbreakings due, of them started, groundbreakings of the year; the category from the first
  reaching of construction and production, not by a resume nor undone by a correction); a
  statement for the problems (督办) open on the as-of date by owner unit, most urgent first, and
  those closed in the quarter; one for the first signings and one for capital and investment,
  each summed per unit for the five windows of the comparison (the quarter, the previous quarter,
  the year to date, the same quarter a year earlier and that year to date).  Python adds the groups
  up (per unit, per category, totals) and derives the rates (plan rate, points against time
  progress, start rate, growth rates) as the reports do.

Compared, before anything is timed (AssertionError on any difference), for both lists: every
listed project in order (worst first as ours ranks) with its code, name, colour, unit and unit
name, key, stage and stage date, its reason codes each with its colour, in order, and its lead
leader (login, name, title); the red and yellow counts, the per-unit counts (every unit, in order)
and, for ``warnings``, the as-of date and the total.  For the dispatch also: the period, its start,
end and as-of date; the totals; the planned progress (year, as-of, time progress, totals, per unit,
per category); the supervision (督办) section (open and closed counts, per owner unit its open and
overdue counts and every problem's id, project, kind, text, owner unit and person, due date,
status, level and days overdue, and the closed problems with their closing dates); the comparison
(year to date, 同比, 环比: every window's label and dates, and its figures and changes, in total and
per unit).  Left out of both sides (3 items): the worded reasons (``reasons`` and each reason's
``en`` and ``zh``: the formatting of the codes and their facts, not figures), the ``thresholds``
echoed (the input, not a figure) and ``exchange_rates`` (a setting echoed; the demo county sets
none).  The command's own additions are not in the engine function and so not here: a closed
period's frozen copy and the late entries (补录) of closed periods (``adjustments``), both absent
unless a period is closed.  A check refuses a vacuous comparison: red and yellow projects, lead
leaders, reasons of several codes, per-unit counts, groundbreakings and the comparison's figures
must be non-zero (the demo county has no 督办 problems, year plans nor 履约 commitments; the smoke
test checks those parts on a county that has them).

No ratio goal: the goal is the whole command's 3 s at 50,000 projects (the ``office`` rows); the
SQL floor shows how far the engine is from hand-written SQL.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from bench.common import demo_county, row
from bench.sqlparts import (
    FIRST_SIGNINGS,
    PLANS_DONE_CTES,
    PROGRESS_SUMS,
    PROMISED_COLUMN,
    REACHED_COLS,
    REACHED_CTE,
    STATE_COLUMNS,
    progress_row,
)

NAME = "sql_warnings"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}

ACTIVE = ("lead", "screening", "approved", "signed", "funding", "construction")
LOST = ("rejected", "withdrawn", "retired")
MILESTONES = (("sign", "plan_sign", 3), ("fund", "plan_fund", 4), ("break_ground", "plan_break_ground", 5),
              ("commission", "plan_commission", 6))
CATEGORIES = ("new", "continuing", "completed", "preparatory")

# --- the baseline: hand-written SQL ------------------------------------------------------------------

# Every problem opened by the date as it stood that day: the due date (the last extension's), open or
# closed (the last close or reopen), the ladder's level (docs/supervision.md).
PROBLEMS_CTE = """
probs0 AS (
  SELECT pb.id, pb.project_id AS pid, pb.kind, pb.text, pb.owner_unit, pb.owner_person,
         COALESCE((SELECT a.due_on FROM problem_action a WHERE a.problem_id = pb.id AND a.effective_on <= :d
                     AND a.action = 'extend' ORDER BY a.event_seq DESC, a.id DESC LIMIT 1), pb.due_on) AS due,
         (SELECT a.action FROM problem_action a WHERE a.problem_id = pb.id AND a.effective_on <= :d
            AND a.action IN ('close', 'reopen') ORDER BY a.event_seq DESC, a.id DESC LIMIT 1) AS last_act,
         (SELECT a.effective_on FROM problem_action a WHERE a.problem_id = pb.id AND a.effective_on <= :d
            AND a.action IN ('close', 'reopen') ORDER BY a.event_seq DESC, a.id DESC LIMIT 1) AS last_on
  FROM problem pb WHERE pb.opened_on <= :d
), probs AS (
  SELECT *, COALESCE(last_act, 'reopen') = 'reopen' AS open,
         CASE WHEN last_act = 'close' THEN last_on END AS closed_on,
         CAST(julianday(:d) - julianday(due) AS INTEGER) AS late
  FROM probs0
), leveled AS (
  SELECT *, CASE WHEN NOT open THEN NULL WHEN late > :top_days THEN 5 WHEN late > :county_days THEN 4
                 WHEN late > :head_days THEN 3 WHEN late > 0 THEN 2 WHEN -late <= :remind_days THEN 1 ELSE 0 END
                 AS level
  FROM probs
)"""

# The 履约 check of the year before the date (docs/lights-and-reports.md, "履约"): per committed
# project and kind, the newest commitment covering the year and the newest actual of the year,
# recorded by the date; the status of each kind in a column.
PERF_CTE = """
commits AS (
  SELECT c.project_id AS pid, c.kind, c.per_year FROM commitment c
  WHERE c.from_year <= :perf_year AND (c.to_year IS NULL OR c.to_year >= :perf_year) AND c.effective_on <= :d
    AND c.kind IN ({kinds})
    AND NOT EXISTS (SELECT 1 FROM commitment c2 WHERE c2.project_id = c.project_id AND c2.kind = c.kind
                      AND c2.from_year <= :perf_year AND (c2.to_year IS NULL OR c2.to_year >= :perf_year)
                      AND c2.effective_on <= :d
                      AND (c2.event_seq > c.event_seq OR (c2.event_seq = c.event_seq AND c2.id > c.id)))
), actuals AS (
  SELECT f.project_id AS pid, f.kind, f.value FROM performance f
  WHERE f.year = :perf_year AND f.effective_on <= :d
    AND NOT EXISTS (SELECT 1 FROM performance f2 WHERE f2.project_id = f.project_id AND f2.kind = f.kind
                      AND f2.year = :perf_year AND f2.effective_on <= :d
                      AND (f2.event_seq > f.event_seq OR (f2.event_seq = f.event_seq AND f2.id > f.id)))
), perf_kinds AS (
  SELECT c.pid, c.kind,
         CASE WHEN a.value IS NOT NULL THEN CASE WHEN a.value * 100 >= c.per_year * :met_pct THEN 'met' ELSE 'below' END
              WHEN :d > :perf_deadline THEN 'no_report' ELSE 'due' END AS status
  FROM commits c LEFT JOIN actuals a ON a.pid = c.pid AND a.kind = c.kind
), perf AS (
  SELECT pid, sum(status = 'below') AS reds, sum(status = 'no_report') AS yellows, {kind_columns}
  FROM perf_kinds GROUP BY pid
)"""

LIGHTS_SQL = """
WITH """ + PLANS_DONE_CTES + """
, {problems_cte}, esc AS (
  SELECT pid, count(*) AS n FROM leveled WHERE open AND level >= :red_level GROUP BY pid
), {perf_cte}, {reached_cte}
snap AS MATERIALIZED (
  SELECT p.id, p.code, p.name, p.unit_code AS unit, COALESCE(p.key, 0) AS key,
         p.plan_sign, p.plan_fund, p.plan_break_ground, p.plan_commission, p.registered_on,
""" + STATE_COLUMNS + """
""" + PROMISED_COLUMN + """
         COALESCE(pl.plan, 0) AS plan, CASE WHEN pl.plan IS NULL THEN 0 ELSE COALESCE(dn.done, 0) END AS done,
         COALESCE(es.n, 0) AS n_esc, pf.reds AS perf_reds, pf.yellows AS perf_yellows, {perf_columns},
         {reached_cols}
  FROM project p LEFT JOIN plans pl ON pl.pid = p.id LEFT JOIN done dn ON dn.pid = p.id
       LEFT JOIN esc es ON es.pid = p.id LEFT JOIN perf pf ON pf.pid = p.id {reached_join}
  WHERE p.registered_on <= :d
), lit AS (
  SELECT *, julianday(:d) - julianday(since) AS in_stage,
         julianday(:d) - julianday(COALESCE(fu, registered_on)) AS quiet,
         CASE stage {positions} ELSE NULL END AS pos
  FROM snap
), colored AS MATERIALIZED (
  SELECT *,
    {milestone_columns},
    CASE WHEN pos IS NULL OR stage <> 'screening' THEN NULL WHEN in_stage > :screening_red THEN 'red'
         WHEN in_stage > :screening_yellow THEN 'yellow' END AS c_screening,
    CASE WHEN pos IS NULL OR stage <> 'signed' THEN NULL WHEN in_stage > :signed_red THEN 'red' END AS c_signed,
    CASE WHEN pos IS NULL THEN NULL WHEN quiet > :followup_red THEN 'red'
         WHEN quiet > :followup_yellow THEN 'yellow' END AS c_followup,
    CASE WHEN pos IS NULL OR plan <= 0 THEN NULL WHEN {behind_red} THEN 'red'
         WHEN {behind_yellow} THEN 'yellow' END AS c_progress,
    CASE WHEN pos IS NOT NULL AND key AND NOT leader THEN 'red' END AS c_leader,
    CASE WHEN pos IS NOT NULL THEN n_esc ELSE 0 END AS c_escalated,
    CASE WHEN pos IS NOT NULL AND promised < :d THEN 'yellow' END AS c_promise
  FROM lit
), ranked AS (
  SELECT *,
    CASE WHEN pos IS NOT NULL THEN {reds} + c_escalated
         WHEN stage = 'production' THEN COALESCE(perf_reds, 0) ELSE 0 END AS reds,
    CASE WHEN pos IS NOT NULL THEN {reasons} + c_escalated
         WHEN stage = 'production' THEN COALESCE(perf_reds, 0) + COALESCE(perf_yellows, 0) ELSE 0 END AS n
  FROM colored
), listed AS (
  SELECT r.*, CASE WHEN reds > 0 THEN 'red' ELSE 'yellow' END AS light,
         (SELECT a.person_login FROM assignment a WHERE a.project_id = r.id AND a.role = 'lead_leader'
            AND a.assigned_on <= :d AND (a.ended_on IS NULL OR a.ended_on > :d) ORDER BY a.id DESC LIMIT 1) AS lead
  FROM ranked r WHERE n > 0
)
SELECT 0 AS part, l.reds > 0 AS o_red, l.reds AS o_reds, l.n AS o_n, l.key AS o_key, l.id AS o_id,
       l.code, l.name, l.unit, u.name AS unit_name, l.key, l.stage, l.since, l.light, l.lead, pe.name, pe.title,
       {listed_reasons}
FROM listed l LEFT JOIN unit u ON u.code = l.unit LEFT JOIN person pe ON pe.login = l.lead
{progress_branch}
ORDER BY part, o_red DESC, o_reds DESC, o_n DESC, o_key DESC, o_id
"""

PROGRESS_BRANCH = """UNION ALL
SELECT 1, 0, 0, 0, 0, 0, unit, category, sum(plan <> 0), sum(plan), sum(done), sum(planned_start),
       sum(planned_start AND started), sum(started_in_year), {pad}
FROM (SELECT unit, plan, done, planned_start, started, started_in_year,
             CASE WHEN prod >= :ystart THEN 'completed' WHEN cons IS NULL AND prod IS NULL THEN 'preparatory'
                  WHEN COALESCE(cons, prod) >= :ystart THEN 'new' ELSE 'continuing' END AS category
      FROM snap WHERE stage NOT IN ({lost}) AND (plan <> 0 OR planned_start OR started_in_year))
GROUP BY unit, category"""

# Behind time progress (elapsed = :pnum / :pden of the year), in exact integer arithmetic:
# by points, (elapsed - done / plan) * 100 > limit; by the relative rule, done / plan < limit % of elapsed.
BEHIND_POINTS = "(:pnum * 100 * plan - :pden * 100 * MAX(done, 0) > {limit} * :pden * plan)"
BEHIND_RATIO = "(100 * MAX(done, 0) * :pden < {limit} * plan * :pnum)"

SUPERVISION_SQL = """
WITH {problems_cte}
SELECT l.id, p.code, l.kind, l.text, l.owner_unit, u.name, l.owner_person, l.due, l.open, l.level, l.late,
       l.closed_on
FROM leveled l JOIN project p ON p.id = l.pid LEFT JOIN unit u ON u.code = l.owner_unit
WHERE l.open OR l.closed_on BETWEEN :start AND :d
ORDER BY l.open DESC, l.owner_unit, CASE WHEN l.open THEN -l.level END, CASE WHEN l.open THEN l.due END,
         l.closed_on, l.id
"""

# The flows of each window (:s0/:e0 … :s4/:e4): first signings (not from hold, not corrected) with
# their planned investment, and capital and investment by currency, per unit.
SIGNED_SQL = """
SELECT p.unit_code, {counts}, {sums} FROM
  """ + FIRST_SIGNINGS + """
 s
  JOIN project p ON p.id = s.project_id
WHERE s.first_on BETWEEN :low AND :high GROUP BY p.unit_code
"""
MONEY_SQL = """
SELECT p.unit_code, m.currency, {sums} FROM {table} m JOIN project p ON p.id = m.project_id
WHERE m.effective_on BETWEEN :low AND :high GROUP BY p.unit_code, m.currency
"""


def _lights_sql(t, kinds: tuple[str, ...], progress: bool) -> str:
    rule = BEHIND_RATIO if t.progress_ratio_rule else BEHIND_POINTS
    red, yellow = ((t.progress_red_ratio_pct, t.progress_yellow_ratio_pct) if t.progress_ratio_rule
                   else (t.progress_red_points, t.progress_yellow_points))
    names = [m for m, _, _ in MILESTONES]
    colors = [f"c_{m}" for m in names] + ["c_screening", "c_signed", "c_followup", "c_progress", "c_leader",
                                         "c_promise"]
    milestone_columns = ",\n    ".join(
        f"CASE WHEN pos IS NULL OR {col} IS NULL OR pos >= {needs} THEN NULL WHEN {col} < :d THEN 'red' "
        f"WHEN julianday({col}) - julianday(:d) <= :due THEN 'yellow' END AS c_{m}" for m, col, needs in MILESTONES)
    listed_reasons = ", ".join([*(f"l.{c}" for c in colors), "l.c_escalated",
                                *(f"CASE WHEN l.stage = 'production' THEN l.pk_{k} END" for k in kinds)])
    n_listed = 17 + len(colors) + 1 + len(kinds)
    kind_columns = ", ".join(f"max(CASE WHEN kind = '{k}' THEN status END) AS pk_{k}" for k in kinds)
    return LIGHTS_SQL.format(
        problems_cte=PROBLEMS_CTE, perf_cte=PERF_CTE.format(kinds=", ".join(f"'{k}'" for k in kinds),
                                                            kind_columns=kind_columns),
        perf_columns=", ".join(f"pf.pk_{k}" for k in kinds),
        reached_cte=REACHED_CTE if progress else "",
        reached_cols=REACHED_COLS if progress else "0 AS planned_start",
        reached_join="LEFT JOIN reached r ON r.pid = p.id" if progress else "",
        positions=" ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(ACTIVE)),
        milestone_columns=milestone_columns,
        behind_red=rule.format(limit=int(red)), behind_yellow=rule.format(limit=int(yellow)),
        reds=" + ".join(f"({c} IS 'red')" for c in colors),
        reasons=" + ".join(f"({c} IS NOT NULL)" for c in colors),
        listed_reasons=listed_reasons,
        progress_branch=PROGRESS_BRANCH.format(pad=", ".join(["NULL"] * (n_listed - 14)),
                                               lost=", ".join(f"'{s}'" for s in LOST)) if progress else "")


def _elapsed(as_of: date, t) -> Fraction:
    """Time progress (序时进度) of the as-of date: by month, or by day of the year."""
    if t.progress_by_day:
        year_days = (date(as_of.year + 1, 1, 1) - date(as_of.year, 1, 1)).days
        return Fraction(as_of.timetuple().tm_yday, year_days)
    return Fraction(as_of.month, 12)


def _ladder_params(lad) -> dict:
    return {"top_days": lad.top_leader_days, "county_days": lad.county_leader_days,
            "head_days": lad.unit_head_days, "remind_days": lad.remind_days, "red_level": lad.red_level}


def _params(as_of: date, t, lad, perf: dict) -> dict:
    elapsed = _elapsed(as_of, t)
    return {"d": as_of.isoformat(), "year": as_of.year, "ystart": date(as_of.year, 1, 1).isoformat(),
            "pnum": elapsed.numerator, "pden": elapsed.denominator,
            "screening_red": t.screening_red_days, "screening_yellow": t.screening_yellow_days,
            "signed_red": t.signed_no_capital_red_days, "followup_red": t.followup_red_days,
            "followup_yellow": t.followup_yellow_days, "due": t.milestone_due_days,
            "perf_year": as_of.year - 1, "met_pct": perf["met_pct"],
            "perf_deadline": (date(as_of.year - 1, 12, 31) + timedelta(days=perf["report_days"])).isoformat(),
            **_ladder_params(lad)}


def _reason_codes(rest: tuple, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """A listed project's reason codes with their colours in the lights' order (red ones first, then
    yellow, each in rule order), from the SQL's colour per rule."""
    (c_sign, c_fund, c_bg, c_comm, c_screening, c_signed, c_followup, c_progress, c_leader, c_promise,
     escalated, *perf) = rest
    found: list[tuple[str, str]] = []
    for (m, _, _), c in zip(MILESTONES, (c_sign, c_fund, c_bg, c_comm), strict=True):
        if c is not None:
            found.append((f"{m}_overdue" if c == "red" else f"{m}_due", c))
    for code, c in (("screening_too_long", c_screening), ("signed_no_capital", c_signed),
                    ("no_followup", c_followup), ("progress_behind", c_progress), ("no_lead_leader", c_leader)):
        if c is not None:
            found.append((code, c))
    found += [("problem_escalated", "red")] * int(escalated or 0)
    if c_promise is not None:
        found.append(("promise_missed", c_promise))
    for _, status in zip(kinds, perf, strict=True):
        if status == "below":
            found.append(("performance_below", "red"))
        elif status == "no_report":
            found.append(("performance_no_report", "yellow"))
    return [f for f in found if f[1] == "red"] + [f for f in found if f[1] != "red"]


def _units(conn) -> list[tuple]:
    from sqlalchemy import text

    units = [tuple(r) for r in conn.execute(text("SELECT code, name FROM unit ORDER BY code"))]
    if conn.execute(text("SELECT 1 FROM project WHERE unit_code IS NULL LIMIT 1")).first():
        units.append((None, None))
    return units


def _per_unit(units: list[tuple], items: list[dict]) -> list[dict]:
    rows = {code: {"unit": code, "unit_name": name, "red": 0, "yellow": 0} for code, name in units}
    for it in items:
        rows.setdefault(it["unit"], {"unit": it["unit"], "unit_name": it["unit_name"], "red": 0, "yellow": 0})
        rows[it["unit"]][it["light"]] += 1
    return list(rows.values())


def lights(conn, as_of: date, t, lad, perf: dict, kinds: tuple[str, ...], *, progress: bool = False
           ) -> tuple[list[dict], dict]:
    """The red and yellow projects worst first, and (``progress``) the (unit, category) sums of the
    planned progress, from one statement."""
    from sqlalchemy import text

    items: list[dict] = []
    groups: dict = defaultdict(lambda: dict.fromkeys(PROGRESS_SUMS, 0))
    for r in conn.execute(text(_lights_sql(t, kinds, progress)), _params(as_of, t, lad, perf)):
        if r[0] == 1:
            g = groups[r[6], r[7]]
            for k, v in zip(PROGRESS_SUMS, r[8:14], strict=True):
                g[k] += int(v or 0)
            continue
        code, name, unit, unit_name, key, stage, since, light, lead, lead_name, lead_title = r[6:17]
        items.append({"code": code, "name": name, "unit": unit, "unit_name": unit_name, "key": bool(key),
                      "stage": stage, "stage_since": str(since)[:10], "light": light,
                      "reasons": _reason_codes(tuple(r[17:]), kinds),
                      "lead_leader": None if lead is None else {"login": lead, "name": lead_name,
                                                                "title": lead_title}})
    return items, groups


def _progress(groups: dict, units: list[tuple], as_of: date, t) -> dict:
    elapsed = _elapsed(as_of, t)
    return {"year": as_of.year, "as_of": as_of.isoformat(), "time_progress": round(float(elapsed * 100), 2),
            "time_by": "day" if t.progress_by_day else "month",
            "totals": progress_row(groups.values(), elapsed),
            "units": [{"unit": code, "unit_name": name,
                       **progress_row((g for (u, _), g in groups.items() if u == code), elapsed),
                       "categories": [{"category": c, **progress_row((g for (u, gc), g in groups.items()
                                                                      if u == code and gc == c), elapsed)}
                                      for c in CATEGORIES]}
                      for code, name in units],
            "categories": [{"category": c, **progress_row((g for (_, gc), g in groups.items() if gc == c), elapsed)}
                           for c in CATEGORIES]}


def _supervision(conn, start: date, as_of: date, lad, units: list[tuple]) -> dict:
    from sqlalchemy import text

    params = {"d": as_of.isoformat(), "start": start.isoformat(), **_ladder_params(lad)}
    names = dict(units)
    by_unit: dict[str, list[dict]] = {}
    closed = []
    for pid, project, kind, text_, owner, owner_name, person, due, is_open, level, late, closed_on in conn.execute(
            text(SUPERVISION_SQL.format(problems_cte=PROBLEMS_CTE)), params):
        doc = {"id": pid, "project": project, "kind": kind, "text": text_, "owner_unit": owner,
               "owner_person": person, "due": str(due)[:10], "status": "open" if is_open else "closed",
               "level": level, "overdue_days": max(0, late) if is_open else None}
        if is_open:
            by_unit.setdefault(owner, []).append({**doc, "_name": owner_name})
        else:
            closed.append({**doc, "closed_on": str(closed_on)[:10]})
    rows = [{"unit": u, "unit_name": names.get(u) or ps[0]["_name"], "open": len(ps),
             "overdue": sum(1 for p in ps if p["level"] >= 2),
             "problems": [{k: v for k, v in p.items() if k != "_name"} for p in ps]}
            for u, ps in by_unit.items()]
    return {"open": sum(r["open"] for r in rows), "closed": len(closed), "units": rows, "closed_problems": closed}


# --- the comparison (year to date, 同比, 环比) -----------------------------------------------------------

WINDOW_NAMES = ("period", "previous", "year_to_date", "same_period_last_year", "year_to_date_last_year")
CHANGES = {"month_on_month": ("period", "previous"), "year_on_year": ("period", "same_period_last_year"),
           "year_to_date_on_year": ("year_to_date", "year_to_date_last_year")}
METRICS = ("signed", "agreed", "capital", "foreign", "investment")


def _year_earlier(d: date) -> date:
    return d.replace(year=d.year - 1) if (d.month, d.day) != (2, 29) else d.replace(year=d.year - 1, day=28)


def quarter(label: str, today: date) -> tuple[date, date, date]:
    """(start, end, as-of) of a quarter ``YYYY-Qn``; the as-of date is its end or today, the earlier."""
    m = re.fullmatch(r"(\d{4})-Q([1-4])", label)
    if m is None:
        raise ValueError(f"not a quarter: {label!r}")
    year, q = int(m[1]), int(m[2])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end, min(end, today)


def windows(label: str, start: date, as_of: date) -> dict[str, tuple[str, date, date]]:
    """The comparison's windows of a quarter cut at ``as_of``: (label, start, end) by name."""
    year, q = start.year, int(label[-1])
    end = as_of
    p_year, p_q = (year, q - 1) if q > 1 else (year - 1, 4)
    p_start, p_end, _ = quarter(f"{p_year}-Q{p_q}", as_of)
    return {"period": (label, start, end), "previous": (f"{p_year}-Q{p_q}", p_start, min(p_end, as_of)),
            "year_to_date": (f"{year}-YTD", date(year, 1, 1), end),
            "same_period_last_year": (f"{year - 1}{label[4:]}", _year_earlier(start), _year_earlier(end)),
            "year_to_date_last_year": (f"{year - 1}-YTD", date(year - 1, 1, 1), _year_earlier(end))}


def _flows(conn, wins: list[tuple[str, date, date]]) -> list[dict]:
    from sqlalchemy import text

    params = {"low": min(w[1] for w in wins).isoformat(), "high": max(w[2] for w in wins).isoformat()}
    for i, (_, s, e) in enumerate(wins):
        params[f"s{i}"], params[f"e{i}"] = s.isoformat(), e.isoformat()
    inside = [f"s.first_on BETWEEN :s{i} AND :e{i}" for i in range(len(wins))]
    outs: list[dict] = [defaultdict(lambda: dict.fromkeys(METRICS, 0)) for _ in wins]
    sql = SIGNED_SQL.format(counts=", ".join(f"sum({c})" for c in inside),
                            sums=", ".join(f"sum(CASE WHEN {c} THEN p.planned_investment_minor ELSE 0 END)"
                                           for c in inside))
    n = len(wins)
    for r in conn.execute(text(sql), params):
        for i, out in enumerate(outs):
            out[r[0]]["signed"] += int(r[1 + i] or 0)
            out[r[0]]["agreed"] += int(r[1 + n + i] or 0)
    for table, cur_metric in (("capital_arrival", {"CNY": "capital", "USD": "foreign"}),
                              ("investment_completed", {"CNY": "investment"})):
        sql = MONEY_SQL.format(table=table, sums=", ".join(
            f"sum(CASE WHEN m.effective_on BETWEEN :s{i} AND :e{i} THEN m.amount_minor ELSE 0 END)"
            for i in range(n)))
        for r in conn.execute(text(sql), params):
            metric = cur_metric.get(r[1])
            if metric is None:
                continue
            for i, out in enumerate(outs):
                out[r[0]][metric] += int(r[2 + i] or 0)
    return outs


def _rate(now: int, before: int) -> float | None:
    return None if not before else round((now - before) / before, 4)


def _block(figs: dict[str, dict[str, int]]) -> dict:
    """Figures of each window and the changes, in the report's shape (amounts as currency lists)."""
    def one(f):
        return {"signed": f["signed"], "signed_investment": [{"amount_minor": f["agreed"], "currency": "CNY"}],
                "capital_in_place": [{"amount_minor": f["capital"], "currency": "CNY"},
                                     {"amount_minor": f["foreign"], "currency": "USD"}],
                "investment_completed": [{"amount_minor": f["investment"], "currency": "CNY"}]}

    def change(a, b):
        d = {m: {"change": a[m] - b[m], "rate": _rate(a[m], b[m])} for m in METRICS}
        return {"signed": d["signed"],
                "signed_investment": [{"amount_minor": d["agreed"]["change"], "currency": "CNY",
                                       "rate": d["agreed"]["rate"]}],
                "capital_in_place": [{"amount_minor": d["capital"]["change"], "currency": "CNY",
                                      "rate": d["capital"]["rate"]},
                                     {"amount_minor": d["foreign"]["change"], "currency": "USD",
                                      "rate": d["foreign"]["rate"]}],
                "investment_completed": [{"amount_minor": d["investment"]["change"], "currency": "CNY",
                                          "rate": d["investment"]["rate"]}]}

    return {**{n: one(figs[n]) for n in WINDOW_NAMES},
            "changes": {k: change(figs[a], figs[b]) for k, (a, b) in CHANGES.items()}}


def _comparison(conn, label: str, start: date, as_of: date, units: list[tuple]) -> dict:
    wins = windows(label, start, as_of)
    flows = dict(zip(WINDOW_NAMES, _flows(conn, [wins[n] for n in WINDOW_NAMES]), strict=True))
    zero = dict.fromkeys(METRICS, 0)

    def total(name, codes):
        out = dict(zero)
        for u, f in flows[name].items():
            if u in codes:
                for m in METRICS:
                    out[m] += f[m]
        return out

    known = {code for code, _ in units}
    return {"year": start.year,
            "windows": {n: {"label": w[0], "start": w[1].isoformat(), "end": w[2].isoformat()}
                        for n, w in wins.items()},
            "totals": _block({n: total(n, known) for n in WINDOW_NAMES}),
            "units": [{"unit": code, "unit_name": name, **_block({n: total(n, {code}) for n in WINDOW_NAMES})}
                      for code, name in units]}


# --- the two reports ----------------------------------------------------------------------------------


def _settings(engine, as_of: date):
    """The thresholds, ladder and 履约 figures in force on ``as_of`` (stored settings, read as numbers)."""
    from workflow.settings import ladder, light_thresholds, performance_settings

    with engine.connect() as conn:
        return light_thresholds(conn, None, as_of), ladder(conn, as_of), performance_settings(conn, as_of)


def base_warnings(engine, as_of: date, t, lad, perf: dict, kinds: tuple[str, ...]) -> dict:
    with engine.connect() as conn:
        units = _units(conn)
        items, _ = lights(conn, as_of, t, lad, perf, kinds)
    red = sum(1 for it in items if it["light"] == "red")
    return {"as_of": as_of.isoformat(), "unit": None, "red": red, "yellow": len(items) - red,
            "units": _per_unit(units, items), "projects": items, "total": len(items)}


def base_dispatch(engine, label: str, today: date, t, lad, perf: dict, kinds: tuple[str, ...]) -> dict:
    start, end, as_of = quarter(label, today)
    with engine.connect() as conn:
        units = _units(conn)
        items, groups = lights(conn, as_of, t, lad, perf, kinds, progress=True)
        supervised = _supervision(conn, start, as_of, lad, units)
        compared = _comparison(conn, label, start, as_of, units)
    red = sum(1 for it in items if it["light"] == "red")
    return {"report": "dispatch", "period": label, "start": start.isoformat(), "end": end.isoformat(),
            "as_of": as_of.isoformat(), "unit": None, "totals": {"red": red, "yellow": len(items) - red},
            "units": _per_unit(units, items), "projects": items, "progress": _progress(groups, units, as_of, t),
            "supervision": supervised, "comparison": compared}


# --- equality --------------------------------------------------------------------------------------------

LEFT_OUT = ("reasons (worded)", "thresholds", "exchange_rates")


def comparable_ours(doc: dict) -> dict:
    """Our report in the baseline's shape: each project's reasons as (code, colour) pairs, the
    worded reasons, the thresholds and the exchange rates left out (the docstring says why)."""
    out = {k: v for k, v in doc.items() if k not in ("thresholds", "exchange_rates", "adjustments")}
    out["projects"] = [{**{k: v for k, v in it.items() if k not in ("reasons", "reasons_detail")},
                        "reasons": [(r["code"], r["color"]) for r in it["reasons_detail"]]}
                       for it in doc["projects"]]
    return out


def comparable_base(doc: dict) -> dict:
    return {**doc, "projects": [{**it, "reasons": [tuple(r) for r in it["reasons"]]} for it in doc["projects"]]}


def check_equal(what: str, ours: dict, base: dict) -> None:
    """AssertionError naming the first figure where our ``what`` and the baseline's differ."""
    mine, theirs = comparable_ours(ours), comparable_base(base)
    if set(mine) != set(theirs):
        raise AssertionError(f"{what}: parts differ from the hand-written SQL: {sorted(mine)} != {sorted(theirs)}")
    for part in mine:
        if part == "projects":
            a, b = mine[part], theirs[part]
            for i, (x, y) in enumerate(zip(a, b, strict=False)):
                if x != y:
                    raise AssertionError(f"{what}: listed project #{i + 1} differs from the hand-written SQL: "
                                         f"{x} != {y}")
            if len(a) != len(b):
                raise AssertionError(f"{what}: {len(a)} listed projects, the hand-written SQL {len(b)}")
        elif mine[part] != theirs[part]:
            raise AssertionError(f"{what}: {part} differs from the hand-written SQL: {mine[part]} != {theirs[part]}")


def check_not_vacuous(warned: dict, dispatched: dict) -> None:
    """The compared figures say something: red and yellow projects, lead leaders, reasons of several
    codes, per-unit counts, groundbreakings and the comparison's figures are not all empty or zero."""
    for what, doc, red, yellow in (("warnings", warned, warned["red"], warned["yellow"]),
                                   ("dispatch", dispatched, dispatched["totals"]["red"],
                                    dispatched["totals"]["yellow"])):
        items = doc["projects"]
        codes = {r[0] for it in items for r in it["reasons"]}
        if not (red and yellow and any(it["lead_leader"] for it in items) and len(codes) >= 3
                and sum(1 for u in doc["units"] if u["red"] or u["yellow"]) >= 2):
            raise AssertionError(f"{what}: a vacuous comparison (red {red}, yellow {yellow}, reason codes "
                                 f"{sorted(codes)})")
    if not dispatched["progress"]["totals"]["starts_in_year"]:
        raise AssertionError("dispatch: no groundbreaking in the year: the progress comparison is vacuous")
    c = dispatched["comparison"]["totals"]
    if not (c["year_to_date"]["signed"] and c["year_to_date"]["capital_in_place"][0]["amount_minor"]):
        raise AssertionError("dispatch: no signing or capital in the year to date: the comparison is vacuous")


def _best_pair(ours, base, repeat: int) -> tuple[float, float]:
    """The best time of each of ``ours`` and ``base`` over ``repeat`` rounds, run in turn (one of each
    a round), so that a change in the machine's load weighs on both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((base, ours)):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[1], best[0]


def compare(engine, today: date, period: str) -> tuple:
    """Ours and the baseline's callables for both reports, checked equal (and the two docs each)."""
    from workflow import listing, reports
    from workflow.words import PERFORMANCE_KINDS

    t_now, lad_now, perf_now = _settings(engine, today)
    _, _, as_of = quarter(period, today)
    t_q, lad_q, perf_q = _settings(engine, as_of)

    def ours_warnings():
        doc = reports.warnings(engine, as_of=None, unit=None, thresholds=t_now, lang="zh")
        doc["projects"], doc["total"] = listing.refine(engine, doc["projects"])
        return doc

    def ours_dispatch():
        return reports.dispatch(engine, period, as_of=None, unit=None, thresholds=t_q, lang="zh")

    def base_w():
        return base_warnings(engine, today, t_now, lad_now, perf_now, PERFORMANCE_KINDS)

    def base_d():
        return base_dispatch(engine, period, today, t_q, lad_q, perf_q, PERFORMANCE_KINDS)

    w_ours, w_base = ours_warnings(), base_w()
    check_equal("warnings", w_ours, w_base)
    d_ours, d_base = ours_dispatch(), base_d()
    check_equal(f"dispatch {period}", d_ours, d_base)
    return (ours_warnings, base_w, w_base), (ours_dispatch, base_d, d_base)


def run(size: str, workdir: Path) -> list[dict]:
    from bench.bench_office import period_for
    from workflow import clock
    from workflow.db import make_engine

    n = SIZES[size]
    db = demo_county(n)
    engine = make_engine(f"sqlite:///{db}", write=False)
    today = clock.today()
    period = period_for("dispatch", today)
    (ours_w, base_w, w_doc), (ours_d, base_d, d_doc) = compare(engine, today, period)
    check_not_vacuous(w_doc, d_doc)
    repeat = 5 if size == "tiny" else 3
    out = []
    for label, ours, base in ((f"warnings --json figures, {n:,} projects vs hand-written SQL", ours_w, base_w),
                              (f"report dispatch --period {period} --json figures, {n:,} projects vs "
                               "hand-written SQL", ours_d, base_d)):
        t_ours, t_base = _best_pair(ours, base, repeat)
        r = row(label, t_ours * 1000, t_base * 1000, "ms", "≤ 3 s at 50,000 (the whole command, office rows)",
                limit=float("inf"), equal=True)
        r["met"] = None
        out.append(r)
    engine.dispose()
    return out


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-sql-warnings-") as tmp:
        for r in run(sys.argv[1] if len(sys.argv) > 1 else "tiny", Path(tmp)):
            print(r)
