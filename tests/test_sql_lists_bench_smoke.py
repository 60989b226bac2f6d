"""The hand-written SQL baseline of `report keyprojects|leaders|visits --json` runs end to end at the tiny
size (a smoke check: no time is asserted), after ours and the baseline were found equal on the demo
county and on a county with year plans, problems, promises and 履约 commitments; and the check bites:
a baseline figure changed, or a comparison with nothing in it, is refused."""

from __future__ import annotations

import pytest

from bench import bench_sql_lists as bench

pytestmark = pytest.mark.slow


def test_sql_lists_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["sql_lists"].run("tiny", tmp_path)
    assert [r["benchmark"].split()[1] for r in rows] == ["keyprojects", "leaders", "visits"]
    for r in rows:
        assert r["equal"] is True and r["met"] is None and r["unit"] == "ms"
        assert r["ours"] > 0 and r["baseline"] > 0 and r["ratio"] == pytest.approx(r["ours"] / r["baseline"])
        assert "300 projects vs hand-written SQL" in r["benchmark"]


@pytest.fixture(scope="module")
def demo():
    from bench.bench_office import period_for
    from bench.common import demo_county
    from workflow import clock
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{demo_county(300)}", write=False)
    today = clock.today()
    yield engine, today, {kind: period_for(kind, today) for kind in bench.KINDS}
    engine.dispose()


@pytest.mark.parametrize("kind", bench.KINDS)
def test_equal_on_the_demo_county(demo, kind):
    engine, today, periods = demo
    t = bench.thresholds(engine, periods[kind], today)
    found = bench.compare(engine, kind, periods[kind], today, t, bench.DEMO_NEEDS[kind])
    assert all(found[k] > 0 for k in bench.DEMO_NEEDS[kind])


def _shift_first_amount(original):
    def shifted(amounts):
        out = original(amounts)
        out[0] = {**out[0], "amount_minor": out[0]["amount_minor"] + 1}
        return out
    return shifted


def _greener(original):
    def light(self, r, d, escalated, performance):
        color, reasons = original(self, r, d, escalated, performance)
        return ("green", []) if color == "yellow" else (color, reasons)
    return light


def _worded(original):
    def reason(code, color, en, zh):
        return original(code, color, en.replace("more than", "over"), zh)
    return reason


@pytest.mark.parametrize("kind,target,wrap", [
    ("visits", "money_list", _shift_first_amount),  # capital and investment to date
    ("keyprojects", "Baseline.light", _greener),  # a light
    ("leaders", "Baseline.light", _greener),
    ("keyprojects", "_reason", _worded),  # a reason's words
])
def test_a_changed_baseline_figure_is_refused(demo, monkeypatch, kind, target, wrap):
    engine, today, periods = demo
    owner, _, name = target.rpartition(".")
    where = getattr(bench, owner) if owner else bench
    monkeypatch.setattr(where, name, wrap(getattr(where, name)))
    t = bench.thresholds(engine, periods[kind], today)
    with pytest.raises(AssertionError, match="differs from the hand-written SQL|rows, the hand-written SQL"):
        bench.compare(engine, kind, periods[kind], today, t, ())


def test_a_vacuous_comparison_is_refused(demo):
    engine, today, periods = demo
    t = bench.thresholds(engine, periods["keyprojects"], today)
    # the demo county records no problems (督办): a check that needs them fails
    with pytest.raises(AssertionError, match="vacuous"):
        bench.compare(engine, "keyprojects", periods["keyprojects"], today, t, ("problems",))
