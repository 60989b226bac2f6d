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
        limit: float) -> dict:
    """A result row; ``ratio`` is ours/baseline, compared with ``limit`` as the goal states it."""
    ratio = ours / baseline if baseline else None
    met = None if ratio is None else (ratio >= limit if higher_is_better else ratio <= limit)
    return {"benchmark": benchmark, "ours": ours, "baseline": baseline, "unit": unit, "ratio": ratio,
            "goal": goal, "met": met}


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
