"""The bulletin (两月一通报) for a whole year over a county of many projects and their history,
against hand-written SQL for the same figures, measured in the same run.

- ours: ``workflow.reports.bulletin`` (the code path of ``pipeline report bulletin --json``):
  Core aggregates for the flows, one row per project for the snapshot with the light computed by
  the pure ``workflow.lights.compute_light``, for the year and for the year before; the planned
  progress (序时进度) of the year and the signed investment (协议总投资).
- baseline: hand-written SQLite SQL computing the same figures, grouped in the database (each
  project's state on the date read once, in a MATERIALIZED CTE): per unit and stage the projects,
  key projects, projects over 100 million and the lights (one CASE expression with every rule of
  docs/lights-and-reports.md: the planned milestones, screening, signed without capital, follow-ups,
  the planned-progress rule in integer arithmetic, the lead leader, an open problem escalated to the
  ladder's red level on the date, a promised follow-up missed), for the year's end and the year
  before's; per unit signed,
  signed investment, capital and investment by currency; and, in the same statement as the year's
  snapshot (grouped by unit, stage and progress category), the planned progress sums: projects with
  a plan, yearly plan (the newest plan of the year by the as-of date), investment completed in the
  year, planned groundbreakings due, of them started, groundbreakings of the year (first reaching
  construction, not by a resume nor undone by a correction).  Python adds the groups up per unit,
  per category and in total and derives the rates (plan rate, points against time progress, start
  rate) as the bulletin does.  Every figure (the old figures per unit for both years, the progress
  per unit, per category and in total, time progress, signed investment) is checked equal before
  anything is timed.

Goal: ours within 1.5× of the baseline.

A second row: the office's Word bulletin (`pipeline report bulletin --period YEAR --format docx`:
the same figures plus the red and yellow lists, the evaluation's ranking, the summary paragraph, two
charts drawn with Pillow and the python-docx document) against the JSON bulletin (`--json`), both as whole
commands (start-up included) on the same county in the same run, run in turn; goal within 3×.
The document is read back (python-docx) to check it holds the title and two images before anything
is timed.

The county is written through the engine's batch path (``import_projects``, ``bulk_apply``, the
problem commands in ``bulk.run_batch``): engine codes, real hashes, every guard and recording rule
checked.  Every project walks the workflow from a random registration date (some are refused,
withdrawn or held and resumed), with checks, documents, capital in CNY and USD, investment, yearly
investment plans (some revised), follow-ups (some promising the next one, some of those promises
missed), lead leaders, and problems (督办: some closed, some extended, the others escalating up the
ladder); the report covers last calendar year (fully in the past) so most projects moved on after
the as-of date and their stage must be read back from history.
"""

from __future__ import annotations

import calendar
import random
import statistics
import time
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import PIPELINE, init_db, row, time_command
from bench.sqlparts import (
    FIRST_SIGNINGS,
    PLANS_DONE_CTES,
    PROGRESS_SUMS,
    PROMISED_COLUMN,
    REACHED_COLS,
    REACHED_CTE,
    STATE_COLUMNS,
    light_case,
    progress_row,
)

NAME = "report"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
UNITS = [f"U{i:02d}" for i in range(1, 21)]
PATH = ["screening", "approved", "signed", "funding", "construction", "production"]
TRIGGER = {"screening": "submit", "approved": "approve", "signed": "sign", "funding": "fund",
           "construction": "break_ground", "production": "commission"}
GAP = {"screening": (1, 40), "approved": (2, 25), "signed": (10, 200), "funding": (5, 150),
       "construction": (20, 200), "production": (90, 400)}
ZERO = "0" * 64
WAN = 10_000 * 100


