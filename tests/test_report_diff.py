"""`report diff` for a clerk: the unit's name, the figure's label in the run's language, amounts in
the report's units (万元); `--json` keeps paths and minor units (docs/lights-and-reports.md)."""

from __future__ import annotations

from tests.test_closed_periods import IN, IN2, PERIOD, signed_project
from workflow.closing import readable_line


def test_diff_reads_as_a_clerk_reads_and_json_keeps_the_machine_form(cli):
    code = signed_project(cli)
    cli("capital", "add", code, "500万", "--on", IN, ok=True)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    cli("capital", "add", code, "300万", "--on", IN2, "--late", "--reason", "漏报补录", ok=True)
    doc = cli("report", "diff", "--period", PERIOD, json=True, ok=True).json
    paths = {c["path"]: (c["frozen"], c["now"]) for c in doc["changes"]}
    assert paths["units[XH].capital_in_place[CNY].amount_minor"] == (500_000_000, 800_000_000)
    assert not any(p.startswith("projects[") for p in paths)  # the red list compared like with like
    assert all("line" not in c for c in doc["changes"])
    zh = cli("report", "diff", "--period", PERIOD, lang="zh", ok=True).out
    assert "新华镇 到位资金 500.00 → 800.00 万元" in zh.splitlines()
    assert "合计 到位资金 500.00 → 800.00 万元" in zh.splitlines()
    assert "新华镇 增减 到位资金 500.00 → 800.00 万元" in zh.splitlines()
    en = cli("report", "diff", "--period", PERIOD, ok=True).out
    assert "Total Capital in place 500.00 → 800.00 10k CNY" in en.splitlines()
    assert any(line.endswith("Capital in place 500.00 → 800.00 10k CNY") and "XH" not in line
               for line in en.splitlines())
    assert "amount_minor" not in zh + en and "500000000" not in zh + en


def test_readable_line_names_the_project_and_the_foreign_capital():
    names = {"P-0001": "P-0001 翠宏山铁多金属矿", "FGW": "县发改局"}
    assert readable_line({"path": "units[FGW].capital_in_place[CNY].amount_minor", "frozen": 12_100_000_00,
                          "now": 27_100_000_00}, names, "zh") == "县发改局 到位资金 1,210.00 → 2,710.00 万元"
    assert readable_line({"path": "units[FGW].capital_in_place[USD].amount_minor", "frozen": None,
                          "now": 1_000_000}, names, "en") == "县发改局 Foreign capital — → 1.00 10k USD"
    assert readable_line({"path": "projects[P-0001].light", "frozen": "red", "now": "yellow"}, names,
                         "zh").startswith("P-0001 翠宏山铁多金属矿 ")
