"""``pipeline import`` of a 50,000-row ledger against raw ``sqlite3`` ``executemany`` of the same rows.

- ours: ``pipeline import ledger.csv`` as a subprocess (start-up included): the file read and every
  cell checked (amounts in the 万/亿 forms of docs/money.md, dates, yes/no, units, duplicates), then ONE
  transaction registering every project with its hash-chained ``registered`` event and the rules hook.
- baseline: ``python -c`` (start-up included) reading the same CSV with the ``csv`` module and inserting
  one ``project`` row per line with ``executemany`` into the same schema with the same pragmas — the
  cells stored as they are, no checks, no history: the floor for putting those rows in the database.
- for reference: the same floor plus one ``event`` row per project (a constant payload and hash).

Each side runs on a fresh database (made outside the timing), alternating, best of the rounds; the
goal is ours within 8× of the floor.  The imported database is checked (row count, chains verify).

Memory: the peak resident set (``VmHWM`` of the importing process itself) of ``pipeline import`` of a
big ledger into a database whose leader rules give every project three assignments (a first
responsible person and two team members), so each row writes four events: at full size 250,000 rows,
1,000,000 events.  The same import of 1,000 rows in the same run is the baseline; the goal is the big
import within 200 MiB.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import PIPELINE, init_db, peak_rss_mib, row

NAME = "import"
SIZES = {"tiny": 500, "small": 5_000, "full": 50_000}
ROUNDS = {"tiny": 1, "small": 3, "full": 5}
GOAL = 8.0
MEMORY_ROWS = {"tiny": 2_000, "small": 25_000, "full": 250_000}  # four events a row
MEMORY_BASELINE_ROWS = 1_000
MEMORY_GOAL_MIB = 200
EVENTS_PER_ROW = 4  # registered, first responsible, two team members
HEADERS = ["项目名称", "投资方", "投资方来源", "行业", "类别", "计划总投资", "责任单位", "重点项目",
           "计划签约日期", "计划到资日期", "计划开工日期", "计划投产日期", "登记日期"]
INDUSTRIES = ("采矿业", "新能源", "农产品加工", "中医药", "文化旅游", "商贸物流")
AMOUNTS = ("{w}万", "{w}万元", "{y}", "{e}", "{g}", "{a}亿")

BASELINE = r"""
import csv, sqlite3, sys
from datetime import datetime, timezone
db, path, events = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
con = sqlite3.connect(db, isolation_level=None)
for pragma in ("journal_mode=WAL", "busy_timeout=60000", "foreign_keys=ON", "synchronous=FULL"):
    con.execute("PRAGMA " + pragma)
now = datetime.now(timezone.utc).isoformat(" ")
rows = []
with open(path, encoding="utf-8-sig", newline="") as f:
    reader = csv.reader(f)
    next(reader)
    for i, r in enumerate(reader, 1):
        day = r[12] or now[:10]
        rows.append((i, "P-%04d" % i, r[0], r[1], r[2] or None, r[3], r[4] or None, r[7] == "是", r[5], "CNY",
                     r[6], r[8] or None, r[9] or None, r[10] or None, r[11] or None, "lead", day, day, day,
                     "investment", 1, 1, 1, "0" * 64, now))
con.execute("BEGIN IMMEDIATE")
con.executemany(
    "INSERT INTO project (id, code, name, investor, origin, industry, category, key, planned_investment_minor,"
    " planned_currency, unit_code, plan_sign, plan_fund, plan_break_ground, plan_commission, stage, stage_since,"
    " registered_on, last_transition_on, workflow_name, workflow_version, version, head_seq, head_hash, created_at)"
    " VALUES (" + ",".join("?" * 25) + ")", rows)
if events:
    con.executemany(
        "INSERT INTO event (project_id, seq, kind, to_stage, effective_on, recorded_at, actor, payload, prev_hash,"
        " hash) VALUES (?, 1, 'registered', 'lead', ?, ?, 'bench', '{}', ?, ?)",
        [(r[0], r[16], now, "0" * 64, "0" * 64) for r in rows])
con.execute("COMMIT")
"""


def write_ledger(path: Path, n: int, seed: int = 7) -> None:
    """A ledger of ``n`` distinct projects over six units, amounts in every form of docs/money.md."""
    rnd = random.Random(seed)
    today = date.today()
    units = ["XH", "FGW", "U1", "U2", "U3", "U4"]
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for i in range(1, n + 1):
            wan = rnd.randrange(100, 200_000)
            form = AMOUNTS[i % len(AMOUNTS)]
            amount = form.format(w=wan, y=wan * 10_000, e=f"{wan}e4", g=f"{wan * 10_000:,}", a=wan / 10_000)
            reg = today - timedelta(days=rnd.randrange(0, 365))
            sign = reg + timedelta(days=rnd.randrange(30, 200))
            w.writerow([f"示范项目{i}号", f"投资方{i % 1_000}有限公司", rnd.choice(("哈尔滨", "北京", "香港")),
                        rnd.choice(INDUSTRIES), rnd.choice(("工业", "农业", "服务业")), amount, units[i % 6],
                        rnd.choice(("是", "否", "")), sign.isoformat(), "", "", "", reg.isoformat()])


def fresh_db(path: Path) -> str:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists():
            p.unlink()
    url = init_db(path, admin="bench")
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(url)
    svc = Service(engine, "bench")
    for code in ("U1", "U2", "U3", "U4"):
        svc.add_unit(code, f"{code}乡")
    svc.add_user("coord", "coordinator")
    engine.dispose()
    return url


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the child) of one command."""
    before = os.times()
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    after = os.times()
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def ruled_db(path: Path) -> str:
    """A fresh database whose rules give every project a first responsible person and two team members."""
    url = fresh_db(path)
    from workflow import clock, rules
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(url)
    svc = Service(engine, "bench")
    for login, name, role, priority in (("head", "乡镇长", "first_responsible", 1),
                                        ("aide1", "专班一", "team_member", 2), ("aide2", "专班二", "team_member", 3)):
        svc.add_person(login, name, "township", unit="XH")
        rules.add_rule(svc, role=role, person=login, priority=priority, conditions=rules.Conditions(),
                       effective_on=clock.FIRST_DAY)
    engine.dispose()
    return url