def generate(url: str, n: int, *, seed: int = 11) -> int:
    """A county of ``n`` projects with their whole history, written through the engine's batch path
    (``Service.import_projects``, ``Service.bulk_apply`` and ``workflow.bulk.run_batch`` with the
    problem commands): engine codes, real hashes, every guard and recording rule checked.  Returns
    the number of events written."""
    from workflow import bulk
    from workflow.access import WRITERS
    from workflow.commands import act_on_problem, open_problem
    from workflow.db import make_engine
    from workflow.service import Service
    from workflow.store import project_codes

    rnd = random.Random(seed)
    today = date.today()
    first = date(today.year - 3, 1, 1)
    span = (today - first).days
    engine = make_engine(url)
    svc = Service(engine, "bench")
    for u in UNITS:
        svc.add_unit(u, f"单位{u}")
    for k in range(8):
        svc.add_person(f"leader{k}", f"领导{k}", "county")

    rows, stories = [], []
    for i in range(1, n + 1):
        reg = first + timedelta(days=rnd.randrange(span))
        planned = rnd.choice((rnd.randrange(500, 9_000), rnd.randrange(10_000, 300_000))) * WAN
        forced = rnd.random() < 0.05
        key = planned >= 10_000 * WAN or forced
        plan = {}
        if rnd.random() < 0.6:
            plan["sign"] = (reg + timedelta(days=rnd.randrange(30, 400))).isoformat()
        if rnd.random() < 0.4:
            plan["break_ground"] = (reg + timedelta(days=rnd.randrange(120, 700))).isoformat()
        rows.append({"name": f"项目{i}", "investor": f"投资方{i % 997}", "industry": "energy",
                     "investment_minor": planned, "unit": UNITS[i % len(UNITS)], "key": True if forced else None,
                     "plan": plan, "on": reg})
        stories.append(_story(rnd, reg, key, today))

    result = svc.import_projects(rows)
    events = result["imported"] + result["assignments"]
    codes = project_codes(result["first"], result["rows"])
    # The histories, a few thousand projects per transaction (each project's commands in date order).
    ops: list[bulk.Op] = []
    for code, steps in zip(codes, stories, strict=True):
        # the generated tranches are random sizes by construction: confirmed (docs/money.md, plausibility)
        ops.extend(bulk.Op(code, action, on, {**args, "confirm": True} if action == "capital" else args)
                   for on, action, args in steps)
        if len(ops) >= 50_000:
            events += svc.bulk_apply(ops)["events"]
            ops = []
    if ops:
        events += svc.bulk_apply(ops)["events"]

    # Problems (督办) on one project in twelve: opened over the years, most due within weeks;
    # some closed, some extended before their due date, the others left open (escalating).
    opened: list[tuple[str, date, date, str]] = []
    for code, row_, steps in zip(codes, rows, stories, strict=True):
        if rnd.random() >= 0.08:
            continue
        end = min((on for on, action, args in steps if action == "advance"
                   and args["target"] in ("commission", "reject", "withdraw")), default=today)
        if (end - row_["on"]).days < 2:
            continue
        on = row_["on"] + timedelta(days=rnd.randrange((end - row_["on"]).days))
        opened.append((code, on, on + timedelta(days=rnd.randrange(5, 60)), row_["unit"]))

    def open_all(txn):
        projs = txn.lock_many([c for c, _, _, _ in opened])
        ids = []
        for code, on, due, unit in opened:
            proj = projs[code]
            ids.append(open_problem(txn, proj, kind=rnd.choice(("land", "energy", "funding", "permit")),
                                    text=f"{code}用地指标未落实", owner_unit=unit, due=due, on=on))
            txn.done(proj)
        return ids

    ids = bulk.run_batch(engine, "bench", open_all, roles=WRITERS, what="open problems") if opened else []
    acts = []
    for pid, (code, on, due, _) in zip(ids, opened, strict=True):
        r = rnd.random()
        if r < 0.15 and on < due:  # extended before it fell due
            acts.append((code, pid, "extend", on + timedelta(days=rnd.randrange((due - on).days)),
                         due + timedelta(days=rnd.randrange(10, 40))))
        elif r < 0.5:
            closed = due + timedelta(days=rnd.randrange(-5, 40))
            acts.append((code, pid, "close", max(on, closed), None))
    acts = [a for a in acts if a[3] <= today]

    def act_all(txn):
        projs = txn.lock_many([a[0] for a in acts])
        for code, pid, action, on, to in acts:
            proj = projs[code]
            act_on_problem(txn, proj, problem=pid, action=action, text="已协调解决" if action == "close" else "延期",
                           on=on, to=to)
            txn.done(proj)

    if acts:
        bulk.run_batch(engine, "bench", act_all, roles=WRITERS, what="act on problems")
    events += len(ids) + len(acts)
    engine.dispose()
    return events


