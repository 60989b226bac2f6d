"""The lists the leaders ask for (`pipeline report keyprojects|leaders|visits --period P --json`) over the
demo county, against hand-written SQL for the same rows and figures, measured in the same run.

- ours: the engine functions the commands call (``workflow.reports.lists.keyprojects``, ``leaders``,
  ``visits``) in-process, with the thresholds in force on the as-of date as the command reads them
  (``Service.light_thresholds``), for the periods the office rows use (``bench_office.period_for``:
  key projects and leaders of the year, visits of the half-year); best of a few runs.
- baseline: hand-written SQLite SQL (``sqlalchemy.text``) and Python that only assembles and words
  the rows.  Each project's state on the as-of date is read once (a MATERIALIZED CTE: the stage and
  its date from the history when the project moved on after the date, the latest follow-up and its
  promise, a lead leader in force, the newest year plan of the year and the CNY investment of the
  year to date), and every rule of docs/lights-and-reports.md is decided in SQL as a color and its
  figure: the four planned milestones (passed: red; due within the limit: yellow), screening too long,
  signed without capital, no follow-up (since registration when there is none), the planned-progress
  rule (序时进度, by points or relative, in exact integer arithmetic), a key project without a lead
  leader, each open problem at the ladder's red level (its state on the date: the last close or reopen,
  the last extension's due date, the level from the ladder's days), a promised follow-up missed, and
  for a project in production its 履约 check of the year before (the newest commitment of each kind
  covering the year, the newest actual of the year, met/below/no report by the deadline); Python
  orders the reasons (red first, each in rule order) and words them in English and Chinese.
  Key projects: the lead leader in force (the latest assignment), unit name, planned investment, year
  plan, year to date, plan rate, progress light, latest follow-up, promised next step, every open
  problem (id, text, owner unit, due date, level, days overdue; most urgent first) and the totals.
  Leaders: each leader's projects not refused, withdrawn or retired, with stage, key flag, light and
  reasons, worst first, and the counts of each color.  Visits (the first signings, groundbreakings
  and productions read in one pass over the history): the projects that first reached construction
  or production in the period (not by a resume from hold, not undone by a correction),
  their stage and light on the as-of date, capital and investment to date by currency, lead leader,
  the totals, the comparison with the previous period, the year to date and the same windows a year
  earlier (first signings, agreed investment, capital in CNY and USD, investment; per unit and in
  total; the changes and rates), the exchange rates set for the year and the scoring criteria in
  force.  Settings (thresholds, the ladder, the 履约 figures, the criteria, the rates) are read from
  the database or passed in as numbers.

Every field of the three JSON documents is compared (the whole documents, equal as JSON) before
anything is timed: on the demo county of the row's size, and on a county where the figures are not
trivial (``bench_report.generate``'s 300 projects with year plans, problems, promised follow-ups,
plus 履约 commitments and actuals), for this year's periods and last year's; the check refuses a
comparison where the lists are empty or the lights, problems, plans or promises are all absent.

No ratio goal: the goal is the whole command's 3 s at 50,000 projects, measured by the office rows;
these rows show how far our engine is from hand-written SQL.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from bench.common import demo_county, init_db, row
from bench.sqlparts import (
    CURRENCIES,
    FIRST_SIGNINGS,
    PLANS_DONE_CTES,
    PROMISED_COLUMN,
    STATE_COLUMNS,
    list_totals,
    money_list,
)

NAME = "sql_lists"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
KINDS = ("keyprojects", "leaders", "visits")
LOST = ("rejected", "withdrawn", "retired")
PERFORMANCE_KINDS = ("output_value", "tax", "jobs", "land_intensity", "investment")
CRITERIA_KEY = "reports.visit_criteria"
DEFAULT_CRITERIA = (("建设进度", 30), ("投资强度", 25), ("科技含量与产业带动", 20), ("形象面貌", 15),
                    ("要素保障与服务", 10))
PERFORMANCE_DEFAULTS = {"met_pct": 80, "report_days": 90}

# --- the baseline: hand-written SQL -----------------------------------------------------------------

# One row per project registered by :d (and of the statement's filter), with every rule of the light
# decided: a color (NULL: the rule does not fire) and the figure its words need.  ``snap`` is
# MATERIALIZED so the correlated look-ups are evaluated once per project.
FACTS_SQL = """
WITH """ + PLANS_DONE_CTES + """
, {ctes}
snap AS MATERIALIZED (
  SELECT p.id, p.code, p.name, p.unit_code AS unit, p.key AS key, p.planned_investment_minor AS planned,
         p.registered_on, p.plan_sign, p.plan_fund, p.plan_break_ground, p.plan_commission,
""" + STATE_COLUMNS + """
""" + PROMISED_COLUMN + """
         COALESCE(pl.plan, 0) AS plan, COALESCE(dn.done, 0) AS done  -- done with a year plan or without
         {snap_cols}
  FROM project p LEFT JOIN plans pl ON pl.pid = p.id LEFT JOIN done dn ON dn.pid = p.id
  WHERE p.registered_on <= :d {where}
), lit AS (
  SELECT *, CAST(julianday(:d) - julianday(since) AS INTEGER) AS in_stage,
         CAST(julianday(:d) - julianday(COALESCE(fu, registered_on)) AS INTEGER) AS quiet,
         CASE stage WHEN 'lead' THEN 0 WHEN 'screening' THEN 1 WHEN 'approved' THEN 2 WHEN 'signed' THEN 3
                    WHEN 'funding' THEN 4 WHEN 'construction' THEN 5 WHEN 'production' THEN 6 END AS pos,
         CAST(julianday(plan_sign) - julianday(:d) AS INTEGER) AS sign_left,
         CAST(julianday(plan_fund) - julianday(:d) AS INTEGER) AS fund_left,
         CAST(julianday(plan_break_ground) - julianday(:d) AS INTEGER) AS ground_left,
         CAST(julianday(plan_commission) - julianday(:d) AS INTEGER) AS commission_left
  FROM snap
)
SELECT id, code, name, unit, key, planned, stage, pos, plan, done,
       CASE WHEN pos < 3 AND sign_left < 0 THEN 'red' WHEN pos < 3 AND sign_left <= :due THEN 'yellow' END,
       plan_sign, sign_left,
       CASE WHEN pos < 4 AND fund_left < 0 THEN 'red' WHEN pos < 4 AND fund_left <= :due THEN 'yellow' END,
       plan_fund, fund_left,
       CASE WHEN pos < 5 AND ground_left < 0 THEN 'red' WHEN pos < 5 AND ground_left <= :due THEN 'yellow' END,
       plan_break_ground, ground_left,
       CASE WHEN pos < 6 AND commission_left < 0 THEN 'red'
            WHEN pos < 6 AND commission_left <= :due THEN 'yellow' END,
       plan_commission, commission_left,
       CASE WHEN stage = 'screening' AND in_stage > :screening_red THEN 'red'
            WHEN stage = 'screening' AND in_stage > :screening_yellow THEN 'yellow' END,
       CASE WHEN stage = 'signed' AND in_stage > :signed_red THEN 'red' END,
       in_stage,
       CASE WHEN quiet > :followup_red THEN 'red' WHEN quiet > :followup_yellow THEN 'yellow' END,
       quiet, fu IS NOT NULL,
       CASE WHEN plan > 0 AND {behind_red} THEN 'red' WHEN plan > 0 AND {behind_yellow} THEN 'yellow' END,
       CASE WHEN key AND NOT leader THEN 'red' END,
       CASE WHEN promised < :d THEN 'yellow' END, promised
       {cols}
