"""Every light rule at its boundary days, through recorded history and the report code path.

The pure rules are tested in test_lights.py; here the same boundaries (5/6 and 10/11 days in
screening, 30/31 and 60/61 days without follow-up, 90/91 days signed without capital, a planned
date 16/15 days ahead, due today, passed by one day) come out of real projects whose stage, stage
date and follow-ups are read back from history as of each date — including a project that has
moved on since, so its past stage must be reconstructed.
"""

from __future__ import annotations

from datetime import date

import pytest

WAN = 10_000 * 100


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from tests.conftest import ADMIN, COORD, Cli
    from workflow.db import make_engine
    from workflow.service import Service

    db = str(tmp_path_factory.mktemp("lights") / "lights.db")
    c = Cli(db)
    c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    c.admin("units", "add", "XH", "--name", "新华镇", ok=True)
    e = make_engine(f"sqlite:///{db}")
    s = Service(e, COORD)
    D = date.fromisoformat

    def add(name, on, plan=None):
        return s.add_project(name=name, investor="x", industry="y", investment_minor=5000 * WAN, unit="XH",
                             plan=plan, on=D(on)).project.code

    a = add("screening", "2026-01-01")  # P-0001
    s.advance(a, "submit", on=D("2026-01-01"))
    add("quiet", "2026-03-01")  # P-0002: no follow-up ever
    cc = add("signed", "2026-01-01")  # P-0003
    s.advance(cc, "submit", on=D("2026-01-02"))
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        s.record_check(cc, item, "pass", on=D("2026-01-02"))
    s.add_document(cc, "committee_decision", "D", on=D("2026-01-03"))
    s.advance(cc, "approve", on=D("2026-01-03"))
    s.add_document(cc, "contract", "C", on=D("2026-02-01"))
    s.advance(cc, "sign", on=D("2026-02-01"))
    s.add_followup(cc, "催办", on=D("2026-04-20"))
    s.add_capital(cc, 100 * WAN, "CNY", on=D("2026-06-01"))  # moves on to funding afterwards
    s.add_followup(cc, "到资", on=D("2026-06-01"))
    d = add("milestone", "2026-06-01", plan={"sign": "2026-07-01"})  # P-0004
    s.add_followup(d, "洽谈", on=D("2026-06-10"))
    yield e
    e.dispose()


def light_of(engine, code: str, as_of: str) -> str | None:
    from workflow import reports

    doc = reports.warnings(engine, as_of=date.fromisoformat(as_of))
    return next((p["light"] for p in doc["projects"] if p["code"] == code), None)


@pytest.mark.parametrize(("code", "as_of", "expected"), [
    # screening since 2026-01-01: more than 5 days yellow, more than 10 red
    ("P-0001", "2026-01-06", None), ("P-0001", "2026-01-07", "yellow"),
    ("P-0001", "2026-01-11", "yellow"), ("P-0001", "2026-01-12", "red"),
    # registered 2026-03-01, never followed up: more than 30 days yellow, more than 60 red
    ("P-0002", "2026-03-31", None), ("P-0002", "2026-04-01", "yellow"),
    ("P-0002", "2026-04-30", "yellow"), ("P-0002", "2026-05-01", "red"),
    # signed 2026-02-01, first capital only on 06-01: more than 90 days red (stage read from history)
    ("P-0003", "2026-05-02", None), ("P-0003", "2026-05-03", "red"), ("P-0003", "2026-06-01", None),
    # planned signing 2026-07-01: due within 15 days yellow (today included), passed red
    ("P-0004", "2026-06-15", None), ("P-0004", "2026-06-16", "yellow"),
    ("P-0004", "2026-07-01", "yellow"), ("P-0004", "2026-07-02", "red"),
])
def test_boundary_days(engine, code, as_of, expected):
    assert light_of(engine, code, as_of) == expected


def test_boundaries_move_with_thresholds(engine):
    from workflow import reports
    from workflow.lights import Thresholds

    t = Thresholds.from_mapping({"screening_yellow_days": 6, "screening_red_days": 11,
                                 "signed_no_capital_red_days": 91, "milestone_due_days": 14})
    doc = reports.warnings(engine, as_of=date(2026, 1, 7), thresholds=t)
    assert "P-0001" not in [p["code"] for p in doc["projects"]]
    doc = reports.warnings(engine, as_of=date(2026, 1, 12), thresholds=t)
    assert [p["light"] for p in doc["projects"] if p["code"] == "P-0001"] == ["yellow"]
    doc = reports.warnings(engine, as_of=date(2026, 5, 3), thresholds=t)
    assert "P-0003" not in [p["code"] for p in doc["projects"]]
    doc = reports.warnings(engine, as_of=date(2026, 6, 16), thresholds=t)
    assert "P-0004" not in [p["code"] for p in doc["projects"]]


def test_reasons_name_the_days(engine):
    from workflow import reports

    doc = reports.warnings(engine, as_of=date(2026, 5, 3))
    p3 = next(p for p in doc["projects"] if p["code"] == "P-0003")
    assert p3["stage"] == "signed" and p3["stage_since"] == "2026-02-01"
    assert p3["reasons"] == ["signed for 91 days with no capital in place (more than 90)"]
