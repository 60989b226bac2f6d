"""``pipeline shell`` against one-shot commands (docs/usage.md, `pipeline shell`).

- ours: ``project show CODE`` typed in ``pipeline shell`` — the median time of a line, measured
  inside one shell process (the database stays open, the command objects are built once); and a
  script of N ``project show`` lines piped to ``pipeline shell``, whole;
- baseline: the same ``pipeline project show CODE`` run as its own process each time (start-up
  included), in the same run.

Goal: a line's median at most 30 ms on the 50,000-project county (the ``full`` size).

Before timing, three ``project show`` lines piped to the shell are checked to print what the three
one-shot commands print (``equal`` True).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import PIPELINE, init_db, populate, row

NAME = "shell"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
GOAL_MS = 30.0

_LINES = r"""
import contextlib, os, random, statistics, sys, time
import cli.app  # noqa: F401 - binds the shell to main
from cli import shell_cmds
from cli.context import STATE
n, count = int(sys.argv[1]), int(sys.argv[2])
STATE.keep_engines = True
rnd = random.Random(5)
times = []
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    for _ in range(count):
        t0 = time.perf_counter()
        code = shell_cmds.run_line(f"project show P-{rnd.randrange(1, n + 1)}")
        times.append(time.perf_counter() - t0)
        assert code == 0, code
print(statistics.median(times[1:]))
"""


def check_equal(codes: list[str], env: dict) -> None:
    """The shell prints for ``project show CODE`` lines what the one-shot commands print."""
    shell = subprocess.run([PIPELINE, "shell"], input="".join(f"project show {c}\n" for c in codes), text=True,
                           env=env, check=True, capture_output=True).stdout
    one_shot = "".join(subprocess.run([PIPELINE, "project", "show", c], env=env, check=True, capture_output=True,
                                      text=True).stdout for c in codes)
    if shell != one_shot:
        raise AssertionError(f"shell bench: the shell printed\n{shell}\nthe one-shot commands\n{one_shot}")


def run(size: str, workdir: Path) -> list[dict]:
    n = SIZES[size]
    url = init_db(workdir / "shell.db")
    populate(url, n)
    env = {**os.environ, "PIPELINE_DB": url, "PIPELINE_USER": "bench", "PIPELINE_LANG": "en"}
    rnd = random.Random(3)
    count = 40 if size != "tiny" else 10
    check_equal([f"P-{k:04d}" for k in (1, n // 2, n)], env)
    one_shot = []
    for _ in range(min(count, 10)):
        t0 = time.perf_counter()
        subprocess.run([PIPELINE, "project", "show", f"P-{rnd.randrange(1, n + 1)}"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        one_shot.append(time.perf_counter() - t0)
    base = statistics.median(one_shot)
    proc = subprocess.run([sys.executable, "-c", _LINES, str(n), str(count)], env=env, check=True,
                          capture_output=True, text=True)
    line = float(proc.stdout.split()[-1])
    r1 = row(f"project show in the shell, median of {count} lines, {n:,} projects", line, base, "s",
             f"≤ {GOAL_MS:g} ms", limit=1.0, equal=True)
    r1["met"] = line * 1000 <= GOAL_MS if size == "full" else None
    script = "".join(f"project show P-{rnd.randrange(1, n + 1)}\n" for _ in range(count))
    t0 = time.perf_counter()
    subprocess.run([PIPELINE, "shell"], input=script, text=True, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    whole = time.perf_counter() - t0
    r2 = row(f"{count} project show lines piped to one pipeline shell vs {count} one-shot commands", whole,
             base * count, "s", "< 1×", limit=1.0, equal=True)
    return [r1, r2]