FROM lit {outer}
ORDER BY id
"""

# Behind time progress (elapsed = :pnum / :pden of the year), in exact integer arithmetic:
# by points, (elapsed - done / plan) * 100 > limit; by the relative rule, done / plan < limit % of elapsed.
BEHIND_POINTS = "(100 * (:pnum * plan - MAX(done, 0) * :pden) > {limit} * :pden * plan)"
BEHIND_RATIO = "(100 * MAX(done, 0) * :pden < {limit} * plan * :pnum)"

# The lead leader in force on :d: the latest assignment (by id) not ended by then.
LEAD_CTE = """lead AS (
  SELECT project_id AS pid, login AS lead_login, name AS lead_name, title AS lead_title FROM (
    SELECT a.project_id, a.person_login AS login, pe.name, pe.title,
           row_number() OVER (PARTITION BY a.project_id ORDER BY a.id DESC) AS rn
    FROM assignment a JOIN person pe ON pe.login = a.person_login
    WHERE a.role = 'lead_leader' AND a.assigned_on <= :d AND (a.ended_on IS NULL OR a.ended_on > :d))
  WHERE rn = 1
),"""

# The latest follow-up on or before :d (its note and what it promised).
LATEST_COLS = """,
         (SELECT f.effective_on FROM followup f WHERE f.project_id = p.id AND f.effective_on <= :d
            ORDER BY f.effective_on DESC, f.event_seq DESC LIMIT 1) AS latest_on,
         (SELECT f.note FROM followup f WHERE f.project_id = p.id AND f.effective_on <= :d
            ORDER BY f.effective_on DESC, f.event_seq DESC LIMIT 1) AS latest_note,
         (SELECT f.next_step FROM followup f WHERE f.project_id = p.id AND f.effective_on <= :d
            ORDER BY f.effective_on DESC, f.event_seq DESC LIMIT 1) AS next_step"""

# The first date each project was signed, reached construction and reached production (not from hold,
# not undone by a correction: the next stage change after it is no correction), when it falls in
# [:lo, :hi] (every window of the visit list and of its comparison), with the project's unit and planned
# investment: one pass over the history for the visit list and the comparison's first signings.
FIRSTS_SQL = """
SELECT f.pid, f.to_stage, f.first_on, p.unit_code, p.planned_investment_minor FROM
  (SELECT e.project_id AS pid, e.to_stage, min(e.effective_on) AS first_on FROM event e
    WHERE e.kind = 'transition' AND e.to_stage IN ('signed', 'construction', 'production')
      AND e.from_stage <> 'on_hold'
      AND COALESCE((SELECT n.kind FROM event n WHERE n.project_id = e.project_id AND n.seq > e.seq
                      AND n.to_stage IS NOT NULL ORDER BY n.seq LIMIT 1), '') <> 'correction'
    GROUP BY e.project_id, e.to_stage
    HAVING min(e.effective_on) BETWEEN :lo AND :hi) f
  JOIN project p ON p.id = f.pid
"""

# Capital and investment to :d by currency of the projects on the visit list (:ids, a JSON array).
VISIT_MONEY_SQL = """
SELECT 'capital', m.project_id, m.currency, sum(m.amount_minor) FROM capital_arrival m
WHERE m.effective_on <= :d AND m.project_id IN (SELECT value FROM json_each(:ids)) GROUP BY m.project_id, m.currency
UNION ALL
SELECT 'investment', m.project_id, m.currency, sum(m.amount_minor) FROM investment_completed m
WHERE m.effective_on <= :d AND m.project_id IN (SELECT value FROM json_each(:ids)) GROUP BY m.project_id, m.currency
"""

# Open problems on :d: the last close or reopen decides (none: open), the last extension the due date.
PROBLEMS_SQL = """
SELECT id, project_id, text, owner_unit, due,
       CAST(julianday(:d) - julianday(due) AS INTEGER) AS late
