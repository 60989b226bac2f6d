"""Helpers shared by the benchmarks: timing, fresh databases, fast synthetic data."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PIPELINE = str(Path(sys.executable).with_name("pipeline"))


def row(benchmark: str, ours: float, baseline: float, unit: str, goal: str, *, higher_is_better: bool = False,
        limit: float, equal: bool | None = None, old_baseline: float | None = None) -> dict:
    """A result row; ``ratio`` is ours/baseline, compared with ``limit`` as the goal states it.

    ``equal``: True once the benchmark checked that ours and the baseline give the same results
    (None where there is nothing to compare, e.g. our own command at another size).
    ``old_baseline``: where a baseline was replaced by an honest one, the old one measured in the
    same run, so the table shows both (``old_ratio`` is ours/old)."""
    ratio = ours / baseline if baseline else None
    met = None if ratio is None else (ratio >= limit if higher_is_better else ratio <= limit)
    out = {"benchmark": benchmark, "ours": ours, "baseline": baseline, "unit": unit, "ratio": ratio,
           "goal": goal, "met": met, "equal": equal}
    if old_baseline is not None:
        out["old_baseline"] = old_baseline
        out["old_ratio"] = ours / old_baseline if old_baseline else None
    return out


def time_command(argv: list[str], *, repeat: int, env: dict | None = None) -> float:
    """Median wall time of a whole command (start-up included)."""
    full_env = {**os.environ, **(env or {})}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def init_db(path: Path, admin: str = "bench") -> str:
    """A fresh, migrated SQLite database with an admin, a coordinator and two units."""
    from workflow.db import make_engine, upgrade
    from workflow.service import Service

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    svc = Service(engine, admin)
    svc.bootstrap_admin(admin)
    svc.add_unit("XH", "新华镇")
    svc.add_unit("FGW", "发改局", "department")
    engine.dispose()
    return url


def populate(url: str, n: int, *, seed: int = 7) -> None:
    """``n`` registered projects with their first history event, inserted in bulk (Core executemany)
    with real hashes, so reads and verification see realistic rows."""
    import random
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import insert

    from workflow import encoding, tables
    from workflow.db import make_engine
    from workflow.encoding import document_hash, payload_text

    rnd = random.Random(seed)
    engine = make_engine(url)
    now = datetime.now(UTC)
    start = date.today() - timedelta(days=400)
    projects, events = [], []
    for i in range(1, n + 1):
        code = f"P-{i:04d}"
        on = start + timedelta(days=rnd.randrange(0, 365))
        minor = rnd.randrange(1_000, 300_000) * 10_000 * 100
        payload = {"name": f"项目{i}", "investor": f"投资方{i % 997}", "origin": None, "industry": "energy",
                   "category": None, "key": minor >= 10_000_000_000, "planned_investment_minor": minor,
                   "unit_code": "XH" if i % 2 else "FGW", "workflow_name": "investment", "workflow_version": 1,
                   "plan": {"sign": None, "fund": None, "break_ground": None, "commission": None}}
        h = document_hash(project=code, seq=1, kind="registered", trigger=None, from_stage=None, to_stage="lead",
                             effective_on=on, recorded_at=now, actor="bench", reason=None, payload=payload,
                             prev_hash=encoding.GENESIS)
        projects.append({"id": i, "code": code, "name": payload["name"], "investor": payload["investor"],
                         "origin": None, "industry": "energy", "category": None, "key": payload["key"],
                         "key_override": None, "planned_investment_minor": minor, "planned_currency": "CNY",
                         "unit_code": payload["unit_code"], "plan_sign": None, "plan_fund": None,
                         "plan_break_ground": None, "plan_commission": None, "stage": "lead", "stage_since": on,
                         "held_from": None, "registered_on": on, "last_transition_on": on, "last_followup_on": None,
                         "workflow_name": "investment", "workflow_version": 1, "version": 1, "head_seq": 1,
                         "head_hash": h, "created_at": now})
        events.append({"project_id": i, "seq": 1, "kind": "registered", "trigger": None, "from_stage": None,
                       "to_stage": "lead", "effective_on": on, "recorded_at": now, "actor": "bench", "reason": None,
                       "payload": payload_text(payload), "prev_hash": encoding.GENESIS, "hash": h})
    with engine.begin() as conn:
        for k in range(0, n, 5000):
            conn.execute(insert(tables.project), projects[k:k + 5000])
            conn.execute(insert(tables.event), events[k:k + 5000])
    engine.dispose()


_DEMO: dict[int, Path] = {}


def demo_county(n: int) -> Path:
    """The SQLite file of ``pipeline demo --projects n`` (the engine's batch path), built once per run
    and shared by the benchmarks that only read it (``export``, ``office``); removed at exit."""
    if n not in _DEMO:
        import atexit
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix=f"bench-demo-{n}-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        db = tmp / "county.db"
        env = {**os.environ, "PIPELINE_DB": f"sqlite:///{db}", "PIPELINE_USER": "bench", "PIPELINE_LANG": "zh"}
        subprocess.run([PIPELINE, "demo", "--projects", str(n), "--no-show"], check=True, capture_output=True,
                       env=env)
        _DEMO[n] = db
    return _DEMO[n]


_RSS_SCRIPT = r"""
import contextlib, os, sys
from cli.app import main
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    code = main(sys.argv[1:])
# VmHWM is this process image's own peak; ru_maxrss would carry the parent's peak across fork and exec.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(code, hwm / 1024)
"""


def peak_rss_mib(args: list[str], env: dict | None = None) -> float:
    """Peak resident memory (MiB) of one ``pipeline`` command (``args``) run in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, *args], capture_output=True, text=True,
                          timeout=3600, env={**os.environ, **(env or {})})
    code, mib = proc.stdout.split()[-2:]
    if code != "0":
        raise RuntimeError(f"{args} exited {code}: {proc.stderr[-2000:]}")
    return float(mib)