_RECORDS = {"capital": ("signed", "funding", "construction"), "investment": ("signed", "funding", "construction")}
_FINAL = ("production", "rejected", "withdrawn")


def _story(rnd: random.Random, reg: date, key: bool, today: date) -> list[tuple[date, str, dict]]:
    """One project's commands after registration, dated in order: it walks the workflow from ``reg``
    (some are refused, withdrawn or held and resumed), with checks, documents, capital in CNY and USD,
    investment, yearly investment plans (some revised), follow-ups (some promising the next one) and
    a lead leader for most key projects.  Commands a stage would refuse are left out."""
    steps: list[tuple[date, str, dict]] = []

    def add(on, action, **args):
        steps.append((on, action, args))

    leader = key and rnd.random() < 0.85
    if leader:
        add(reg, "assign", role="lead_leader", login=f"leader{rnd.randrange(8)}", reason="县级领导包保")
    day = reg
    stop_at = PATH.index("production") if rnd.random() < 0.3 else rnd.randrange(len(PATH) + 1)
    if key and not leader:  # a key project signs only with a lead leader
        stop_at = min(stop_at, PATH.index("signed"))
    for target in PATH[:stop_at]:
        day = day + timedelta(days=rnd.randrange(*GAP[target]))
        if day > today:
            break
        if target == "approved":
            for item in ("industrial_policy", "environment", "energy", "land_use"):
                add(day, "check", item=item, result="pass", note=None)
            add(day, "document", kind="committee_decision", number=f"审{rnd.randrange(10**6)}")
            if rnd.random() < 0.08:
                add(day, "advance", target="reject", reason="不符合产业政策")
                break
        if target == "signed":
            add(day, "document", kind="contract", number=f"合{rnd.randrange(10**6)}")
        if target == "funding":  # the first capital moves the project on to funding
            for k in range(rnd.randrange(1, 4)):
                on = day + timedelta(days=30 * k)
                if on > today:
                    break
                cur = "USD" if rnd.random() < 0.1 else "CNY"
                add(on, "capital", amount_minor=rnd.randrange(50, 5_000) * WAN, currency=cur, source=None,
                    allow_duplicate=True)
            continue
        if target == "construction":
            for doc in ("planning_permit", "land_use", "eia", "safety_assessment"):
                add(day, "document", kind=doc, number=f"证{rnd.randrange(10**6)}")
        if target == "production":
            add(day, "document", kind="completion_acceptance", number=f"验{rnd.randrange(10**6)}")
        add(day, "advance", target=TRIGGER[target])
        if target == "construction":
            for k in range(rnd.randrange(0, 4)):
                on = day + timedelta(days=20 + 40 * k)
                if on > today:
                    break
                add(on, "investment", amount_minor=rnd.randrange(100, 8_000) * WAN, currency="CNY",
                    allow_duplicate=True)
        if target in ("signed", "construction") and rnd.random() < 0.1:
            h = day + timedelta(days=rnd.randrange(5, 40))
            r = h + timedelta(days=rnd.randrange(5, 60))
            if h <= today:
                add(h, "advance", target="hold", reason="等待用地指标")
                if r > today:
                    break
                add(r, "advance", target="resume")
                day = r
    if rnd.random() < 0.07:
        w = max(on for on, _, _ in steps) + timedelta(days=rnd.randrange(10, 200)) if steps else reg
        if w <= today:
            add(w, "advance", target="withdraw", reason="投资方战略调整")
    # Yearly investment plans (年度计划投资), set early in each year: most projects being built have
    # one, half of those approved to funding, a fifth of the others; some are revised later in the
    # year.
    for year in range(reg.year, today.year + 1):
        on = max(date(year, 1, 1) + timedelta(days=rnd.randrange(75)), reg + timedelta(days=rnd.randrange(20)))
        if on.year != year or on > today:
            continue
        st = _stage_on(steps, on)
        building = st in ("construction", "on_hold")
        if rnd.random() >= (0.85 if building else 0.5 if st in ("approved", "signed", "funding") else 0.2):
            continue
        amount = rnd.randrange(100, 8_000 if building else 3_000) * WAN
        for _ in range(2):
            add(on, "edit", changes={"year_plan": {year: amount}})
            on = on + timedelta(days=rnd.randrange(60, 250))
            if rnd.random() >= 0.15 or on.year != year or on > today:
                break
            # (never cleared to 0 here: inside one batch the edit compares with the plans already
            # flushed, so a clearing of a plan set earlier in the same batch reads as no change)
            amount = amount + rnd.randrange(1, 8_000) * WAN
    # Follow-ups; two in five promise the next one (some promises are kept, some missed).
    for _ in range(rnd.randrange(0, 7)):
        on = reg + timedelta(days=rnd.randrange(max((today - reg).days, 1)))
        promise = {}
        if rnd.random() < 0.4:
            promise = {"next_on": on + timedelta(days=rnd.randrange(3, 40)), "next_step": "再次对接"}
        add(on, "followup", note="跟进", **promise)
    steps.sort(key=lambda s: s[0])  # stable: a day's commands keep their order
    return _feasible(steps)