FROM (SELECT pb.id, pb.project_id, pb.text, pb.owner_unit,
             COALESCE((SELECT a.due_on FROM problem_action a WHERE a.problem_id = pb.id AND a.effective_on <= :d
                         AND a.action = 'extend' ORDER BY a.event_seq DESC LIMIT 1), pb.due_on) AS due
      FROM problem pb
      WHERE pb.opened_on <= :d {where}
        AND COALESCE((SELECT a.action FROM problem_action a WHERE a.problem_id = pb.id AND a.effective_on <= :d
                        AND a.action IN ('close', 'reopen') ORDER BY a.event_seq DESC LIMIT 1), 'reopen') = 'reopen')
"""
LEVEL = """CASE WHEN late > :top THEN 5 WHEN late > :county THEN 4 WHEN late > :head THEN 3 WHEN late > 0 THEN 2
                WHEN -late <= :remind THEN 1 ELSE 0 END"""

# The 履约 check of :py: per project and kind the newest commitment covering the year recorded by :d, the
# newest actual of the year recorded by :d, and its status.
PERFORMANCE_SQL = """
WITH c AS (
  SELECT project_id, kind, per_year,
         row_number() OVER (PARTITION BY project_id, kind ORDER BY event_seq DESC) AS rn
  FROM commitment WHERE from_year <= :py AND (to_year IS NULL OR to_year >= :py) AND effective_on <= :d
), r AS (
  SELECT project_id, kind, value, row_number() OVER (PARTITION BY project_id, kind ORDER BY event_seq DESC) AS rn
  FROM performance WHERE year = :py AND effective_on <= :d
)
SELECT c.project_id, c.kind, c.per_year, r.value,
       CASE WHEN r.value IS NOT NULL THEN (CASE WHEN r.value * 100 >= c.per_year * :pct THEN 'met' ELSE 'below' END)
            WHEN :d > :deadline THEN 'no_report' ELSE 'due' END
FROM c LEFT JOIN r ON r.project_id = c.project_id AND r.kind = c.kind AND r.rn = 1
WHERE c.rn = 1
"""

# The flows of the comparison's five windows at once, per unit: a sum per window (``{sums}``) over the
# rows of the windows' whole range.  First signings: into ``signed`` not from hold, not corrected.
SIGNED_SQL = """
SELECT p.unit_code, {sums} FROM
  """ + FIRST_SIGNINGS + """
 s
  JOIN project p ON p.id = s.project_id
