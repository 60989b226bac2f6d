"""A document's reports computed on one shared reading (``workflow.reports.shared``) give exactly what
each computes alone (docs/performance.md, fast paths), and the shared parts are computed once."""

from __future__ import annotations

import json

import pytest

from tests.test_reports import county, engine  # noqa: F401  (module fixtures: the hand-worked county)
from workflow import reports
from workflow.reports import shared as shared_module

PERIODS = ["2026-B2", "2026-Q1", "2026-H1", "2026", "2026-B1..2026-B2", "2025..2026"]


def _documents_reports(engine, kind: str, period: str, shared) -> list[str]:  # noqa: F811
    """The report ``kind`` and the bulletin and evaluation its document holds, as JSON text, in the
    order `pipeline report KIND --format docx` computes them."""
    args = {"as_of": None, "unit": None, "lang": "zh", "shared": shared}
    own = {"dispatch": reports.dispatch, "review": reports.review, "evaluation": reports.evaluation}
    docs = [] if kind == "bulletin" else [own[kind](engine, period, **args)]
    docs.append(reports.bulletin(engine, period, problems=31, **args))
    if kind != "evaluation":
        docs.append(reports.evaluation(engine, period, **args))
    return [json.dumps(d, ensure_ascii=False, sort_keys=True, default=str) for d in docs]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("kind", ["dispatch", "review", "bulletin", "evaluation"])
def test_shared_reading_gives_what_each_report_gives_alone(engine, kind, period, monkeypatch):  # noqa: F811
    alone = _documents_reports(engine, kind, period, None)
    calls = {"snapshots": 0}
    read: list[tuple] = []  # the windows whose flows were read
    real_snapshots, real_flows = shared_module.snapshots, shared_module._flows

    def snapshots(*a, **k):
        calls["snapshots"] += 1
        return real_snapshots(*a, **k)

    def flows(conn, windows, unit):
        read.extend((w.start, w.end) for w in windows)
        return real_flows(conn, windows, unit)

    monkeypatch.setattr(shared_module, "snapshots", snapshots)
    monkeypatch.setattr(shared_module, "_flows", flows)
    with reports.shared_reading(engine) as shared:
        together = _documents_reports(engine, kind, period, shared)
    assert together == alone
    # the county's snapshots on the as-of date read once (review reads its own projects' apart), and
    # the flows of each window once
    assert calls["snapshots"] == 1 and read and len(read) == len(set(read))

def test_a_reading_with_reasons_serves_one_without(engine):  # noqa: F811
    from datetime import date

    from workflow.lights import Thresholds

    t = Thresholds()
    with reports.shared_reading(engine) as shared:
        bare = shared.snapshots(date(2026, 4, 30), t, None, reasons=False)
        worded = shared.snapshots(date(2026, 4, 30), t, None)
        assert worded is not bare and shared.snapshots(date(2026, 4, 30), t, None, reasons=False) is worded
        assert [s.light.color for s in bare] == [s.light.color for s in worded]
        assert any(s.light.reasons for s in worded) and not any(s.light.reasons for s in bare)
        shared.clear()
        assert shared.snapshots(date(2026, 4, 30), t, None, reasons=False) is not worded
