"""``pipeline project list`` of a whole county, in each output form (docs/usage.md, `pipeline project list`).

- ours: ``pipeline project list`` (a table, piped) and ``pipeline project list --json``, whole
  commands with start-up, and their peak memory;
- baseline: the same command limited to one project (``--limit 1``: start-up, schema check and the
  filter pass), measured in the same run; so the ratio is what listing every project adds.

Goals: at most 3 s and 150 MiB for 50,000 projects (the ``full`` size); the ratio is reported.

Before timing, the outputs are checked: ``--json`` lists every project, the first one equal to the
baseline's only one, and the table holds every project's code once (``equal`` True).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bench.common import PIPELINE, init_db, peak_rss_mib, populate, row, time_command

NAME = "list"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
SECONDS, MIB = 3.0, 150.0


def check_equal(n: int, env: dict) -> None:
    """Ours lists all ``n`` projects, the first as the baseline (``--limit 1``) lists it, and the
    table form holds every code once."""
    def out(*args: str) -> str:
        return subprocess.run([PIPELINE, "project", "list", *args], capture_output=True, text=True, check=True,
                              env={**os.environ, **env}).stdout

    def projects(doc):
        return doc["projects"] if isinstance(doc, dict) else doc

    every, first = projects(json.loads(out("--json"))), projects(json.loads(out("--limit", "1", "--json")))
    if len(every) != n or every[:1] != first:
        raise AssertionError(f"list bench: --json lists {len(every)} of {n} projects, or another first one")
    codes = [line.split()[0] for line in out().splitlines() if line.startswith("P-")]
    if sorted(codes) != sorted(p["code"] for p in every) or len(set(codes)) != n:
        raise AssertionError(f"list bench: the table lists {len(codes)} codes for {n} projects")


def run(size: str, workdir: Path) -> list[dict]:
    n = SIZES[size]
    path = workdir / "list.db"
    url = init_db(path)
    populate(url, n)
    env = {"PIPELINE_DB": url, "PIPELINE_USER": "bench", "PIPELINE_LANG": "en", "PAGER": "cat"}
    repeat = 3
    check_equal(n, env)
    base = time_command([PIPELINE, "project", "list", "--limit", "1"], repeat=repeat, env=env)
    rows = []
    for label, extra in (("table, piped", []), ("--json", ["--json"])):
        ours = time_command([PIPELINE, "project", "list", *extra], repeat=repeat, env=env)
        r = row(f"project list of {n:,} projects ({label})", ours, base, "s", f"≤ {SECONDS:g} s", limit=99,
                equal=True)
        r["met"] = ours <= SECONDS if size == "full" else None
        rows.append(r)
        mib = peak_rss_mib(["project", "list", *extra], env=env)
        base_mib = peak_rss_mib(["project", "list", "--limit", "1"], env=env)
        r = row(f"project list of {n:,} projects ({label}), peak memory", mib, base_mib, "MiB",
                f"≤ {MIB:g} MiB", limit=99, equal=True)
        r["met"] = mib <= MIB
        rows.append(r)
    return rows