def _feasible(steps: list[tuple[date, str, dict]]) -> list[tuple[date, str, dict]]:
    """The steps a project's stage allows when each comes (money in signed to construction, edits and
    follow-ups before a final stage), walking the transitions as the engine fires them."""
    out, stage, held = [], "lead", None
    for on, action, args in steps:
        if action == "advance":
            t = args["target"]
            if stage in _FINAL:
                continue
            if t == "hold":
                held, stage = stage, "on_hold"
            elif t == "resume":
                stage = held
            else:
                stage = {"reject": "rejected", "withdraw": "withdrawn"}.get(t) or PATH[list(TRIGGER.values()).index(t)]
        elif action in _RECORDS and stage not in _RECORDS[action]:
            continue
        elif action in ("followup", "edit", "assign") and stage in _FINAL:
            continue
        elif action == "capital" and stage == "signed":
            stage = "funding"  # the first capital fires fund
        out.append((on, action, args))
    return out


def _stage_on(steps: list[tuple[date, str, dict]], on: date) -> str:
    """The stage a project's transitions (in order) put it in on ``on`` (roughly: for choosing plans)."""
    stage, held = "lead", None
    for when, action, args in steps:
        if when > on:
            continue
        if action == "advance":
            t = args["target"]
            if t == "hold":
                held, stage = stage, "on_hold"
            elif t == "resume":
                stage = held or stage
            else:
                stage = {"reject": "rejected", "withdraw": "withdrawn"}.get(t) or PATH[list(TRIGGER.values()).index(t)]
        elif action == "capital" and stage == "signed":
            stage = "funding"
    return stage


# --- the baseline: hand-written SQL ------------------------------------------------------------------