WHERE s.first_on BETWEEN :lo AND :hi GROUP BY p.unit_code
"""
SIGNED_SUMS = ("sum(s.first_on BETWEEN :s{k} AND :e{k}), "
               "sum(CASE WHEN s.first_on BETWEEN :s{k} AND :e{k} THEN p.planned_investment_minor ELSE 0 END)")

MONEY_SQL = """
SELECT p.unit_code, m.currency, {sums} FROM {table} m JOIN project p ON p.id = m.project_id
WHERE m.effective_on BETWEEN :lo AND :hi AND m.currency IN ('CNY', 'USD') GROUP BY p.unit_code, m.currency
"""
MONEY_SUMS = "sum(CASE WHEN m.effective_on BETWEEN :s{k} AND :e{k} THEN m.amount_minor ELSE 0 END)"

MILESTONES = (("sign", "signing", "not signed", "签约", "尚未签约"),
              ("fund", "capital arrival", "no capital in place", "到资", "资金尚未到位"),
              ("break_ground", "groundbreaking", "not under construction", "开工", "尚未开工"),
              ("commission", "production", "not in production", "投产", "尚未投产"))
PERFORMANCE_WORDS = {"output_value": ("output value", "产值"), "tax": ("tax paid", "纳税额"),
                     "jobs": ("jobs", "就业人数"), "land_intensity": ("investment per mu", "亩均投资强度"),
                     "investment": ("investment", "投资")}


def _iso(value) -> str | None:
    return None if value is None else str(value)[:10]


def _day(value) -> date:
    return date.fromisoformat(str(value)[:10])


def _elapsed(as_of: date, t) -> tuple[int, int]:
    """Time progress (序时进度) of the as-of date: (month, 12), or (day of the year, days in the year)."""
    if t.progress_by_day:
        leap = as_of.year % 4 == 0 and (as_of.year % 100 != 0 or as_of.year % 400 == 0)
        return as_of.timetuple().tm_yday, 366 if leap else 365
    return as_of.month, 12


class Baseline:
    """The hand-written SQL of the three lists on one connection, with the settings in force passed in."""

    def __init__(self, conn, t, lad, perf: dict[str, int]) -> None:
        self.conn, self.t, self.lad, self.perf = conn, t, lad, perf

    def q(self, sql: str, params: dict):
        from sqlalchemy import text

        return self.conn.execute(text(sql), params)

    # --- the facts and the lights --------------------------------------------------------------------

    def facts(self, d: date, *, ctes: str = "", snap_cols: str = "", where: str = "", cols: str = "",
              outer: str = "", extra: dict | None = None) -> list:
        t = self.t
        a, b = _elapsed(d, t)
        rule = BEHIND_RATIO if t.progress_ratio_rule else BEHIND_POINTS
        red, yellow = ((t.progress_red_ratio_pct, t.progress_yellow_ratio_pct) if t.progress_ratio_rule
                       else (t.progress_red_points, t.progress_yellow_points))
        sql = FACTS_SQL.format(ctes=ctes, snap_cols=snap_cols, where=where, cols=cols, outer=outer,
                               behind_red=rule.format(limit=int(red)), behind_yellow=rule.format(limit=int(yellow)))
        params = {"d": d.isoformat(), "year": d.year, "ystart": date(d.year, 1, 1).isoformat(), "pnum": a, "pden": b,
                  "due": t.milestone_due_days, "screening_red": t.screening_red_days,
                  "screening_yellow": t.screening_yellow_days, "signed_red": t.signed_no_capital_red_days,
                  "followup_red": t.followup_red_days, "followup_yellow": t.followup_yellow_days, **(extra or {})}
        return self.q(sql, params).all()

    def problems(self, d: date, where: str = "", extra: dict | None = None) -> list[tuple]:
        """(id, project id, text, owner unit, due, level, days overdue) of every open problem on ``d``."""
        lad = self.lad
        sql = (f"SELECT id, project_id, text, owner_unit, due, {LEVEL}, MAX(late, 0) "
               f"FROM ({PROBLEMS_SQL.format(where=where)}) ORDER BY id")
        return self.q(sql, {"d": d.isoformat(), "top": lad.top_leader_days, "county": lad.county_leader_days,
                            "head": lad.unit_head_days, "remind": lad.remind_days, **(extra or {})}).all()

    def performance(self, d: date) -> dict[int, list[tuple]]:
        """project id -> [(kind, year, status, committed, actual, met pct, deadline)] in kind order."""
        year = d.year - 1
        deadline = date(year, 12, 31) + timedelta(days=self.perf["report_days"])
        out: dict[int, list[tuple]] = defaultdict(list)
        for pid, kind, committed, actual, status in self.q(PERFORMANCE_SQL, {
                "d": d.isoformat(), "py": year, "pct": self.perf["met_pct"], "deadline": deadline.isoformat()}):
            out[pid].append((kind, year, status, int(committed), None if actual is None else int(actual),
                             self.perf["met_pct"], deadline))
        for items in out.values():
            items.sort(key=lambda x: PERFORMANCE_KINDS.index(x[0]))
        return out

    def light(self, r, d: date, escalated: dict, performance: dict) -> tuple[str | None, list[dict]]:
        """The light of one facts row and its reasons (red first, each color in rule order), worded."""
        pos, stage = r[7], r[6]
        found: list[tuple[str, dict]] = []
        if pos is None or pos == 6:  # final or paused: only a producing project's 履约 check gives a light
            if stage != "production":
                return None, []
            for kind, year, status, committed, actual, pct, deadline in performance.get(r[0], ()):
                en_kind, zh_kind = PERFORMANCE_WORDS[kind]
                if status == "no_report":
                    found.append(("yellow", _reason("performance_no_report", "yellow",
                                                    f"{en_kind} {year}: no actual reported by {deadline.isoformat()}",
                                                    f"{year}年{zh_kind}：截至{deadline.isoformat()}未报告实绩")))
                elif status == "below":
                    share = f"{actual * 100 / committed:.1f}%" if committed else "-"
                    found.append(("red", _reason(
                        "performance_below", "red",
                        f"{en_kind} {year}: {_perf(kind, actual, False)} of {_perf(kind, committed, False)} "
                        f"committed ({share}, below {pct}%)",
                        f"{year}年{zh_kind}：完成{_perf(kind, actual, True)}，承诺{_perf(kind, committed, True)}"
                        f"（{share}，低于{pct}%）")))
            if not found:
                return None, []
            return _ordered(found)
        t = self.t
        for k, (m, en_noun, en_not, zh_noun, zh_not) in enumerate(MILESTONES):
            color, planned, left = r[10 + 3 * k], r[11 + 3 * k], r[12 + 3 * k]
            if color is None:
                continue
            when = _iso(planned)
            code = f"{m}_overdue" if color == "red" else f"{m}_due"
            if left < 0:
                en, zh = f"planned {en_noun} {when} passed, {en_not}", f"计划{zh_noun}日期{when}已过，{zh_not}"
            elif left == 0:
                en, zh = (f"planned {en_noun} {when} is due today, {en_not}",
                          f"计划{zh_noun}日期{when}为今天，{zh_not}")
            else:
                en = f"planned {en_noun} {when} is due in {left} {'day' if left == 1 else 'days'}, {en_not}"
                zh = f"距计划{zh_noun}日期{when}还有{left}天，{zh_not}"
            found.append((color, _reason(code, color, en, zh)))
        screening, signed, in_stage = r[22], r[23], r[24]
        if screening is not None:
            limit = t.screening_red_days if screening == "red" else t.screening_yellow_days
            found.append((screening, _reason("screening_too_long", screening,
                                             f"in screening for {in_stage} days (more than {limit})",
                                             f"审核中已{in_stage}天（超过{limit}天）")))
        if signed is not None:
            limit = t.signed_no_capital_red_days
            found.append((signed, _reason("signed_no_capital", signed,
                                          f"signed for {in_stage} days with no capital in place (more than {limit})",
                                          f"签约已{in_stage}天，资金仍未到位（超过{limit}天）")))
        quiet_color, quiet, any_fu = r[25], r[26], r[27]
        if quiet_color is not None:
            limit = t.followup_red_days if quiet_color == "red" else t.followup_yellow_days
            if any_fu:
                en, zh = f"no follow-up for {quiet} days (more than {limit})", f"已{quiet}天未跟进（超过{limit}天）"
            else:
                en = f"no follow-up since registration {quiet} days ago (more than {limit})"
                zh = f"登记已{quiet}天，尚无跟进记录（超过{limit}天）"
            found.append((quiet_color, _reason("no_followup", quiet_color, en, zh)))
        progress = r[28]
        if progress is not None:
            found.append((progress, self.progress_reason(progress, int(r[8]), int(r[9]), d)))
        if r[29] is not None:
            found.append(("red", _reason("no_lead_leader", "red", "no lead leader for a key project",
                                         "重点项目未明确县级领导")))
        for pid, text, level in escalated.get(r[0], ()):
            short = text if len(text) <= 40 else text[:39] + "…"
            found.append(("red", _reason("problem_escalated", "red",
                                         f"problem #{pid} ({short}) at supervision level {level}",
                                         f"问题#{pid}（{short}）督办等级{level}级")))
        if r[30] is not None:
            day = _iso(r[31])
            found.append(("yellow", _reason("promise_missed", "yellow", f"promised follow-up on {day} not recorded",
                                            f"承诺{day}跟进，尚无记录")))
        if not found:
            return "green", []
        return _ordered(found)

    def progress_reason(self, color: str, plan: int, done_minor: int, d: date) -> dict:
        t = self.t
        done = max(done_minor, 0)
        a, b = _elapsed(d, t)
        head_en = (f"{100 * done / plan:.1f}% of the {d.year} investment plan completed, "
                   f"time progress {100 * a / b:.1f}%")
        head_zh = f"{d.year}年度计划投资完成{100 * done / plan:.1f}%，序时进度{100 * a / b:.1f}%"
        if t.progress_ratio_rule:
            share = (100 * done * b) / (plan * a)
            limit = t.progress_red_ratio_pct if color == "red" else t.progress_yellow_ratio_pct
            return _reason("progress_behind", color, f"{head_en} ({share:.1f}% of time progress, below {limit}%)",
                           f"{head_zh}（为序时进度的{share:.1f}%，低于{limit}%）")
        behind = (100 * (a * plan - done * b)) / (b * plan)
        limit = t.progress_red_points if color == "red" else t.progress_yellow_points
        return _reason("progress_behind", color, f"{head_en} ({behind:.1f} points behind, more than {limit})",
                       f"{head_zh}，落后{behind:.1f}个百分点（超过{limit}个百分点）")

    def escalated(self, problems: list[tuple]) -> dict[int, list[tuple]]:
        out: dict[int, list[tuple]] = defaultdict(list)
        for pid, project, text, _, _, level, _ in problems:  # by id
            if level >= self.lad.red_level:
                out[project].append((pid, text, level))
        return out

    def units(self) -> dict:
        return dict(self.q("SELECT code, name FROM unit", {}).all())

    # --- the three lists ---------------------------------------------------------------------------------

    def keyprojects(self, w: dict) -> dict:
        d = _day(w["as_of"])
        rows = self.facts(d, ctes=LEAD_CTE, snap_cols=LATEST_COLS, where="AND p.key",
                          cols=", lead_login, lead_name, lead_title, latest_on, latest_note, next_step",
                          outer="LEFT JOIN lead ON lead.pid = lit.id WHERE stage NOT IN ('rejected', 'withdrawn', "
                                "'retired')")
        problems = self.problems(d, "AND pb.project_id IN (SELECT id FROM project WHERE key)")
        escalated = self.escalated(problems)
        open_by: dict[int, list[tuple]] = defaultdict(list)
        for p in problems:
            open_by[p[1]].append(p)
        perf = self.performance(d)
        names = self.units()
        items = []
        for r in sorted(rows, key=lambda r: (r[3] or "", r[1])):
            color, reasons = self.light(r, d, escalated, perf)
            login, leader_name, title, latest_on, latest_note, next_step = r[32:38]
            plan, done = int(r[8]), int(r[9])
            items.append({
                "code": r[1], "name": r[2], "unit": r[3], "unit_name": names.get(r[3]), "stage": r[6],
                "lead_leader": None if login is None else {"login": login, "name": leader_name, "title": title},
                "planned_investment": {"amount_minor": int(r[5]), "currency": "CNY"},
                "year_plan": {"amount_minor": plan, "currency": "CNY"},
                "year_done": {"amount_minor": done, "currency": "CNY"},
                "plan_rate": round(done / plan, 4) if plan else None,
                "progress_light": (r[28] or "green") if plan else None,
                "light": color, "reasons_detail": reasons,
                "latest_followup": None if latest_on is None else {"on": _iso(latest_on), "note": latest_note},
                "next_step": None if r[31] is None else {"on": _iso(r[31]), "text": next_step},
                "problems": [{"id": p[0], "text": p[2], "owner_unit": p[3], "due": _iso(p[4]), "level": p[5],
                              "overdue_days": p[6]}
                             for p in sorted(open_by.get(r[0], ()), key=lambda p: (-p[5], _iso(p[4]), p[0]))],
            })
        totals = {"projects": len(items),
                  "planned_investment": {"amount_minor": sum(x["planned_investment"]["amount_minor"] for x in items),
                                         "currency": "CNY"},
                  "year_plan": {"amount_minor": sum(x["year_plan"]["amount_minor"] for x in items), "currency": "CNY"},
                  "year_done": {"amount_minor": sum(x["year_done"]["amount_minor"] for x in items), "currency": "CNY"}}
        return {"report": "keyprojects", **w, "unit": None, "year": d.year, "totals": totals, "projects": items}

    def leaders(self, w: dict) -> dict:
        d = _day(w["as_of"])
        rows = self.facts(d, ctes=LEAD_CTE, cols=", lead_login, lead_name, lead_title",
                          outer="JOIN lead ON lead.pid = lit.id "
                                "WHERE stage NOT IN ('rejected', 'withdrawn', 'retired')")
        escalated = self.escalated(self.problems(d))
        perf = self.performance(d)
        names = self.units()
        order = {"red": 0, "yellow": 1, "green": 2, None: 3}
        by_leader: dict[str, dict] = {}
        for r in rows:
            color, reasons = self.light(r, d, escalated, perf)
            login, leader_name, title = r[32:35]
            entry = by_leader.setdefault(login, {"login": login, "name": leader_name, "title": title, "projects": []})
            entry["projects"].append({"code": r[1], "name": r[2], "unit": r[3], "unit_name": names.get(r[3]),
                                      "stage": r[6], "key": bool(r[4]), "light": color, "reasons_detail": reasons})
        out = []
        for entry in sorted(by_leader.values(), key=lambda x: (x["name"], x["login"])):
            entry["projects"].sort(key=lambda p: (order[p["light"]], p["code"]))
            for color in ("red", "yellow", "green"):
                entry[color] = sum(1 for p in entry["projects"] if p["light"] == color)
            out.append(entry)
        return {"report": "leaders", **w, "unit": None, "leaders": out}

    def visits(self, w: dict, windows: dict) -> dict:
        from workflow.settings import in_force

        d = _day(w["as_of"])
        start, end = w["start"], min(w["end"], w["as_of"])
        spans = [(start, end), *((s, e) for _, s, e in windows["windows"].values())]
        firsts = self.q(FIRSTS_SQL, {"lo": min(s for s, _ in spans), "hi": max(e for _, e in spans)}).all()
        reached: dict[int, dict[str, str]] = defaultdict(dict)
        for pid, stage, first_on, _, _ in firsts:
            if stage != "signed" and start <= _iso(first_on) <= end:
                reached[pid][stage] = _iso(first_on)
        ids = json.dumps(sorted(reached))
        rows = self.facts(d, ctes=LEAD_CTE, where="AND p.id IN (SELECT value FROM json_each(:ids))",
                          cols=", lead_login, lead_name, lead_title", outer="LEFT JOIN lead ON lead.pid = lit.id",
                          extra={"ids": ids})
        escalated = self.escalated(self.problems(d))
        perf = self.performance(d)
        names = self.units()
        money: dict[str, dict[int, dict[str, int]]] = {"capital": defaultdict(dict), "investment": defaultdict(dict)}
        for label, pid, cur, total in self.q(VISIT_MONEY_SQL, {"d": d.isoformat(), "ids": ids}):
            money[label][pid][cur] = int(total)
        items = []
        for r in rows:
            color, _ = self.light(r, d, escalated, perf)
            login, leader_name, title = r[32:35]
            cons, prod = reached[r[0]].get("construction"), reached[r[0]].get("production")
            items.append({
                "code": r[1], "name": r[2], "unit": r[3], "unit_name": names.get(r[3]), "key": bool(r[4]),
                "stage": r[6], "construction_on": _iso(cons), "production_on": _iso(prod),
                "planned_investment": {"amount_minor": int(r[5]), "currency": "CNY"},
                "capital_in_place": money_list({**dict.fromkeys(CURRENCIES, 0), **money["capital"].get(r[0], {})}),
                "investment_completed": money_list({**dict.fromkeys(CURRENCIES, 0),
                                                     **money["investment"].get(r[0], {})}),
                "light": color,
                "lead_leader": None if login is None else {"login": login, "name": leader_name, "title": title}})
        items.sort(key=lambda x: (x["unit"] or "", x["construction_on"] or x["production_on"] or "", x["code"]))

        totals = list_totals(items)
        doc = {"report": "visits", **w, "unit": None, "totals": totals, "projects": items}
        if windows:
            doc["comparison"] = self.comparison(windows, windows["year"],
                                                [(f[2], f[3], f[4]) for f in firsts if f[1] == "signed"])
        rates: dict[str, str] = {}
        prefix = f"rates.{d.year}."
        for key, (value, _, _) in in_force(self.conn, date(9999, 12, 31), "rates.").items():
            if key.startswith(prefix):
                from decimal import Decimal

                rates[key[len(prefix):]] = str(Decimal(value))
        if rates:
            doc["exchange_rates"] = rates
        value = in_force(self.conn, d, CRITERIA_KEY).get(CRITERIA_KEY, (None,))[0]
        criteria = ([(n.strip(), int(x)) for n, _, x in (i.partition("=") for i in value.replace("；", ";").split(";")
                                                          if i.strip())] if value else list(DEFAULT_CRITERIA))
        doc["criteria"] = [{"name": n, "weight": x} for n, x in criteria]
        return doc

    def comparison(self, windows: dict, year: int, signings: list[tuple]) -> dict:
        """The flows of each window per unit and in total, and the changes (环比, 同比); ``signings``: the
        (first signing date, unit, planned investment) of the projects first signed in the windows' range."""
        units = [tuple(u) for u in self.q("SELECT code, name FROM unit ORDER BY code", {})]
        if self.q("SELECT 1 FROM project WHERE unit_code IS NULL LIMIT 1", {}).first():
            units.append((None, None))
        known = {code for code, _ in units}
        names = list(windows["windows"])
        params = {"lo": min(s for _, s, _ in windows["windows"].values()),
                  "hi": max(e for _, _, e in windows["windows"].values())}
        for k, (_, start, end) in enumerate(windows["windows"].values()):
            params[f"s{k}"], params[f"e{k}"] = start, end
        metrics = ("signed", "agreed", "capital", "foreign", "investment")
        figs: dict[str, dict] = {n: defaultdict(lambda: dict.fromkeys(metrics, 0)) for n in names}
        for first_on, unit, planned in signings:
            on = _iso(first_on)
            for n, (_, start, end) in windows["windows"].items():
                if start <= on <= end:
                    figs[n][unit]["signed"] += 1
                    figs[n][unit]["agreed"] += int(planned)
        money_sums = ", ".join(MONEY_SUMS.format(k=k) for k in range(len(names)))
        for table, by_currency in (("capital_arrival", {"CNY": "capital", "USD": "foreign"}),
                                   ("investment_completed", {"CNY": "investment"})):
            for unit, cur, *sums in self.q(MONEY_SQL.format(table=table, sums=money_sums), params):
                if cur in by_currency:
                    for k, n in enumerate(names):
                        figs[n][unit][by_currency[cur]] += int(sums[k])

        def block(which) -> dict:
            f = {n: {m: sum(figs[n][u][m] for u in which if u in figs[n])
                     for m in ("signed", "agreed", "capital", "foreign", "investment")} for n in figs}
            out = {n: {"signed": f[n]["signed"],
                       "signed_investment": [{"amount_minor": f[n]["agreed"], "currency": "CNY"}],
                       "capital_in_place": [{"amount_minor": f[n]["capital"], "currency": "CNY"},
                                            {"amount_minor": f[n]["foreign"], "currency": "USD"}],
                       "investment_completed": [{"amount_minor": f[n]["investment"], "currency": "CNY"}]} for n in f}

            def ch(a, b, m):
                now, before = f[a][m], f[b][m]
                return now - before, (None if not before else round((now - before) / before, 4))

            changes = {}
            for cname, (a, b) in (("month_on_month", ("period", "previous")),
                                  ("year_on_year", ("period", "same_period_last_year")),
                                  ("year_to_date_on_year", ("year_to_date", "year_to_date_last_year"))):
                c = {m: ch(a, b, m) for m in ("signed", "agreed", "capital", "foreign", "investment")}
                changes[cname] = {
                    "signed": {"change": c["signed"][0], "rate": c["signed"][1]},
                    "signed_investment": [{"amount_minor": c["agreed"][0], "currency": "CNY", "rate": c["agreed"][1]}],
                    "capital_in_place": [{"amount_minor": c["capital"][0], "currency": "CNY", "rate": c["capital"][1]},
                                         {"amount_minor": c["foreign"][0], "currency": "USD",
                                          "rate": c["foreign"][1]}],
                    "investment_completed": [{"amount_minor": c["investment"][0], "currency": "CNY",
                                              "rate": c["investment"][1]}]}
            return {**out, "changes": changes}

        return {"year": year,
                "windows": {n: {"label": lab, "start": s, "end": e} for n, (lab, s, e) in windows["windows"].items()},
                "totals": block(known), "units": [{"unit": code, "unit_name": name, **block({code})}
                                                  for code, name in units]}


