"""The state of every project at many dates read in one pass over the history
(``workflow.reports.state.FactsByDate``, used for the city's month-end figures, docs/city.md) equals
the per-date snapshots the county's reports compute, at every month-end: on the seed county, on the
hand-worked county of tests/test_reports.py and on a generated county with corrections, holds,
resumes, late (backdated) entries and changed lead leaders."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta

import pytest

from tests.conftest import ADMIN, COORD, invoke
from tests.test_reports import build_county
from workflow.errors import PipelineError


def _month_ends(first: date, last: date) -> list[date]:
    out, d = [], date(first.year, first.month, 1)
    while d <= last:
        nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        out.append(min(nxt - timedelta(days=1), last))
        d = nxt
    return out


def _held_once(snaps: list) -> bool:
    """Equal values the snapshots of a date read from rows (dates, unit codes, stages) are one object
    (``each_snapshot``: a list of them holds one object per distinct value)."""
    values = [v for s in snaps for v in (s.unit, s.stage, s.stage_since, s.registered_on, s.last_followup_on,
                                         *s.plan.values()) if v is not None]
    return len({id(v) for v in values}) == len(set(values))


def _states_agree(db: str, steps: list[int] | None = None) -> int:
    """Compare at every month-end from the first effective date to the last one (and a year after),
    or at the dates ``steps`` (days, 0 for the same date again) apart from 40 days before the first;
    the number of snapshots compared."""
    from sqlalchemy import func, select

    from workflow import settings
    from workflow.db import make_engine
    from workflow.reports.state import FactsByDate, snapshots
    from workflow.tables import event as E

    engine = make_engine(f"sqlite:///{db}", write=False)
    compared = 0
    try:
        with engine.connect() as conn:
            first, last = (date.fromisoformat(str(v)[:10]) for v in conn.execute(
                select(func.min(E.c.effective_on), func.max(E.c.effective_on))).one())
            t = settings.light_thresholds(conn)
            facts = FactsByDate(conn)
            dates = _month_ends(first - timedelta(days=40), last + timedelta(days=365))
            if steps is not None:
                dates = [first - timedelta(days=40 - sum(steps[:i + 1])) for i in range(len(steps))]
            for d in dates:
                per_date = snapshots(conn, d, t, reasons=False)
                one_pass = snapshots(conn, d, t, reasons=False, facts=facts)
                assert one_pass == per_date, d
                assert _held_once(one_pass) and _held_once(per_date), d
                compared += len(per_date)
    finally:
        engine.dispose()
    return compared


def test_one_pass_states_equal_the_snapshots_on_the_seed_county(tmp_path):
    db = str(tmp_path / "seed.db")
    res = invoke(["demo", "--no-show"], db=db)
    assert res.code == 0, res.err
    assert _states_agree(db) > 0


def test_one_pass_states_equal_the_snapshots_on_the_hand_worked_county(tmp_path):
    db = str(tmp_path / "county.db")
    build_county(db)
    assert _states_agree(db) > 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    """The hand-worked county and twelve more projects, then a random run of stage changes, holds,
    follow-ups and reassignments dated out of order (late entries) and corrections of them."""
    from sqlalchemy import select

    from workflow.db import make_engine
    from workflow.service import Service
    from workflow.tables import event as E
    from workflow.tables import project as P

    db = str(tmp_path_factory.mktemp("generated") / "county.db")
    build_county(db)
    assert invoke(["people", "add", "li", "--name", "李副县长", "--level", "county"], db=db).code == 0
    engine = make_engine(f"sqlite:///{db}")
    s, admin = Service(engine, COORD), Service(engine, ADMIN)
    rnd = random.Random(7)
    start = date(2025, 10, 1)
    for k in range(12):
        s.add_project(name=f"生成项目{k}", investor="某公司", industry="矿业", investment_minor=(k + 1) * 10**8,
                      unit=rnd.choice(("XH", "FGW")), key=k % 3 == 0, on=start + timedelta(days=7 * k))
    with engine.connect() as conn:
        codes = [c for (c,) in conn.execute(select(P.c.code).order_by(P.c.id))]
    for k, code in enumerate(codes[:2]):  # a plan for the year and investment of it, some of it late
        s.edit_project(code, {"year_plan": {2026: (k + 1) * 10**9}}, on=date(2026, 1, 5 + k))
        for month in (3, 1, 6):
            s.add_investment(code, (month + k) * 10**7, "CNY", on=date(2026, month, 10))
    moves = ("submit", "approve", "sign", "hold", "resume", "withdraw", "break_ground")
    for step in range(400):
        code = rnd.choice(codes)
        on = start + timedelta(days=rnd.randrange(0, 300))  # often before the project's latest entry
        try:
            roll = rnd.random()
            if roll < 0.3:
                s.advance(code, rnd.choice(moves), on=on, reason="生成")
            elif roll < 0.55:  # a promise of the next one, or none (a later follow-up keeps the promise)
                s.add_followup(code, f"跟进{step}", on=on,
                               next_on=on + timedelta(days=rnd.randrange(5, 60)) if rnd.random() < 0.5 else None)
            elif roll < 0.62:  # a year plan set, changed or cleared (0)
                s.edit_project(code, {"year_plan": {on.year + rnd.randrange(0, 2): rnd.choice((0, 5, 20)) * 10**8}},
                               on=on)
            elif roll < 0.68:
                s.add_investment(code, rnd.randrange(1, 50) * 10**6, rnd.choice(("CNY", "CNY", "USD")), on=on)
            elif roll < 0.8:
                admin.reassign(code, "lead_leader", rnd.choice(("wang", "li")), reason="分工", on=on)
            else:
                with engine.connect() as conn:
                    seqs = [q for (q,) in conn.execute(select(E.c.seq).join(P, P.c.id == E.c.project_id)
                                                       .where(P.c.code == code))]
                admin.correct(code, rnd.choice(seqs[-3:]), "更正", on=on)
        except PipelineError:
            continue  # refused by the workflow's rules: the history is unchanged
    engine.dispose()
    return db


def test_the_generated_county_has_what_the_one_pass_must_handle(generated):
    import sqlite3

    with sqlite3.connect(generated) as conn:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM event GROUP BY kind").fetchall())
        late = conn.execute(
            "SELECT count(*) FROM event a JOIN event b ON a.project_id = b.project_id AND b.seq = a.seq + 1 "
            "WHERE b.effective_on < a.effective_on").fetchone()[0]
        holds = conn.execute("SELECT count(*) FROM event WHERE to_stage = 'on_hold'").fetchone()[0]
        ended = conn.execute("SELECT count(*) FROM assignment WHERE role = 'lead_leader' AND ended_on IS NOT NULL"
                             ).fetchone()[0]
        promised = conn.execute("SELECT count(*) FROM followup WHERE next_on IS NOT NULL").fetchone()[0]
        plans = conn.execute("SELECT count(DISTINCT year) FROM year_plan WHERE amount_minor > 0").fetchone()[0]
        cleared = conn.execute("SELECT count(*) FROM year_plan WHERE amount_minor = 0").fetchone()[0]
    assert kinds.get("correction", 0) > 0 and late > 0 and holds > 0 and ended > 0, (kinds, late, holds, ended)
    assert promised > 0 and plans > 1 and cleared > 0 and kinds.get("investment", 0) > 2, (promised, plans, kinds)


def test_one_pass_states_equal_the_snapshots_on_a_generated_county(generated, tmp_path):
    db = str(tmp_path / "county.db")
    shutil.copy(generated, db)
    assert _states_agree(db) > 0


def test_one_pass_states_at_any_dates_equal_the_snapshots(generated):
    """``FactsByDate.at`` builds again only the rows of the projects something happened to since the
    previous date (a change dated in between, their registration, the day their project row's stage
    or last follow-up takes over from the history): dates a day apart, the same date twice, weeks
    and months apart, past the last event, all equal the per-date snapshots."""
    rng = random.Random(11)
    steps = [rng.choice((0, 1, 1, 1, 2, 3, 5, 9, 31)) for _ in range(220)] + [200, 0, 400]
    assert _states_agree(generated, steps) > 0


def test_one_pass_states_follow_the_sequence_not_the_dates(generated, tmp_path):
    """Stage changes whose dates run against their order (the newest, by seq, dated earlier): the
    stage on a date is the newest dated by then, as the per-date statement reads it."""
    import sqlite3

    db = str(tmp_path / "county.db")
    shutil.copy(generated, db)
    with sqlite3.connect(db) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')  # a scratch copy: the append-only guard set aside
        moved = conn.execute("UPDATE event SET effective_on = date(effective_on, '-' || (seq % 4 * 25) || ' days') "
                             "WHERE to_stage IS NOT NULL").rowcount
        conn.execute("UPDATE followup SET effective_on = date(effective_on, '-' || (id % 3 * 30) || ' days')")
        conn.execute("UPDATE year_plan SET effective_on = date(effective_on, '-' || (id % 3 * 40) || ' days')")
    assert moved > 0
    assert _states_agree(db) > 0


def test_one_pass_states_refuse_to_go_back(generated):
    from workflow.db import make_engine
    from workflow.reports.state import FactsByDate

    engine = make_engine(f"sqlite:///{generated}", write=False)
    with engine.connect() as conn:
        facts = FactsByDate(conn)
        assert facts.at(date(2026, 3, 31))
        with pytest.raises(ValueError):
            facts.at(date(2026, 2, 28))
    engine.dispose()


@pytest.fixture(scope="module")
def supervised(generated, tmp_path_factory) -> str:
    """The generated county with what a month-end state reads beside the history's facts: the
    supervision ladder and the 履约 figures changed by dated settings, problems opened, extended,
    closed and reopened (at the red level and below it, on dates the ladder's changes straddle), and
    commitments and actuals of a producing project and of others (met, below, not reported, replaced)."""
    from sqlalchemy import select

    from workflow.db import make_engine
    from workflow.service import Service
    from workflow.tables import project as P

    db = str(tmp_path_factory.mktemp("supervised") / "county.db")
    shutil.copy(generated, db)
    engine = make_engine(f"sqlite:///{db}")
    s, admin = Service(engine, COORD), Service(engine, ADMIN)
    with engine.connect() as conn:
        codes = [c for (c,) in conn.execute(select(P.c.code).order_by(P.c.id))]
    producing = codes[0]  # the hand-worked county's first project, under construction since 2026-04-20
    s.add_document(producing, "completion_acceptance", f"{producing}-验收", on=date(2026, 5, 10))
    s.advance(producing, "commission", on=date(2026, 5, 12))
    admin.set_ladder({"unit_head_days": 3, "red_level": 2}, reason="从严", effective_on=date(2026, 2, 1))
    admin.set_ladder({"red_level": 4, "county_leader_days": 20}, reason="放宽", effective_on=date(2026, 6, 1))
    admin.set_performance({"met_pct": 90, "report_days": 30}, reason="从严", effective_on=date(2026, 1, 20))
    rnd = random.Random(11)
    opened: list[int] = []
    for k in range(30):
        on = date(2025, 11, 1) + timedelta(days=rnd.randrange(0, 240))
        try:
            opened.append(s.add_problem(rnd.choice(codes), f"问题{k}", kind=rnd.choice(("land", "funding", "other")),
                                        owner=rnd.choice(("XH", "FGW")), due=on + timedelta(days=rnd.randrange(0, 40)),
                                        on=on)["id"])
        except PipelineError:
            continue
    for k in range(60):
        action = rnd.choice(("extend", "close", "reopen", "update"))
        on = date(2025, 12, 1) + timedelta(days=rnd.randrange(0, 240))
        try:
            s.act_on_problem(rnd.choice(opened), action, f"{action}{k}", on=on,
                             to=on + timedelta(days=rnd.randrange(40, 90)) if action == "extend" else None)
        except PipelineError:
            continue
    for code, on in ((producing, date(2026, 1, 10)), (codes[1], date(2026, 1, 10)), (codes[5], date(2026, 6, 5))):
        s.add_commitment(code, "tax", 300 * 10**6, 2025, on=on)
        s.add_commitment(code, "jobs", 120, 2025, 2025, on=on)
        s.add_commitment(code, "output_value", 10**10, 2026, on=on)
    s.add_commitment(producing, "tax", 200 * 10**6, 2025, on=date(2026, 2, 20))  # the newer one wins from then
    s.add_performance(producing, 2025, "tax", 250 * 10**6, on=date(2026, 2, 10))
    s.add_performance(producing, 2025, "jobs", 100, on=date(2026, 3, 15))
    s.add_performance(producing, 2025, "jobs", 130, on=date(2026, 4, 15))  # a later report replaces it
    s.add_performance(codes[1], 2025, "tax", 10 * 10**6, on=date(2026, 2, 1))
    engine.dispose()
    return db


def test_the_supervised_county_has_what_the_readers_by_date_must_handle(supervised):
    import sqlite3

    with sqlite3.connect(supervised) as conn:
        actions = dict(conn.execute("SELECT action, count(*) FROM problem_action GROUP BY action").fetchall())
        problems = conn.execute("SELECT count(*) FROM problem").fetchone()[0]
        ladder = conn.execute("SELECT count(DISTINCT effective_on) FROM setting WHERE key LIKE 'supervision.%'"
                              ).fetchone()[0]
        actuals = conn.execute("SELECT count(*) FROM performance").fetchone()[0]
    assert problems >= 10 and all(actions.get(a, 0) > 0 for a in ("extend", "close", "reopen")), (problems, actions)
    assert ladder == 2 and actuals == 4


def test_the_readers_by_date_equal_the_per_date_reads(supervised):
    """The ladder, the 履约 figures, the escalated problems and the 履约 check of every project at every
    month-end, read once (``settings.InForceByDate``, ``supervision.EscalatedByDate``,
    ``performance.ForLightsByDate``), equal what each per-date function reads; and the states from
    ``FactsByDate``, which uses them, equal the per-date snapshots."""
    from workflow import performance, settings, supervision
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{supervised}", write=False)
    red = checked = 0
    try:
        with engine.connect() as conn:
            ladders = settings.InForceByDate(conn, settings.LADDER_PREFIX)
            figures = settings.InForceByDate(conn, settings.PERFORMANCE_PREFIX)
            escalated, checks = supervision.EscalatedByDate(conn), performance.ForLightsByDate(conn)
            for d in _month_ends(date(2025, 9, 1), date(2027, 6, 30)):
                lad = settings.ladder(conn, d)
                assert ladders.ladder(d) == lad and ladders(d) == settings.in_force(conn, d, settings.LADDER_PREFIX)
                assert figures.performance(d) == settings.performance_settings(conn, d), d
                assert escalated.at(d, lad) == supervision.escalated(conn, d, lad), d
                assert checks.at(d) == performance.for_lights(conn, d), d
                red += len(escalated.at(d, lad))
                checked += len(checks.at(d))
    finally:
        engine.dispose()
    assert red > 0 and checked > 0
    assert _states_agree(supervised) > 0
