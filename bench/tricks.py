"""Each fast path that stays, with and without, in alternating runs (docs/performance.md, "Fast paths").

    python -m bench.tricks [--rounds N] [--rows N] [--projects N] [import] [startup]

- ``import``: ``pipeline import`` of a ledger of ``--rows`` rows (the import benchmark's ledger) as is,
  and without SQLite's insert path (the base ``Recorder.insert``: the Core ``executemany``);
- ``startup``: ``pipeline project show`` on a database of ``--projects`` projects as is, with
  typer's own coercion of every value (``cli/params.py`` not installed), and with the cyclic garbage
  collector on during start-up (``cli.context.hold_collections`` a no-op).

Each run is a whole command in a fresh interpreter; the variants take turns within every round, so a
busy moment on the machine hits them alike.  Prints every run and the range of each variant (wall and
CPU).  Not part of ``make bench``: there is no baseline and no goal, only the with and without.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.bench_import import fresh_db, timed, write_ledger
from bench.common import PYTHON, ROOT, init_db, populate

# Code run before the command line, turning one fast path off.
WITHOUT = {
    "as is": "",
    "plain inserts": ("from workflow.recorders.base import Recorder\n"
                      "from workflow.recorders.sqlite import SQLiteRecorder\n"
                      "SQLiteRecorder.insert = Recorder.insert"),
    "typer's coercion": "import cli.params; cli.params.install = lambda: False",
    "collector on at start-up": "import cli.context; cli.context.hold_collections = lambda: None",
}
# As the console script runs it: ``main()`` reads the process's own command line.
RUN = "{prelude}\nimport sys\nfrom cli.app import main\nsys.exit(main())"


def command(variant: str, args: list[str]) -> list[str]:
    return [PYTHON, "-c", RUN.format(prelude=WITHOUT[variant]), *args]


def report(runs: dict[str, list[tuple[float, float]]]) -> None:
    for variant, times in runs.items():
        walls, cpus = sorted(t[0] for t in times), sorted(t[1] for t in times)
        print(f"  {variant:28s} wall {walls[0]:.3f}-{walls[-1]:.3f} s   CPU {cpus[0]:.3f}-{cpus[-1]:.3f} s "
              f"(median {cpus[len(cpus) // 2]:.3f})")


def bench_import(rounds: int, rows: int, work: Path) -> None:
    ledger = work / "ledger.csv"
    write_ledger(ledger, rows)
    template = work / "template.db"
    fresh_db(template)
    env = {"PYTHONPATH": str(ROOT)}
    runs: dict[str, list[tuple[float, float]]] = {v: [] for v in ("as is", "plain inserts")}
    for _ in range(rounds):
        for variant, times in runs.items():
            db = work / "run.db"
            for p in work.glob("run.db*"):
                p.unlink()
            shutil.copy(template, db)
            times.append(timed(command(variant, ["--db", str(db), "--as", "coord", "--lang", "en", "import",
                                                 str(ledger)]), env))
            print(f"  import {variant}: wall {times[-1][0]:.3f} s, CPU {times[-1][1]:.3f} s", file=sys.stderr)
    print(f"pipeline import, {rows:,} rows:")
    report(runs)


def bench_startup(rounds: int, projects: int, work: Path) -> None:
    db = work / "show.db"
    populate(init_db(db), projects)
    env = {"PYTHONPATH": str(ROOT), "PIPELINE_DB": str(db), "PIPELINE_USER": "bench", "NO_COLOR": "1"}
    runs: dict[str, list[tuple[float, float]]] = {v: [] for v in ("as is", "typer's coercion",
                                                                  "collector on at start-up")}
    for _ in range(rounds):
        for variant, times in runs.items():
            times.append(timed(command(variant, ["project", "show", f"P-{projects // 2:04d}"]), env))
    print(f"pipeline project show, {projects:,} projects:")
    report(runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tricks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("which", nargs="*", help="import, startup (default: both)")
    args = parser.parse_args()
    which = args.which or ["import", "startup"]
    if set(which) - {"import", "startup"}:
        parser.error(f"unknown: {', '.join(sorted(set(which) - {'import', 'startup'}))}; known: import, startup")
    with tempfile.TemporaryDirectory(prefix="pipeline-tricks-") as tmp:
        if "import" in which:
            bench_import(args.rounds, args.rows, Path(tmp))
        if "startup" in which:
            bench_startup(args.rounds, args.projects, Path(tmp))


if __name__ == "__main__":
    os.environ.setdefault("PIPELINE_LANG", "en")
    main()
