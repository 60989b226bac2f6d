"""An undo that takes back an entry dated in a closed period is a late entry: it needs --late --reason
and is listed among the adjustments (docs/lights-and-reports.md)."""

from __future__ import annotations

from tests.test_closed_periods import IN, OPEN, PERIOD, signed_project


def test_undo_in_a_closed_period_needs_late_and_reason_and_is_listed(cli):
    code = signed_project(cli)
    cli("capital", "add", code, "500万", "--on", IN, ok=True)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    frozen = cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).out
    res = cli("undo", code, json=True)
    assert res.code == 3 and PERIOD in res.json["error"]["message"] and "--late" in res.json["error"]["message"]
    assert cli("undo", code, "--late", json=True).code == 2  # a late entry needs its reason
    n = len(cli("history", code, json=True, ok=True).json["events"])
    assert n == len(cli("history", code, json=True, ok=True).json["events"])  # nothing was written
    doc = cli("undo", code, "--late", "--reason", "金额录错，撤回", json=True, ok=True).json
    (correction,) = doc["events"]
    assert correction["payload"]["late"] == {"period": PERIOD, "reason": "金额录错，撤回"}
    live = cli("report", "bulletin", "--period", OPEN, json=True, ok=True).json
    listed = [a for a in live["adjustments"] if a["kind"] == "correction"]
    assert listed and listed[0]["closed_period"] == PERIOD and listed[0]["code"] == code
    assert cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).out == frozen  # still frozen
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


def test_undo_outside_closed_periods_needs_nothing_more(cli):
    code = signed_project(cli)
    cli("capital", "add", code, "500万", "--on", IN, ok=True)
    cli.admin("report", "close", "--period", PERIOD.replace("Q1", "Q3"), ok=True)  # another period
    doc = cli("undo", code, json=True, ok=True).json
    assert "late" not in doc["events"][0]["payload"]