# ``snap`` is MATERIALIZED: SQLite would otherwise inline it into ``lit`` and ``colored`` and evaluate
# the correlated look-ups of the stage as of the date again at every reference to ``stage``.
SNAPSHOT_SQL = """
WITH """ + PLANS_DONE_CTES + """
, {reached_cte}
snap AS MATERIALIZED (
  SELECT p.unit_code AS unit, p.key AS key, p.planned_investment_minor AS planned,
         p.plan_sign, p.plan_fund, p.plan_break_ground, p.plan_commission, p.registered_on,
""" + STATE_COLUMNS + """
         EXISTS (SELECT 1 FROM problem pb WHERE pb.project_id = p.id AND pb.opened_on <= :d
                   AND COALESCE((SELECT a.action FROM problem_action a WHERE a.problem_id = pb.id
                                   AND a.effective_on <= :d AND a.action IN ('close', 'reopen')
                                 ORDER BY a.event_seq DESC LIMIT 1), 'reopen') = 'reopen'
                   AND julianday(:d) - julianday(COALESCE((SELECT a.due_on FROM problem_action a
                                   WHERE a.problem_id = pb.id AND a.effective_on <= :d AND a.action = 'extend'
                                 ORDER BY a.event_seq DESC LIMIT 1), pb.due_on)) > :problem_late) AS escalated,
""" + PROMISED_COLUMN + """
         COALESCE(pl.plan, 0) AS plan, CASE WHEN pl.plan IS NULL THEN 0 ELSE COALESCE(dn.done, 0) END AS done,
         {reached_cols}
  FROM project p LEFT JOIN plans pl ON pl.pid = p.id LEFT JOIN done dn ON dn.pid = p.id {reached_join}
  WHERE p.registered_on <= :d
), lit AS (
  SELECT *, julianday(:d) - julianday(since) AS in_stage,
         julianday(:d) - julianday(COALESCE(fu, registered_on)) AS quiet,
         CASE stage WHEN 'lead' THEN 0 WHEN 'screening' THEN 1 WHEN 'approved' THEN 2 WHEN 'signed' THEN 3
                    WHEN 'funding' THEN 4 WHEN 'construction' THEN 5 ELSE NULL END AS pos,
         CASE WHEN stage IN ('rejected', 'withdrawn', 'retired')
                   OR NOT (plan > 0 OR planned_start OR started_in_year) THEN NULL
              WHEN prod >= :ystart THEN 'completed'
              WHEN cons IS NULL AND prod IS NULL THEN 'preparatory'
              WHEN COALESCE(cons, prod) >= :ystart THEN 'new'
              ELSE 'continuing' END AS category
  FROM snap
), colored AS (
  SELECT *, CASE
""" + light_case("leader") + """ AS light
  FROM lit
)
SELECT unit, stage, category, count(*),
       sum(CASE WHEN key AND stage NOT IN ('rejected', 'withdrawn', 'retired') THEN 1 ELSE 0 END),
       sum(CASE WHEN planned >= 10000000000 AND stage NOT IN ('rejected', 'withdrawn', 'retired') THEN 1 ELSE 0 END),
       sum(light = 'red'), sum(light = 'yellow'),
       sum(plan > 0), sum(plan), sum(done), sum(planned_start), sum(planned_start AND started),
       sum(started_in_year)
FROM colored GROUP BY unit, stage, category
"""

NO_REACHED_COLS = "0 AS planned_start, NULL AS cons, NULL AS prod, 0 AS started, 0 AS started_in_year"

# Behind time progress (elapsed = :pnum / :pden of the year), in exact integer arithmetic:
# by points, (elapsed - done / plan) * 100 > limit; by the relative rule, done / plan < limit % of elapsed.
BEHIND_POINTS = "(:pnum * 100 * plan - :pden * 100 * MAX(done, 0) > {limit} * :pden * plan)"
BEHIND_RATIO = "(100 * MAX(done, 0) * :pden < {limit} * plan * :pnum)"

SIGNED_SQL = """
SELECT p.unit_code, count(*), sum(p.planned_investment_minor) FROM
  """ + FIRST_SIGNINGS + """
 s
  JOIN project p ON p.id = s.project_id
WHERE s.first_on BETWEEN :start AND :end GROUP BY p.unit_code
"""

MONEY_SQL = """
SELECT p.unit_code, m.currency, sum(m.amount_minor) FROM {table} m JOIN project p ON p.id = m.project_id
WHERE m.effective_on BETWEEN :start AND :end GROUP BY p.unit_code, m.currency
"""

CATEGORIES = ("new", "continuing", "completed", "preparatory")


