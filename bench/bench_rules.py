"""``rules apply --dry-run`` over many projects and rules, against the same matching in one SQL query.

Ours: ``Service.apply_rules(dry_run=True)`` — the command's real code path: read every
rule, person, open project and active assignment, match all rules with set indexes, walk the
projects in order filling what is missing under the leaders' caps, and build the change list.

Baseline: one SQLite query over the same tables doing the same matching — the rules' stored JSON
conditions unpacked once into materialised CTEs (``json_extract``, ``json_tree``), every open
project tested against every rule, the first match per project and role by priority with a window
function, every team match — fetched in full.  (Reading the JSON with ``json_each`` inside the
pairwise test instead is about four times slower; we compare with the faster query.)  It does less than ours — no
caps, no "already assigned" check, no change documents.

This query is a REFERENCE, not a floor: it tests every open project against every rule (a join on
conditions no index serves), which is not how anyone would match rules in SQL, so beating it says
little about our speed.  The row reports the ratio with no goal (``met`` is None) and is labelled a
reference in its name and in docs/performance.md.

The data is inserted directly with SQLAlchemy Core (not through the command line): projects spread
over 40 units, 20 industries, 8 categories and 12 origins, a fifth of them in a final stage and a
tenth on hold; nobody is assigned yet, so every open project needs filling (the most work).  The
bench checks that ours and the baseline agree on every first responsible person and team member.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import init_db, row

NAME = "rules"
SIZES = {"tiny": (400, 30), "small": (5_000, 100), "full": (50_000, 200)}
REPEAT = {"tiny": 1, "small": 3, "full": 3}

UNITS = [f"U{i:02d}" for i in range(40)]
INDUSTRIES = ["mining", "gold", "energy", "wind", "biomass", "blueberry", "herbs", "hotel", "logistics",
              "food", "timber", "tourism", "chemicals", "machinery", "textiles", "dairy", "rice", "soy",
              "building", "retail"]
CATEGORIES = ["industry", "agriculture", "services", "infrastructure", "tourism", "energy", "mining", "trade"]
ORIGINS = ["浙江", "广东", "北京", "上海", "江苏", "黑龙江", "山东", "香港", "韩国", "俄罗斯", "日本", "美国"]
STAGES = (["lead"] * 20 + ["screening"] * 8 + ["approved"] * 8 + ["signed"] * 10 + ["funding"] * 8
          + ["construction"] * 16 + ["on_hold"] * 10 + ["production"] * 10 + ["rejected"] * 5 + ["withdrawn"] * 5)

BASELINE_SQL = """
WITH r AS MATERIALIZED (
  SELECT ru.id, ru.priority, ru.role, ru.person_login,
         json_extract(ru.conditions, '$.key') AS ckey,
         json_extract(ru.conditions, '$.min_investment_minor') AS cmin,
         json_extract(ru.conditions, '$.max_investment_minor') AS cmax,
         json_type(ru.conditions, '$.categories') IS NOT NULL AS hc,
         json_type(ru.conditions, '$.industries') IS NOT NULL AS hi,
         json_type(ru.conditions, '$.units') IS NOT NULL AS hu,
         json_type(ru.conditions, '$.origins') IS NOT NULL AS ho
  FROM rule ru JOIN person pe ON pe.login = ru.person_login
  WHERE ru."current" = 1 AND ru.active = 1 AND pe.active = 1
    AND (ru.role != 'lead_leader' OR pe.level = 'county')
),
rv AS MATERIALIZED (
  SELECT ru.id, substr(j.path, 3) AS k, CASE WHEN j.path = '$.units' THEN j.value ELSE lower(trim(j.value)) END AS v
  FROM rule ru, json_tree(ru.conditions) j
  WHERE ru."current" = 1 AND ru.active = 1 AND j.type = 'text'
),
m AS (
  SELECT p.id AS project_id, p.code, r.id AS rule_id, r.role, r.person_login,
         ROW_NUMBER() OVER (PARTITION BY p.id, r.role ORDER BY r.priority, r.id) AS rn
  FROM project p JOIN r
    ON (r.ckey IS NULL OR r.ckey = p."key")
   AND (r.role != 'lead_leader' OR p."key" = 1)
   AND (r.cmin IS NULL OR p.planned_investment_minor >= r.cmin)
   AND (r.cmax IS NULL OR p.planned_investment_minor <= r.cmax)
   AND (NOT r.hc OR EXISTS (
        SELECT 1 FROM rv WHERE rv.id = r.id AND rv.k = 'categories' AND rv.v = lower(trim(p.category))))
   AND (NOT r.hi OR EXISTS (
        SELECT 1 FROM rv WHERE rv.id = r.id AND rv.k = 'industries' AND rv.v = lower(trim(p.industry))))
   AND (NOT r.hu OR EXISTS (SELECT 1 FROM rv WHERE rv.id = r.id AND rv.k = 'units' AND rv.v = p.unit_code))
   AND (NOT r.ho OR EXISTS (
        SELECT 1 FROM rv WHERE rv.id = r.id AND rv.k = 'origins' AND rv.v = lower(trim(p.origin))))
  WHERE p.stage NOT IN ('production', 'rejected', 'withdrawn')
)
SELECT code, role, person_login, rule_id FROM m WHERE role = 'team_member' OR rn = 1
"""


def build(path: Path, n_projects: int, n_rules: int, seed: int = 11) -> str:
    """A database with units, people, rules and projects, inserted with Core executemany."""
    from sqlalchemy import insert

    from workflow import encoding, tables
    from workflow.db import make_engine
    from workflow.rules import Conditions

    url = init_db(path)
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    units = [{"code": u, "name": f"单位{u}", "kind": "township" if i < 25 else "department", "created_at": now}
             for i, u in enumerate(UNITS)]
    people = []
    for i in range(30):
        people.append({"login": f"county{i:02d}", "name": f"县领导{i:02d}", "title": "副县长", "level": "county",
                       "unit_code": None, "cap": rnd.choice([None, 5, 10, 20, 40, 80]), "active": True,
                       "created_at": now})
    for u in UNITS:
        people.append({"login": f"head_{u}", "name": f"{u}主要负责人", "title": "书记", "level": "township",
                       "unit_code": u, "cap": None, "active": True, "created_at": now})
    for i in range(80):
        people.append({"login": f"staff{i:02d}", "name": f"专班{i:02d}", "title": None, "level": "department",
                       "unit_code": rnd.choice(UNITS), "cap": None, "active": True, "created_at": now})

    def pick(pool, lo, hi):
        return rnd.sample(pool, rnd.randint(lo, hi))

    specs: list[tuple[str, str, int, Conditions]] = []
    n_lead = max(3, n_rules * 3 // 20)
    n_first = max(3, n_rules // 4)
    for i in range(n_lead - 2):
        cond = (Conditions.build(key=True, industries=pick(INDUSTRIES, 2, 3)) if i % 2 == 0
                else Conditions.build(key=True, units=pick(UNITS, 3, 8)))
        specs.append(("lead_leader", f"county{i % 28:02d}", 10 + i % 5, cond))
    specs.append(("lead_leader", "county28", 90, Conditions.build(key=True)))
    specs.append(("lead_leader", "county29", 99, Conditions.build()))
    for i in range(n_first):
        u = UNITS[i % len(UNITS)]
        if i < len(UNITS):
            specs.append(("first_responsible", f"head_{u}", 10, Conditions.build(units=[u])))
        else:
            specs.append(("first_responsible", f"head_{u}", 5,
                          Conditions.build(units=[u], industries=pick(INDUSTRIES, 1, 2))))
    while len(specs) < n_rules:
        i = len(specs)
        kind = i % 4
        if kind == 0:
            cond = Conditions.build(industries=pick(INDUSTRIES, 1, 2), units=pick(UNITS, 2, 6))
        elif kind == 1:
            cond = Conditions.build(categories=pick(CATEGORIES, 1, 2),
                                    min_investment_minor=rnd.choice([5_000_000_000, 10_000_000_000]))
        elif kind == 2:
            cond = Conditions.build(origins=pick(ORIGINS, 1, 3), key=rnd.choice([None, True]))
        else:
            cond = Conditions.build(industries=pick(INDUSTRIES, 1, 3),
                                    max_investment_minor=rnd.choice([2_000_000_000, 20_000_000_000]))
        specs.append(("team_member", f"staff{i % 80:02d}", rnd.randint(10, 50), cond))
    rules = [{"id": i + 1, "version": 1, "priority": prio, "name": None, "role": role,
              "conditions": cond.text(), "person_login": login, "active": True, "current": True,
              "changed_by": "bench", "changed_at": now} for i, (role, login, prio, cond) in enumerate(specs)]

    start = date.today() - timedelta(days=700)
    projects = []
    for i in range(1, n_projects + 1):
        on = start + timedelta(days=rnd.randrange(0, 600))
        minor = int(10 ** rnd.uniform(6, 9.7)) * 100  # 1 million to 5 billion CNY, in fen
        key = minor >= 10_000_000_000 or rnd.random() < 0.03
        projects.append({
            "id": i, "code": f"P-{i:04d}", "name": f"项目{i}", "investor": f"投资方{i % 997}",
            "origin": rnd.choice(ORIGINS + [None]), "industry": rnd.choice(INDUSTRIES),
            "category": rnd.choice(CATEGORIES + [None]), "key": key, "key_override": True if key else None,
            "planned_investment_minor": minor, "planned_currency": "CNY", "unit_code": rnd.choice(UNITS),
            "plan_sign": None, "plan_fund": None, "plan_break_ground": None, "plan_commission": None,
            "stage": rnd.choice(STAGES), "stage_since": on, "held_from": None, "registered_on": on,
            "last_transition_on": on, "last_followup_on": None, "workflow_name": "investment",
            "workflow_version": 1, "version": 1, "head_seq": 0, "head_hash": encoding.GENESIS, "created_at": now})
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(tables.unit), units)
        conn.execute(insert(tables.person), people)
        conn.execute(insert(tables.rule), rules)
        for k in range(0, n_projects, 5000):
            conn.execute(insert(tables.project), projects[k:k + 5000])
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def _median(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def run(size: str, workdir: Path) -> list[dict]:
    from workflow.db import make_engine
    from workflow.service import Service

    n_projects, n_rules = SIZES[size]
    url = build(workdir / "rules.db", n_projects, n_rules)
    engine = make_engine(url, write=False)
    svc = Service(engine, "bench")

    def baseline():
        with engine.connect() as conn:
            return conn.exec_driver_sql(BASELINE_SQL).all()

    def ours():
        return svc.apply_rules(dry_run=True)

    baseline()  # warm the page cache and the lazy imports for both
    ours()
    t_ours, doc = _median(ours, REPEAT[size])
    t_sql, rows = _median(baseline, REPEAT[size])
    engine.dispose()

    # Same matching: every first responsible person and every team member agree.
    want = {(c, r, p) for c, r, p, _ in rows if r != "lead_leader"}
    got = {(c["code"], c["role"], c["to"]) for c in doc["changes"] if c["role"] != "lead_leader"}
    if want != got:
        raise AssertionError(f"rules bench: ours and the SQL baseline disagree on {len(want ^ got)} assignments")
    leads = sum(c["role"] == "lead_leader" for c in doc["changes"])
    label = (f"rules apply --dry-run: {n_projects:,} projects × {n_rules} rules "
             f"({len(doc['changes']):,} changes, {leads:,} lead leaders under caps) "
             f"vs a pairwise SQL query (reference, not a floor)")
    r = row(label, t_ours, t_sql, "s", "reference", limit=1.0, equal=True)
    r["met"] = None  # a reference: no goal
    return [r]