def _reason(code: str, color: str, en: str, zh: str) -> dict:
    return {"code": code, "color": color, "en": en, "zh": zh}


def _ordered(found: list[tuple[str, dict]]) -> tuple[str, list[dict]]:
    red = [x for c, x in found if c == "red"]
    return ("red" if red else "yellow"), red + [x for c, x in found if c != "red"]


def _perf(kind: str, value: int, zh: bool) -> str:
    from workflow.amounts import compact_money

    if kind == "jobs":
        return f"{value}人" if zh else f"{value} people"
    per = ("/亩" if zh else " per mu") if kind == "land_intensity" else ""
    return compact_money(value, "CNY", "zh" if zh else "en") + per


# --- windows ------------------------------------------------------------------------------------------


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def window(period: str, today: date) -> tuple[dict, dict | None]:
    """The report's window (``{"period", "start", "end", "as_of"}``: the as-of date is the period's end
    or today, whichever is earlier) and the windows it is compared with (label, start, end)."""
    from workflow.periods import parse_span

    p = parse_span(period)
    as_of = min(p.end, today)
    w = {"period": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "as_of": as_of.isoformat()}
    end = min(p.end, as_of)
    prev = p.previous()
    year = p.year
    ly_end = _year_earlier(end)
    wins = {"period": (p.label, p.start, end), "previous": (prev.label, prev.start, min(prev.end, as_of)),
            "year_to_date": (f"{year}-YTD", date(year, 1, 1), end),
            "same_period_last_year": (f"{year - 1}{p.label[4:]}", _year_earlier(p.start),
                                      min(_year_earlier(p.end), ly_end)),
            "year_to_date_last_year": (f"{year - 1}-YTD", date(year - 1, 1, 1), ly_end)}
    return w, {"year": year, "windows": {k: (lab, s.isoformat(), e.isoformat()) for k, (lab, s, e) in wins.items()}}