def _snapshot_sql(t, progress: bool) -> str:
    rule = BEHIND_RATIO if t.progress_ratio_rule else BEHIND_POINTS
    red, yellow = ((t.progress_red_ratio_pct, t.progress_yellow_ratio_pct) if t.progress_ratio_rule
                   else (t.progress_red_points, t.progress_yellow_points))
    return SNAPSHOT_SQL.format(
        reached_cte=REACHED_CTE if progress else "", reached_cols=REACHED_COLS if progress else NO_REACHED_COLS,
        reached_join="LEFT JOIN reached r ON r.pid = p.id" if progress else "",
        behind_red=rule.format(limit=int(red)), behind_yellow=rule.format(limit=int(yellow)))


def _elapsed(as_of: date, t) -> Fraction:
    """Time progress (序时进度) of the as-of date: by month, or by day of the year."""
    if t.progress_by_day:
        return Fraction(as_of.timetuple().tm_yday, 366 if calendar.isleap(as_of.year) else 365)
    return Fraction(as_of.month, 12)


def _problem_late(lad) -> int:
    """An open problem makes its project red when it is more than this many days overdue: the
    lateness from which the ladder's level reaches its red level (docs/supervision.md)."""
    return {5: lad.top_leader_days, 4: lad.county_leader_days, 3: lad.unit_head_days, 2: 0,
            1: -lad.remind_days - 1}.get(lad.red_level, -10**9)


def _baseline_figures(conn, start: date, end: date, as_of: date, t, lad, *, progress: bool = False) -> dict:
    from sqlalchemy import text

    figs: dict = defaultdict(lambda: {"stages": defaultdict(int), "signed": 0, "capital": defaultdict(int),
                                      "investment": defaultdict(int), "key": 0, "over": 0, "red": 0, "yellow": 0,
                                      "signed_investment": 0})
    elapsed = _elapsed(as_of, t)
    params = {"d": as_of.isoformat(), "year": as_of.year, "ystart": date(as_of.year, 1, 1).isoformat(),
              "pnum": elapsed.numerator, "pden": elapsed.denominator,
              "screening_red": t.screening_red_days,
              "screening_yellow": t.screening_yellow_days, "signed_red": t.signed_no_capital_red_days,
              "followup_red": t.followup_red_days, "followup_yellow": t.followup_yellow_days,
              "due": t.milestone_due_days, "problem_late": _problem_late(lad)}
    # (unit, category) -> the progress sums of the projects with a plan or a planned groundbreaking
    groups: dict = defaultdict(lambda: dict.fromkeys(PROGRESS_SUMS, 0))
    for (unit, stage, category, n, key, over, red, yellow,
         with_plan, plan, done, planned_starts, started, in_year) in conn.execute(text(_snapshot_sql(t, progress)),
                                                                                  params):
        f = figs[unit]
        f["stages"][stage] += n
        f["key"] += key
        f["over"] += over
        f["red"] += red or 0
        f["yellow"] += yellow or 0
        if category is not None:
            g = groups[unit, category]
            for k, v in zip(PROGRESS_SUMS, (with_plan, plan, done, planned_starts, started, in_year), strict=True):
                g[k] += v
    window = {"start": start.isoformat(), "end": end.isoformat()}
    for unit, n, agreed in conn.execute(text(SIGNED_SQL), window):
        figs[unit]["signed"] = n
        figs[unit]["signed_investment"] = agreed
    for label, table in (("capital", "capital_arrival"), ("investment", "investment_completed")):
        for unit, cur, total in conn.execute(text(MONEY_SQL.format(table=table)), window):
            figs[unit][label][cur] = total
    if progress:
        figs["progress"] = _progress_doc(groups, as_of, elapsed, t)
    return figs


