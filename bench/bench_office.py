"""The office's reports as whole commands over a county of many projects: each report kind as
``--json`` and as a Word document, and ``pipeline warnings``, with their peak memory.

- ours: ``pipeline report bulletin|dispatch|review|evaluation|keyprojects|leaders|visits`` for the
  periods docs/lights-and-reports.md uses (the bulletin of a bimonth, the dispatch of a quarter, the
  review and the visits of a half-year, the evaluation, key projects and leaders of the year: the
  latest of each kind ended by today in this year, else the one in progress), ``--json`` and
  ``--format docx``, and ``pipeline warnings --json``; each its wall time (start-up included, median
  of the rounds) and its peak resident memory (``bench.common.peak_rss_mib``).
- baseline: ``pipeline project show`` of one project on the same county, the unit of a command's
  cost (as the ``export`` benchmark's command row): the ratio says how many ``project show`` a
  report costs; for memory, the peak of that ``project show``.

Goals (at 50,000 projects, the ``full`` size): every report and ``warnings`` within 3 s and 150 MiB,
a DOCX within 4 s.  Before anything is timed each command is run once and checked: its JSON read
back (the report kind it says, the period asked; ``warnings`` and the lists their projects) and
each document opened with python-docx (the title the office settings give the kind).

The county is ``pipeline demo --projects N`` (the engine's batch path), built once per run and
shared with the ``export`` benchmark (``bench.common.demo_county``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from datetime import date
from pathlib import Path

from bench.common import PIPELINE, demo_county, peak_rss_mib, row

NAME = "office"
SIZES = {"tiny": 300, "small": 5_000, "full": 50_000}
ROUNDS = {"tiny": 0, "small": 2, "full": 3}  # timed rounds after the checked run (tiny: that run's time)
SECONDS, DOCX_SECONDS, MIB = 3.0, 4.0, 150.0
# kind -> the kind of period its docs example uses
PERIOD_KINDS = {"bulletin": "bimonth", "dispatch": "quarter", "review": "half", "evaluation": "year",
                "keyprojects": "year", "leaders": "year", "visits": "half"}


def period_for(kind: str, today: date) -> str:
    """The latest period of ``kind`` ended by ``today`` in this year, else the one in progress."""
    from workflow.periods import period_of

    now = period_of(PERIOD_KINDS[kind], today)
    before = now.previous()
    return (before if before.year == today.year else now).label


def commands(today: date, out: Path) -> list[tuple[str, list[str], float]]:
    """(label, arguments, the goal in seconds) of every command measured."""
    cmds: list[tuple[str, list[str], float]] = [("warnings --json", ["warnings", "--json"], SECONDS)]
    for kind in PERIOD_KINDS:
        period = period_for(kind, today)
        base = ["report", kind, "--period", period]
        cmds.append((f"report {kind} --period {period} --json", [*base, "--json"], SECONDS))
        cmds.append((f"report {kind} --period {period} --format docx", [*base, "--format", "docx", "--output",
                                                                         str(out / f"{kind}.docx")], DOCX_SECONDS))
    return cmds


def _run(args: list[str], env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([PIPELINE, *args], capture_output=True, text=True, env={**os.environ, **env})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise AssertionError(f"office bench: {args} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return wall, proc.stdout


def check(args: list[str], stdout: str) -> None:
    """The command gave what it is asked for: the JSON of the kind and period, or a document with the
    kind's title."""
    if "--json" in args:
        doc = json.loads(stdout)
        if args[0] == "warnings":
            if not isinstance(doc.get("projects"), list) or doc["red"] + doc["yellow"] != len(doc["projects"]):
                raise AssertionError("office bench: warnings --json does not list its red and yellow projects")
            return
        kind, period = args[1], args[3]
        if doc.get("period") != period or doc.get("report", kind) != kind:
            raise AssertionError(f"office bench: report {kind} --json is not the {kind} of {period}")
        return
    import docx

    from cli.lists_cmds import TITLES as LIST_TITLES
    from workflow.office import TITLES

    path, kind = args[args.index("--output") + 1], args[1]
    title = TITLES.get(kind) or LIST_TITLES[kind][1]
    if title not in [p.text for p in docx.Document(path).paragraphs]:
        raise AssertionError(f"office bench: the {kind} document lacks its title {title!r}")


def run(size: str, workdir: Path) -> list[dict]:
    n = SIZES[size]
    db = demo_county(n)
    env = {"PIPELINE_DB": f"sqlite:///{db}", "PIPELINE_USER": "bench", "PIPELINE_LANG": "zh", "PAGER": "cat",
           "NO_COLOR": "1"}
    from workflow import clock

    cmds = commands(clock.today(), workdir)
    code = json.loads(_run(["project", "list", "--limit", "1", "--json"], env)[1])
    code = (code["projects"] if isinstance(code, dict) else code)[0]["code"]
    show = ["project", "show", code]
    walls: dict[str, list[float]] = {label: [] for label, _, _ in cmds}
    shows: list[float] = []
    for label, args, _ in cmds:  # once each, checked, before anything is timed (and a warm cache for all)
        wall, stdout = _run(args, env)
        check(args, stdout)
        if not ROUNDS[size]:
            walls[label].append(wall)
    if not ROUNDS[size]:
        shows.append(_run(show, env)[0])
    for _ in range(ROUNDS[size]):  # in turn, so that a change in the machine's load weighs on all alike
        shows.append(_run(show, env)[0])
        for label, args, _ in cmds:
            walls[label].append(_run(args, env)[0])
    t_show = statistics.median(shows)
    mib_show = peak_rss_mib(show, env=env)
    out = []
    for label, args, seconds in cmds:
        ours = statistics.median(walls[label])
        r = row(f"`{label}`, {n:,} projects (whole command) vs `project show`", ours, t_show, "s",
                f"≤ {seconds:g} s at 50,000", limit=float("inf"), equal=None)
        r["met"] = ours <= seconds if size == "full" else None
        out.append(r)
        mib = peak_rss_mib(args, env=env)
        r = row(f"`{label}`, {n:,} projects, peak memory vs `project show`'s", mib, mib_show, "MiB",
                f"≤ {MIB:g} MiB at 50,000", limit=float("inf"), equal=None)
        r["met"] = mib <= MIB if size == "full" else None
        out.append(r)
    return out


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-office-") as tmp:
        for r in run(sys.argv[1] if len(sys.argv) > 1 else "tiny", Path(tmp)):
            print(r)