def baseline(engine, kind: str, period: str, today: date, t) -> dict:
    from workflow.settings import in_force, ladder

    w, wins = window(period, today)
    d = _day(w["as_of"])
    with engine.connect() as conn:
        perf = dict(PERFORMANCE_DEFAULTS)
        for key, (value, _, _) in in_force(conn, d, "performance.").items():
            name = key.removeprefix("performance.")
            if name in perf and value is not None:
                perf[name] = int(value)
        b = Baseline(conn, t, ladder(conn, d), perf)
        if kind == "keyprojects":
            return b.keyprojects(w)
        if kind == "leaders":
            return b.leaders(w)
        return b.visits(w, wins)


# --- ours, the check and the rows --------------------------------------------------------------------


def ours(engine, kind: str, period: str, t) -> dict:
    from workflow.reports import lists

    return getattr(lists, kind)(engine, period, thresholds=t)


def thresholds(engine, period: str, today: date):
    """The thresholds in force on the window's as-of date, as the command reads them."""
    from workflow.service import Service

    w, _ = window(period, today)
    return Service(engine, "bench").light_thresholds(as_of=_day(w["as_of"]))


def _plain(doc: dict) -> object:
    return json.loads(json.dumps(doc, ensure_ascii=False, default=str))


def check_equal(kind: str, doc: dict, ref: dict) -> None:
    """Refuse (AssertionError) when our list ``doc`` and the baseline's ``ref`` differ anywhere."""
    mine, theirs = _plain(doc), _plain(ref)
    if mine == theirs:
        return
    for key in sorted(set(mine) | set(theirs)):  # type: ignore[arg-type]
        a, b = mine.get(key), theirs.get(key)  # type: ignore[union-attr]
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                raise AssertionError(f"{kind} {key}: {len(a)} rows, the hand-written SQL {len(b)}")
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    raise AssertionError(f"{kind} {key}[{i}] differs from the hand-written SQL: {x} != {y}")
        raise AssertionError(f"{kind} {key} differs from the hand-written SQL: {a} != {b}")