def _progress_doc(groups: dict, as_of: date, elapsed: Fraction, t) -> dict:
    """The bulletin's ``progress`` from the (unit, category) sums; a unit without a group is left out
    (its row is all zeros: ``zero_unit``).  A unit's row has its own categories too."""

    def unit_row(sums: list[tuple[str, Any]]) -> dict:
        return {**progress_row((g for _, g in sums), elapsed),
                "categories": [{"category": c, **progress_row((g for gc, g in sums if gc == c), elapsed)}
                               for c in CATEGORIES]}

    return {"year": as_of.year, "as_of": as_of.isoformat(), "time_progress": round(float(elapsed * 100), 2),
            "time_by": "day" if t.progress_by_day else "month",
            "totals": progress_row(groups.values(), elapsed),
            "units": {u: unit_row([(gc, g) for (gu, gc), g in groups.items() if gu == u])
                      for u in {gu for gu, _ in groups}},
            "categories": {c: progress_row((g for (_, gc), g in groups.items() if gc == c), elapsed)
                           for c in CATEGORIES},
            "zero": progress_row((), elapsed), "zero_unit": unit_row([])}


def baseline(engine, year: int, as_of: date, t, lad=None) -> dict:
    from workflow.settings import ladder

    with engine.connect() as conn:
        prev_as_of = min(date(year - 1, 12, 31), as_of)
        # the escalation ladder's stored figures in force on each window's date (docs/supervision.md)
        now = _baseline_figures(conn, date(year, 1, 1), min(date(year, 12, 31), as_of), as_of, t,
                                lad or ladder(conn, as_of), progress=True)
        before = _baseline_figures(conn, date(year - 1, 1, 1), prev_as_of, prev_as_of, t,
                                   lad or ladder(conn, prev_as_of))
    progress = now.pop("progress")
    return {"now": now, "before": before, "progress": progress,
            "signed_investment": sum(f["signed_investment"] for f in now.values())}


def _comparable_ours(doc: dict) -> dict:
    """Our bulletin in the baseline's shape (non-zero values only)."""
    def one(f):
        return {"stages": {k: v for k, v in f["projects_by_stage"].items() if v}, "signed": f["signed"],
                "capital": {m["currency"]: m["amount_minor"] for m in f["capital_in_place"] if m["amount_minor"]},
                "investment": {m["currency"]: m["amount_minor"] for m in f["investment_completed"]
                               if m["amount_minor"]},
                "key": f["key_projects"], "over": f["over_100m"], "red": f["red"], "yellow": f["yellow"]}

    def figures(r):
        return {k: v for k, v in r.items() if k not in ("unit", "unit_name", "category")}

    p = doc["progress"]
    progress = {**{k: p[k] for k in ("year", "as_of", "time_progress", "time_by")}, "totals": p["totals"],
                "units": {u["unit"]: figures(u) for u in p["units"]},
                "categories": {c["category"]: figures(c) for c in p["categories"]}}
    return {"now": {u["unit"]: one(u) for u in doc["units"]},
            "before": {u["unit"]: one(u["previous"]) for u in doc["units"]},
            "progress": progress, "signed_investment": doc["signed_investment"]}


def _comparable_base(base: dict) -> dict:
    def one(f):
        return {"stages": {k: v for k, v in f["stages"].items() if v}, "signed": f["signed"],
                "capital": {k: v for k, v in f["capital"].items() if v},
                "investment": {k: v for k, v in f["investment"].items() if v},
                "key": f["key"], "over": f["over"], "red": f["red"], "yellow": f["yellow"]}

    out: dict = {which: {u: one(base[which][u]) if u in base[which] else None for u in UNITS}
                 for which in ("now", "before")}
    out["progress"] = base["progress"]
    out["signed_investment"] = {"amount_minor": base["signed_investment"], "currency": "CNY"}
    return out


