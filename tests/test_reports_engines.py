"""The reports on both engines (SQLite and PostgreSQL): the same commands give the same figures."""

from __future__ import annotations

import pytest

from tests.conftest import COORD

WAN = 10_000 * 100
# settings changes say why, and are in force from before the dates these tests look at
DATED = ("--reason", "test", "--from", "2026-01-01")


def _county(c) -> None:
    c("project", "add", "--name", "翠宏山铁多金属矿", "--investor", "翠宏山", "--industry", "mining",
      "--investment", "2亿", "--unit", "XH", "--on", "2026-01-05", ok=True)
    c.admin("reassign", "P-0001", "lead_leader", "wang", "--reason", "分工", "--on", "2026-01-05", ok=True)
    c("advance", "P-0001", "submit", "--on", "2026-01-06", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        c("check", "P-0001", item, "pass", "--on", "2026-01-06", ok=True)
    c("doc", "add", "P-0001", "committee_decision", "D1", "--on", "2026-01-07", ok=True)
    c("advance", "P-0001", "approve", "--on", "2026-01-07", ok=True)
    c("doc", "add", "P-0001", "contract", "C1", "--on", "2026-03-05", ok=True)
    c("advance", "P-0001", "sign", "--on", "2026-03-05", ok=True)
    c("capital", "add", "P-0001", "1000万", "--on", "2026-04-01", ok=True)
    c("capital", "add", "P-0001", "100万美元", "--on", "2026-04-02", ok=True)
    c("advance", "P-0001", "hold", "--reason", "停工", "--on", "2026-04-10", ok=True)
    c("advance", "P-0001", "resume", "--on", "2026-04-20", ok=True)
    c("followup", "add", "P-0001", "复工", "--on", "2026-04-25", ok=True)
    c("project", "add", "--name", "诺宝生物质电厂", "--investor", "诺宝", "--industry", "energy",
      "--investment", "5000万", "--unit", "FGW", "--on", "2026-02-01", ok=True)
    c("advance", "P-0002", "submit", "--on", "2026-03-01", ok=True)
    c("followup", "add", "P-0002", "催办", "--on", "2026-04-20", ok=True)


def test_reports_on_each_engine(any_cli):
    c = any_cli
    _county(c)
    doc = c("report", "bulletin", "--period", "2026-B2", json=True, ok=True).json
    xh = next(u for u in doc["units"] if u["unit"] == "XH")
    assert xh["signed"] == 1
    assert xh["capital_in_place"] == [{"amount_minor": 1000 * WAN, "currency": "CNY"},
                                      {"amount_minor": 100 * WAN, "currency": "USD"}]
    assert doc["totals"]["projects_by_stage"]["funding"] == 1
    assert doc["totals"]["projects_by_stage"]["screening"] == 1
    assert (doc["totals"]["red"], doc["totals"]["yellow"]) == (1, 0)
    assert doc["previous"]["projects_by_stage"]["approved"] == 1  # read back from history
    assert (doc["previous"]["red"], doc["previous"]["yellow"]) == (0, 1)  # P-0001: 54 days, no follow-up yet

    dispatch = c("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30", json=True, ok=True).json
    assert [(p["code"], p["light"]) for p in dispatch["projects"]] == [("P-0002", "red")]
    assert c("report", "review", "--period", "2026-B2", json=True, ok=True).json["projects"] == []

    c.admin("targets", "set", "XH", "2026", "--signed", "2", "--reason", "年度目标", ok=True)
    ev = c("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", json=True, ok=True).json
    assert [(u["unit"], u["rank"], u["score"]) for u in ev["units"]] == [("XH", 1, 50.0), ("FGW", None, None)]

    board = c("board", "--as-of", "2026-04-30", json=True, ok=True).json
    assert {s["stage"]: s["count"] for s in board["stages"]}["funding"] == 1 and board["red"] == 1

    c.admin("lights", "set", *DATED, "screening_red_days=70", ok=True)
    dispatch = c("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30", json=True, ok=True).json
    assert [(p["code"], p["light"]) for p in dispatch["projects"]] == [("P-0002", "yellow")]
    assert c("lights", "set", *DATED, "screening_red_days=80", json=True).code == 6  # the coordinator may not


# --- flows: the by-date reading equals the statement form it replaced -----------------------------


def _first_signing_plain():
    """``figures._first_signing`` as the plain statement (grouped by the column itself, the next stage
    change looked up for each of its two tests), so the oracle below does not share the form under
    test: grouped by ``project_id + 0`` and with the look-up written once."""
    from sqlalchemy import func, or_, select

    from workflow.reports.windows import paused_stages
    from workflow.tables import event as E

    nxt = E.alias("next_change")
    next_kind = (select(nxt.c.kind)
                 .where(nxt.c.project_id == E.c.project_id, nxt.c.seq > E.c.seq, nxt.c.to_stage.is_not(None))
                 .order_by(nxt.c.seq).limit(1).scalar_subquery())
    return (select(E.c.project_id, func.min(E.c.effective_on).label("on"))
            .where(E.c.kind == "transition", E.c.to_stage == "signed",
                   E.c.from_stage.not_in(paused_stages() or ["-"]),
                   or_(next_kind.is_(None), next_kind != "correction"))
            .group_by(E.c.project_id).subquery("first_signing"))


def _flows_by_case(conn, windows, unit):
    """The statement form ``figures._flows`` had before it read the rows by date: a CASE sum per
    window in one statement per kind of flow.  Kept here as the oracle of the equality tests."""
    from collections import defaultdict

    from sqlalchemy import case, func, select

    from workflow.reports.figures import joined, wide_sum
    from workflow.tables import capital_arrival as CAP
    from workflow.tables import investment_completed as INV
    from workflow.tables import project as P

    outs = [defaultdict(lambda: {"signed": 0, "signed_investment": 0, "capital": {}, "investment": {}})
            for _ in windows]
    unit_filter = [P.c.unit_code == unit] if unit is not None else []
    low, high = min(w.start for w in windows), max(w.end for w in windows)
    first = _first_signing_plain()
    inside = [first.c.on.between(w.start, w.end) for w in windows]
    q = (select(P.c.unit_code,
                *(func.sum(case((c, 1), else_=0)) for c in inside),
                *(part for c in inside for part in wide_sum(case((c, P.c.planned_investment_minor), else_=0))))
         .select_from(first.join(P, P.c.id == first.c.project_id))
         .where(first.c.on >= low, first.c.on <= high, *unit_filter)
         .group_by(P.c.unit_code))
    n = len(windows)
    for r in conn.execute(q):
        for i, out in enumerate(outs):
            if r[1 + i]:
                out[r[0]]["signed"] = int(r[1 + i])
                out[r[0]]["signed_investment"] = joined(r[1 + n + 2 * i], r[2 + n + 2 * i]) or 0
    for label, table in (("capital", CAP), ("investment", INV)):
        on = table.c.effective_on
        q = (select(P.c.unit_code, table.c.currency,
                    *(part for w in windows
                      for part in wide_sum(case((on.between(w.start, w.end), table.c.amount_minor), else_=None))))
             .select_from(table.join(P, P.c.id == table.c.project_id))
             .where(on >= low, on <= high, *unit_filter)
             .group_by(P.c.unit_code, table.c.currency))
        for r in conn.execute(q):
            for i, out in enumerate(outs):
                total = joined(r[2 + 2 * i], r[3 + 2 * i])
                if total is not None:
                    out[r[0]][label][r[1]] = total
    return outs


def _varied_windows(first, last, seed: int = 7):
    """Windows of every shape a caller passes: the months (as the city's figures), one day on every
    day of the history and either side of it, a whole year, random overlapping ones cut at a random
    as-of date, and one whose as-of date lies before its start (no day at all)."""
    import random
    from dataclasses import dataclass
    from datetime import date, timedelta

    from workflow.bundle import iter_months
    from workflow.reports import Window

    @dataclass(frozen=True)
    class Days:
        label: str
        start: date
        end: date

    rng = random.Random(seed)
    span = (last - first).days
    ws = [Window(Days(label, s, e), min(e, last)) for label, s, e in iter_months(first, last)]
    ws += [Window(Days("day", d, d), d) for d in (first + timedelta(i) for i in range(-1, span + 2))]
    ws.append(Window(Days("year", date(first.year, 1, 1), date(first.year, 12, 31)), date(first.year, 12, 31)))
    for _ in range(80):
        start = first + timedelta(rng.randint(-40, span + 40))
        end = start + timedelta(rng.randint(0, 400))
        ws.append(Window(Days("any", start, end), start + timedelta(rng.randint(0, (end - start).days))))
    ws.append(Window(Days("none", first + timedelta(10), first + timedelta(40)), first + timedelta(5)))
    return ws


def assert_flows_equal_the_statement_form(engine, units) -> int:
    """``figures._flows`` of varied windows, all at once and a few at a time, equals the statement
    form it replaced, for every unit filter; on SQLite the units come in the same order too (on
    PostgreSQL the statement form's grouping left their order open).  Returns the windows' count."""
    from sqlalchemy import func, select

    from workflow.reports import _as_date
    from workflow.reports.figures import _flows, _read
    from workflow.tables import event as E

    with _read(engine) as conn:
        first, last = (_as_date(d) for d in conn.execute(select(func.min(E.c.effective_on),
                                                                func.max(E.c.effective_on))).one())
        windows = _varied_windows(first, last)
        for unit in units:
            together = _flows(conn, windows, unit)
            for at in range(0, len(windows), 40):  # the statement form grows a column triple a window
                chunk = windows[at:at + 40]
                old = _flows_by_case(conn, chunk, unit)
                assert together[at:at + 40] == old == _flows(conn, chunk, unit)
                if conn.dialect.name == "sqlite":
                    assert [list(f) for f in together[at:at + 40]] == [list(f) for f in old]
                    assert [[list(u["capital"]) for u in f.values()] for f in together[at:at + 40]] == \
                        [[list(u["capital"]) for u in f.values()] for f in old]
        assert _flows(conn, [], None) == []
    return len(windows)


def test_flows_equal_the_statement_form_on_each_engine(any_cli):
    """Signings undone by a correction, signed again, resumed from a hold (not a new signing), two
    signings of a unit the same day, several arrivals a day in two currencies: the flows of every kind of window
    (one day, a month, a year, overlapping ones) equal the statement form's, with and without a unit."""
    from workflow.db import make_engine

    c = any_cli
    _county(c)
    for code, unit in (("P-0003", "FGW"), ("P-0004", "XH")):
        c("project", "add", "--name", f"利源达{code}", "--investor", "利源达公司", "--industry", "food",
          "--investment", "3000万", "--unit", unit, "--on", "2026-01-05", ok=True)
        c("advance", code, "submit", "--on", "2026-01-06", ok=True)
        for item in ("industrial_policy", "environment", "energy", "land_use"):
            c("check", code, item, "pass", "--on", "2026-01-06", ok=True)
        c("doc", "add", code, "committee_decision", f"D-{code}", "--on", "2026-01-07", ok=True)
        c("advance", code, "approve", "--on", "2026-01-07", ok=True)
        c("doc", "add", code, "contract", f"C-{code}", "--on", "2026-03-05", ok=True)
        c("advance", code, "sign", "--on", "2026-03-05", ok=True)  # P-0004: XH's second signing that day
    events = c("history", "P-0003", json=True, ok=True).json["events"]
    sign_seq = [e["seq"] for e in events if e["kind"] == "transition" and e["trigger"] == "sign"][-1]
    c.admin("correct", "P-0003", sign_seq, "--reason", "合同未生效", "--on", "2026-03-06", ok=True)
    c("advance", "P-0003", "sign", "--on", "2026-05-10", ok=True)
    for amount, on in (("300万", "2026-05-20"), ("200万", "2026-05-20"), ("50万美元", "2026-05-20"),
                       ("100万", "2026-06-30")):
        c("capital", "add", "P-0003", amount, "--on", on, ok=True)
    c("capital", "add", "P-0001", "100万", "--on", "2026-04-01", ok=True)  # a second arrival that day
    engine = make_engine(c.url_for(COORD))
    try:
        assert assert_flows_equal_the_statement_form(engine, (None, "XH", "FGW", "ZZ")) > 200
    finally:
        engine.dispose()


@pytest.mark.sqlite_only  # the demo rebuilds an SQLite file only
def test_flows_equal_the_statement_form_on_the_demo_county(cli):
    """The demo county (holds and resumes, a rejection, CNY and USD, a year and more of history)."""
    from workflow.db import make_engine

    cli.admin("demo", "--no-show", "--projects", "60", "--force", ok=True)
    engine = make_engine(cli.url_for(COORD))
    try:
        assert assert_flows_equal_the_statement_form(engine, (None, "XH", "CG")) > 300
    finally:
        engine.dispose()