def substance(kind: str, doc: dict) -> dict[str, int]:
    """What the compared document holds that could differ: counts that must not all be zero."""
    if kind == "keyprojects":
        ps = doc["projects"]
        return {"projects": len(ps), "red_or_yellow": sum(p["light"] in ("red", "yellow") for p in ps),
                "reasons": sum(len(p["reasons_detail"]) for p in ps),
                "leaders": sum(bool(p["lead_leader"]) for p in ps),
                "followups": sum(bool(p["latest_followup"]) for p in ps),
                "plans": sum(bool(p["year_plan"]["amount_minor"]) for p in ps),
                "progress_lights": sum(p["progress_light"] in ("red", "yellow") for p in ps),
                "next_steps": sum(bool(p["next_step"]) for p in ps), "problems": sum(len(p["problems"]) for p in ps)}
    if kind == "leaders":
        ps = [p for x in doc["leaders"] for p in x["projects"]]
        return {"leaders": len(doc["leaders"]), "projects": len(ps), "red": sum(x["red"] for x in doc["leaders"]),
                "yellow": sum(x["yellow"] for x in doc["leaders"]),
                "reasons": sum(len(p["reasons_detail"]) for p in ps),
                "performance": sum(r["code"].startswith("performance") for p in ps for r in p["reasons_detail"]),
                "problems": sum(r["code"] == "problem_escalated" for p in ps for r in p["reasons_detail"]),
                "promises": sum(r["code"] == "promise_missed" for p in ps for r in p["reasons_detail"])}
    ps = doc["projects"]
    return {"projects": len(ps), "construction": doc["totals"]["construction"],
            "production": doc["totals"]["production"], "lights": sum(p["light"] is not None for p in ps),
            "investment": sum(m["amount_minor"] for m in doc["totals"]["investment_completed"]),
            "signed_in_comparison": doc["comparison"]["totals"]["year_to_date"]["signed"]}