def check_equal(doc: dict, ref: dict) -> None:
    """Refuse (AssertionError) when our bulletin ``doc`` and the baseline's figures ``ref`` differ in
    any figure the baseline computes."""
    mine = _comparable_ours(doc)
    theirs = _comparable_base(ref)
    for which in ("now", "before"):
        for unit in UNITS:
            expected = theirs[which][unit]
            got = mine[which][unit]
            if expected is None:
                expected = {"stages": {}, "signed": 0, "capital": {}, "investment": {}, "key": 0, "over": 0,
                            "red": 0, "yellow": 0}
            if got != expected:
                raise AssertionError(f"bulletin differs from the hand-written SQL for {unit} ({which}): "
                                     f"{got} != {expected}")
    if mine["signed_investment"] != theirs["signed_investment"]:
        raise AssertionError(f"signed investment differs from the hand-written SQL: {mine['signed_investment']} "
                             f"!= {theirs['signed_investment']}")
    for part in ("year", "as_of", "time_progress", "time_by", "totals"):
        if mine["progress"][part] != theirs["progress"][part]:
            raise AssertionError(f"progress {part} differs from the hand-written SQL: {mine['progress'][part]} "
                                 f"!= {theirs['progress'][part]}")
    if list(mine["progress"]["categories"]) != list(CATEGORIES):
        raise AssertionError(f"progress categories: {list(mine['progress']['categories'])} != {list(CATEGORIES)}")
    if not set(theirs["progress"]["units"]) <= set(mine["progress"]["units"]):
        raise AssertionError(f"progress units: {sorted(mine['progress']['units'], key=str)} lacks some of "
                             f"{sorted(theirs['progress']['units'], key=str)}")
    for part, zero in (("units", "zero_unit"), ("categories", "zero")):
        for k, got in mine["progress"][part].items():
            expected = theirs["progress"][part].get(k, theirs["progress"][zero])
            if got != expected:
                raise AssertionError(f"progress differs from the hand-written SQL for {k}: {got} != {expected}")


def _best(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run(size: str, workdir: Path) -> list[dict]:
    from workflow import reports
    from workflow.db import make_engine
    from workflow.lights import Thresholds

    n = SIZES[size]
    path = workdir / "report.db"
    url = init_db(path)
    events = generate(url, n)
    engine = make_engine(url, write=False)
    year = date.today().year - 1
    as_of = date(year, 12, 31)
    t = Thresholds()

    def ours():
        return reports.bulletin(engine, str(year), thresholds=t)

    def base():
        return baseline(engine, year, as_of, t)

    # Same figures first (and a warm cache for both).
    doc, ref = ours(), base()
    check_equal(doc, ref)
    repeat = 5 if size == "tiny" else 3
    t_base, _ = _best(base, repeat)
    t_ours, _ = _best(ours, repeat)
    engine.dispose()
    label = f"bulletin {year} (and {year - 1}), {n:,} projects, {events:,} events"
    return [row(label, t_ours, t_base, "s", "≤ 1.5×", limit=1.5, equal=True), docx_row(path, year, n, repeat)]


def docx_row(path: Path, year: int, n: int, repeat: int) -> dict:
    """`report bulletin --format docx` against `report bulletin --json`, whole commands."""
    import docx

    env = {"PIPELINE_DB": str(path), "PIPELINE_USER": "bench", "NO_COLOR": "1", "PIPELINE_LANG": "zh"}
    out = path.with_name("bulletin.docx")
    as_docx = [PIPELINE, "report", "bulletin", "--period", str(year), "--format", "docx", "--output", str(out)]
    as_json = [PIPELINE, "report", "bulletin", "--period", str(year), "--json"]
    time_command(as_docx, repeat=1, env=env)  # written once and checked before it is timed
    d = docx.Document(str(out))
    images = [r for r in d.part.rels.values() if "image" in r.reltype]
    from workflow.office import TITLES

    if TITLES["bulletin"] not in (p.text for p in d.paragraphs) or len(images) != 2:
        raise AssertionError("the DOCX bulletin lacks its title or its two charts")
    # Interleaved (one of each in turn), so that a change in the machine's load weighs on both alike.
    jsons, docxs = [], []
    for _ in range(repeat):
        jsons.append(time_command(as_json, repeat=1, env=env))
        docxs.append(time_command(as_docx, repeat=1, env=env))
    t_json, t_docx = statistics.median(jsons), statistics.median(docxs)
    return row(f"bulletin {year} as DOCX vs --json, {n:,} projects (whole commands)", t_docx, t_json, "s",
               "≤ 3×", limit=3.0)
