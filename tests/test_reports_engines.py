"""The reports on both engines (SQLite and PostgreSQL): the same commands give the same figures."""

from __future__ import annotations

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