def compare(engine, kind: str, period: str, today: date, t, need: tuple[str, ...]) -> dict[str, int]:
    """Ours and the baseline equal for ``kind`` of ``period``; the counts of ``substance`` named in
    ``need`` must be positive (a vacuous comparison fails)."""
    doc, ref = ours(engine, kind, period, t), baseline(engine, kind, period, today, t)
    check_equal(kind, doc, ref)
    found = substance(kind, doc)
    empty = [k for k in need if not found[k]]
    if empty:
        raise AssertionError(f"{kind} {period}: the comparison is vacuous, no {', '.join(empty)} ({found})")
    return found


# What each county must show in each list (the demo county has no year plans, problems, promises or
# 履约 commitments; the generated county has them all).
DEMO_NEEDS = {"keyprojects": ("projects", "red_or_yellow", "reasons", "leaders", "followups"),
              "leaders": ("leaders", "projects", "red", "yellow", "reasons"),
              "visits": ("projects", "construction", "lights", "signed_in_comparison")}
RICH_NEEDS = {"keyprojects": ("projects", "red_or_yellow", "reasons", "leaders", "followups", "plans",
                              "progress_lights", "next_steps", "problems"),
              "leaders": ("leaders", "projects", "red", "yellow", "reasons", "performance", "problems", "promises"),
              "visits": ("projects", "construction", "production", "lights", "investment", "signed_in_comparison")}


def rich_county(workdir: Path, today: date) -> Path:
    """``bench_report.generate``'s county of 300 projects with 履约 commitments of last year for most
    projects in production (some with actuals below, some met, some not reported)."""
    from sqlalchemy import text

    from bench import bench_report
    from workflow.db import make_engine
    from workflow.service import Service

    path = workdir / "lists-check.db"
    url = init_db(path)
    bench_report.generate(url, 300, seed=5)
    engine = make_engine(url)
    rnd = random.Random(5)
    last = today.year - 1
    with engine.connect() as conn:
        producing = conn.execute(text("SELECT code, registered_on FROM project WHERE stage = 'production'")).all()
    svc = Service(engine, "bench")
    for code, registered in producing:
        if rnd.random() < 0.2:
            continue
        reg = _day(registered)
        on = max(reg, date(last, 3, 1))
        svc.add_commitment(code, "output_value", rnd.randrange(1_000, 9_000) * 1_000_000, max(last - 1, reg.year),
                           on=on)
        if rnd.random() < 0.5:
            svc.add_commitment(code, "jobs", rnd.randrange(20, 400), last, on=on)
        r = rnd.random()
        if r < 0.6:  # reported, some below the threshold
            svc.add_performance(code, last, "output_value", rnd.randrange(100, 12_000) * 1_000_000,
                                on=max(on, date(today.year, 1, 15)))
    engine.dispose()
    return path


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(size: str, workdir: Path) -> list[dict]:
    from bench.bench_office import period_for
    from workflow import clock
    from workflow.db import make_engine

    n = SIZES[size]
    today = clock.today()
    periods = {kind: period_for(kind, today) for kind in KINDS}
    # The figures first, on a county where they are not trivial: this year's periods and last year's.
    rich = make_engine(f"sqlite:///{rich_county(workdir, today)}", write=False)
    for kind in KINDS:
        last = f"{today.year - 1}" if kind != "visits" else f"{today.year - 1}-H2"
        found: dict[str, int] = defaultdict(int)
        for period in (periods[kind], last):
            for k, v in compare(rich, kind, period, today, thresholds(rich, period, today), ()).items():
                found[k] += v
        empty = [k for k in RICH_NEEDS[kind] if not found[k]]
        if empty:
            raise AssertionError(f"{kind}: the check county gives no {', '.join(empty)} ({dict(found)})")
    rich.dispose()
    engine = make_engine(f"sqlite:///{demo_county(n)}", write=False)
    rows = []
    repeat = 5 if size == "tiny" else 3
    for kind in KINDS:
        period = periods[kind]
        t = thresholds(engine, period, today)
        compare(engine, kind, period, today, t, DEMO_NEEDS[kind])
        t_base = _best(lambda: baseline(engine, kind, period, today, t), repeat)  # noqa: B023
        t_ours = _best(lambda: ours(engine, kind, period, t), repeat)  # noqa: B023
        r = row(f"report {kind} --period {period} --json figures, {n:,} projects vs hand-written SQL",
                t_ours * 1000, t_base * 1000, "ms", "≤ 3 s at 50,000 (the whole command, office rows)",
                limit=float("inf"), equal=True)
        r["met"] = None
        rows.append(r)
    engine.dispose()
    return rows
