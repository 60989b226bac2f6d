"""The hand-written SQL baseline of ``warnings`` and the quarter's dispatch runs end to end at the tiny
size (a smoke check: no time is asserted), agrees with our reports on a county with problems (督办),
year plans and 履约 commitments too, and its equality check bites."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.slow


def test_sql_warnings_benchmark_runs(tmp_path):
    from bench import __main__ as bench_main

    rows = bench_main.discover()["sql_warnings"].run("tiny", tmp_path)
    assert len(rows) == 2
    warned, dispatched = rows
    assert warned["benchmark"].startswith("warnings --json figures, 300 projects vs hand-written SQL")
    assert dispatched["benchmark"].startswith("report dispatch --period ")
    for r in rows:
        assert r["equal"] is True and r["met"] is None and r["unit"] == "ms"
        assert r["ours"] > 0 and r["baseline"] > 0
        assert r["ratio"] == pytest.approx(r["ours"] / r["baseline"])


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """A county of 300 projects from the bulletin benchmark (problems escalating up the ladder, yearly
    plans, promised follow-ups, lead leaders) with 履约 commitments and actuals on projects in
    production: some below, some met, some never reported."""
    from sqlalchemy import text

    from bench.bench_report import generate
    from bench.common import init_db
    from workflow import clock
    from workflow.db import make_engine
    from workflow.service import Service

    url = init_db(tmp_path_factory.mktemp("sqlw") / "rich.db")
    generate(url, 300)
    engine = make_engine(url)
    svc = Service(engine, "bench")
    today = clock.today()
    with engine.connect() as conn:
        producing = [r[0] for r in conn.execute(text(
            "SELECT code FROM project WHERE stage = 'production' AND registered_on < :d ORDER BY id"),
            {"d": date(today.year - 1, 1, 1).isoformat()})]
    for i, code in enumerate(producing[:24]):
        on = date(today.year, 1, 10)
        svc.add_commitment(code, "output_value", "1亿", today.year - 1, on=on)
        if i % 3 != 2:
            svc.add_commitment(code, "jobs", 100, today.year - 1, on=on)
        if i % 3 != 2:
            svc.add_performance(code, today.year - 1, "output_value", "5000万" if i % 3 == 0 else "9000万",
                                on=date(today.year, 2, 1))
    engine.dispose()
    engine = make_engine(url, write=False)
    yield engine, today
    engine.dispose()


def test_equal_on_a_county_with_problems_plans_and_commitments(rich):
    from bench import bench_sql_warnings as m
    from bench.bench_office import period_for

    engine, today = rich
    (_, _, warned), (_, _, dispatched) = m.compare(engine, today, period_for("dispatch", today))
    m.check_not_vacuous(warned, dispatched)
    codes = {r for doc in (warned, dispatched) for it in doc["projects"] for r in it["reasons"]}
    # every kind of rule was compared, not only the common ones
    for code in (("problem_escalated", "red"), ("performance_below", "red"), ("performance_no_report", "yellow"),
                 ("progress_behind", "red"), ("promise_missed", "yellow"), ("no_lead_leader", "red"),
                 ("signed_no_capital", "red"), ("screening_too_long", "red"), ("sign_overdue", "red")):
        assert code in codes
    sup = dispatched["supervision"]
    assert sup["open"] > 0 and any(p["level"] >= 3 for u in sup["units"] for p in u["problems"])
    assert dispatched["progress"]["totals"]["projects"] > 0
    assert dispatched["progress"]["totals"]["year_plan"]["amount_minor"] > 0


@pytest.mark.parametrize("perturb", ["reasons", "rate", "level"])
def test_the_equality_check_bites(rich, monkeypatch, perturb):
    from bench import bench_sql_warnings as m
    from bench.bench_office import period_for

    engine, today = rich
    if perturb == "reasons":  # one reason's colour changed
        real = m._reason_codes
        monkeypatch.setattr(m, "_reason_codes", lambda rest, kinds: [
            (c, "yellow" if k == 0 else col) for k, (c, col) in enumerate(real(rest, kinds))])
    elif perturb == "rate":  # a growth rate of the comparison
        monkeypatch.setattr(m, "_rate", lambda now, before: None if not before else round(now / before, 4))
    else:  # one open problem's level in the supervision (督办) section
        real_supervision = m._supervision

        def bumped(*args):
            doc = real_supervision(*args)
            doc["units"][0]["problems"][0]["level"] += 1
            return doc

        monkeypatch.setattr(m, "_supervision", bumped)
    with pytest.raises(AssertionError, match="differs from the hand-written SQL"):
        m.compare(engine, today, period_for("dispatch", today))


def test_a_vacuous_comparison_is_refused():
    from bench import bench_sql_warnings as m

    empty = {"projects": [], "red": 0, "yellow": 0, "units": []}
    dispatched = {**empty, "totals": {"red": 0, "yellow": 0}}
    with pytest.raises(AssertionError, match="vacuous"):
        m.check_not_vacuous(empty, dispatched)


@pytest.mark.parametrize("label", ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"])
def test_the_quarters_windows_are_the_reports(label):
    """The baseline's dates of a quarter and of its comparison's windows (a leap year's 29 February
    included) are those the reports use, for a quarter ended and one in progress."""
    from bench import bench_sql_warnings as m
    from workflow.reports.compare import windows
    from workflow.reports.windows import make_window

    for today in (date(2025, 12, 31), m.quarter(label, date(2099, 1, 1))[0] + (date(2024, 2, 29) - date(2024, 1, 1))):
        w = make_window(label, today=today)
        start, end, as_of = m.quarter(label, today)
        assert (start, end, as_of) == (w.start, w.period.end, w.as_of)
        ours = {n: (x.period.label, x.start, x.end) for n, x in windows(w).items()}
        assert m.windows(label, start, as_of) == ours
