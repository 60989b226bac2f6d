"""The office benchmark's commands: every report kind as --json and DOCX and warnings, for the periods
docs/lights-and-reports.md uses (bench/bench_office.py; the benchmark itself runs in `make bench`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bench import bench_office


def test_the_periods_are_the_latest_ended_this_year_else_the_one_in_progress():
    late = {k: bench_office.period_for(k, date(2026, 12, 6)) for k in bench_office.PERIOD_KINDS}
    assert late == {"bulletin": "2026-B5", "dispatch": "2026-Q3", "review": "2026-H1", "evaluation": "2026",
                    "keyprojects": "2026", "leaders": "2026", "visits": "2026-H1"}
    early = {k: bench_office.period_for(k, date(2026, 1, 15)) for k in ("bulletin", "dispatch", "review")}
    assert early == {"bulletin": "2026-B1", "dispatch": "2026-Q1", "review": "2026-H1"}


def test_every_kind_in_both_forms_and_warnings_with_their_goals(tmp_path: Path):
    cmds = bench_office.commands(date(2026, 12, 6), tmp_path)
    assert cmds[0] == ("warnings --json", ["warnings", "--json"], 3.0)
    for kind in bench_office.PERIOD_KINDS:
        mine = [(args, goal) for _, args, goal in cmds if args[:2] == ["report", kind]]
        assert [("--json" in a, g) for a, g in mine] == [(True, 3.0), (False, 4.0)]
        assert mine[1][0][-4:] == ["--format", "docx", "--output", str(tmp_path / f"{kind}.docx")]