def import_memory(ledger: Path, db: Path, rows: int) -> tuple[float, int]:
    """Peak memory (MiB) of importing ``ledger`` into a fresh ruled database, and the events written."""
    import sqlite3

    ruled_db(db)
    mib = peak_rss_mib(["--db", str(db), "--as", "coord", "--lang", "en", "import", str(ledger)])
    with contextlib.closing(sqlite3.connect(db)) as con:
        projects, events = con.execute("SELECT (SELECT count(*) FROM project), (SELECT count(*) FROM event)").fetchone()
    if projects != rows or events != rows * EVENTS_PER_ROW:
        raise RuntimeError(f"the memory import wrote {projects} projects and {events} events for {rows} rows")
    return mib, events


def memory_row(size: str, workdir: Path) -> dict:
    n, base_n = MEMORY_ROWS[size], MEMORY_BASELINE_ROWS
    big, small = workdir / "memory-big.csv", workdir / "memory-small.csv"
    write_ledger(big, n)
    write_ledger(small, base_n)
    t = time.perf_counter()
    big_mib, big_events = import_memory(big, workdir / "memory-big.db", n)
    print(f"  imported {n:,} rows ({big_events:,} events) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    small_mib, small_events = import_memory(small, workdir / "memory-small.db", base_n)
    for p in (big, small):
        p.unlink()
    return {"benchmark": f"peak memory of import: {n:,} rows ({big_events:,} events) vs {base_n:,} rows "
                         f"({small_events:,} events)",
            "ours": big_mib, "baseline": small_mib, "unit": "MiB", "ratio": big_mib / small_mib,
            "goal": f"≤ {MEMORY_GOAL_MIB} MiB", "met": big_mib <= MEMORY_GOAL_MIB}


def run(size: str, workdir: Path) -> list[dict]:
    n = SIZES[size]
    ledger = workdir / "ledger.csv"
    write_ledger(ledger, n)
    ours_db, base_db = workdir / "ours.db", workdir / "base.db"
    env = {"PIPELINE_LANG": "en", "PIPELINE_USER": "coord", "PIPELINE_DB": str(ours_db)}
    ours, base, base_ev = [], [], []
    for _ in range(ROUNDS[size]):
        fresh_db(ours_db)
        ours.append(timed([PIPELINE, "import", str(ledger)], env))
        _check(ours_db, n)
        fresh_db(base_db)
        base.append(timed([sys.executable, "-c", BASELINE, str(base_db), str(ledger), "0"]))
        fresh_db(base_db)
        base_ev.append(timed([sys.executable, "-c", BASELINE, str(base_db), str(ledger), "1"]))
    check_equal(ours_db, base_db)
    wall = (min(w for w, _ in ours), min(w for w, _ in base), min(w for w, _ in base_ev))
    cpu = (min(c for _, c in ours), min(c for _, c in base), min(c for _, c in base_ev))
    label = f"import {n:,} rows, start-up included"
    return [
        row(f"{label} (wall) vs sqlite3 executemany of the rows", wall[0], wall[1], "s", f"≤ {GOAL:g}×", limit=GOAL,
            equal=True),
        row(f"{label} (CPU) vs sqlite3 executemany of the rows", cpu[0], cpu[1], "s", f"≤ {GOAL:g}×", limit=GOAL,
            equal=True),
        {**row(f"{label} (wall) vs executemany of rows + one event each", wall[0], wall[2], "s", "reference",
               limit=GOAL, equal=True), "met": None},
        memory_row(size, workdir),
    ]


def check_equal(ours: Path, base: Path) -> None:
    """Ours and the floor put the same projects in: the same codes, names, investors and units, in
    the same order (the floor stores the other cells as they are, unchecked)."""
    import sqlite3

    def projects(path: Path) -> list[tuple]:
        con = sqlite3.connect(path)
        try:
            return con.execute("SELECT code, name, investor, unit_code FROM project ORDER BY id").fetchall()
        finally:
            con.close()

    if projects(ours) != projects(base):
        raise AssertionError("import bench: ours and the sqlite3 floor stored different projects")


def _check(db: Path, n: int) -> None:
    """The import really happened: every row is a project and the chains verify."""
    env = {**os.environ, "PIPELINE_DB": str(db), "PIPELINE_USER": "bench", "PIPELINE_LANG": "en"}
    done = subprocess.run([PIPELINE, "audit", "verify", "--json"], capture_output=True, text=True, env=env)
    if done.returncode != 0 or f'"projects": {n}' not in done.stdout:
        raise RuntimeError(f"the imported database does not verify: {done.stdout[-500:]} {done.stderr[-500:]}")


if __name__ == "__main__":  # pragma: no cover
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for r in run(sys.argv[1] if len(sys.argv) > 1 else "small", Path(tmp)):
            print(r)
