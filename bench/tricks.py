"""Each fast path that stays, with and without, in alternating runs (docs/performance.md, "Fast paths").

    python -m bench.tricks [--rounds N] [--rows N] [--projects N] [--counties N] [import] [startup] [city]

- ``import``: ``pipeline import`` of a ledger of ``--rows`` rows (the import benchmark's ledger) as is,
  and without SQLite's insert path (the base ``Recorder.insert``: the Core ``executemany``);
- ``startup``: ``pipeline project show`` on a database of ``--projects`` projects as is, with
  typer's own coercion of every value (``cli/params.py`` not installed), and with the cyclic garbage
  collector on during start-up (``cli.context.hold_collections`` a no-op);
- ``city``: ``pipeline city load --workers 2`` of ``--counties`` bundles of the city benchmark's
  counties (1,000 projects each) into an empty SQLite city as is, and with a bundle's events copied
  from its bytes a chunk of rows at a time (the base ``Recorder.insert_from_image``), in the workers'
  scratch copies and in the city alike.

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
    "image rows through Python": ("from workflow.recorders.base import Recorder\n"
                                  "from workflow.recorders.sqlite import SQLiteRecorder\n"
                                  "SQLiteRecorder.insert_from_image = Recorder.insert_from_image"),
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


def copied(template: Path, db: Path) -> Path:
    """``db`` afresh: a copy of ``template``, with no file of an earlier run's beside it (its log)."""
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    shutil.copy(template, db)
    return db


def bench_import(rounds: int, rows: int, work: Path) -> None:
    ledger = work / "ledger.csv"
    write_ledger(ledger, rows)
    template = work / "template.db"
    fresh_db(template)
    env = {"PYTHONPATH": str(ROOT)}
    runs: dict[str, list[tuple[float, float]]] = {v: [] for v in ("as is", "plain inserts")}
    for _ in range(rounds):
        for variant, times in runs.items():
            db = copied(template, work / "run.db")
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


def bench_city(rounds: int, counties: int, work: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from bench.bench_city import _county
    from bench.bench_report import generate
    from workflow import city
    from workflow.db import make_engine

    base = work / "base.db"
    generate(init_db(base), 1_000)
    with ProcessPoolExecutor(max_workers=2) as pool:  # workers fork: the loads' workers do too
        made = list(pool.map(_county, [(base, work, k) for k in range(counties)]))
    template = work / "city-empty.db"
    engine = make_engine(init_db(template))
    for k, (_, public, _) in enumerate(made):
        city.trust_add(engine, "bench", f"C{k:03d}", public, "bench")
    engine.dispose()
    runs: dict[str, list[tuple[float, float]]] = {v: [] for v in ("as is", "image rows through Python")}
    for _ in range(rounds):
        for variant, times in runs.items():
            db = copied(template, work / "city.db")
            env = {"PYTHONPATH": str(ROOT), "PIPELINE_DB": f"sqlite:///{db}", "PIPELINE_USER": "bench"}
            times.append(timed(command(variant, ["city", "load", "--workers", "2", *(b for b, _, _ in made)]), env))
    print(f"pipeline city load --workers 2, {counties} counties of 1,000 projects:")
    report(runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tricks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--counties", type=int, default=8)
    parser.add_argument("which", nargs="*", help="import, startup, city (default: all three)")
    args = parser.parse_args()
    known = ["import", "startup", "city"]
    which = args.which or known
    if set(which) - set(known):
        parser.error(f"unknown: {', '.join(sorted(set(which) - set(known)))}; known: {', '.join(known)}")
    with tempfile.TemporaryDirectory(prefix="pipeline-tricks-") as tmp:
        if "import" in which:
            bench_import(args.rounds, args.rows, Path(tmp))
        if "startup" in which:
            bench_startup(args.rounds, args.projects, Path(tmp))
        if "city" in which:
            bench_city(args.rounds, args.counties, Path(tmp))


if __name__ == "__main__":
    os.environ.setdefault("PIPELINE_LANG", "en")
    main()
