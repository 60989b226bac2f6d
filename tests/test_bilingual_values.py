"""Enumerated values in either language, units by name, dates as the import reads them
(docs/usage.md, "Values in either language")."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.i18n import LABELS


@pytest.fixture
def proj(cli):
    return cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "新能源",
               "--investment", "3亿", "--unit", "新华镇", json=True, ok=True).json["code"]


def test_every_label_has_chinese():
    missing = [k for k, (en, zh) in LABELS.items() if not zh.strip() or not en.strip()]
    assert missing == []


def test_documents_checks_and_results_in_chinese(cli, proj):
    cli("advance", proj, "submit", ok=True)  # documents are recorded where a transition needs them
    doc = cli("doc", "add", proj, "协调委员会意见", "WYH-1", json=True, ok=True).json
    assert doc["event"]["payload"]["document"] == "committee_decision"
    res = cli("check", proj, "产业政策", "通过", json=True)
    if res.code == 0:  # the check item's Chinese label, if the definition has this one
        assert res.json["event"]["payload"]["result"] == "pass"
    item = cli("workflow", "show", json=True, ok=True).json["checks"][0]
    res = cli("check", proj, item["zh"], "不通过", json=True, ok=True).json
    assert res["event"]["payload"] == {**res["event"]["payload"], "item": item["key"], "result": "fail"}


def test_plan_milestones_and_dates_in_chinese(cli, proj):
    cli("project", "edit", proj, "--plan", "开工=2027年3月1日", "--plan", "投产=2027/12/31", ok=True)
    plan = cli("project", "show", proj, json=True).json["plan"]
    assert plan["break_ground"] == "2027-03-01" and plan["commission"] == "2027-12-31"
    day = date.today()  # the project was registered today
    res = cli("followup", "add", proj, "走访", "--on", f"{day.year}/{day.month}/{day.day}", json=True, ok=True).json
    assert res["event"]["effective_on"] == day.isoformat()


def test_audit_log_kind_and_stage_in_chinese(cli, proj):
    cli("followup", "add", proj, "走访", ok=True)
    events = cli("audit", "log", "--kind", "跟进", json=True, ok=True).out
    assert '"followup"' in events and '"registered"' not in events
    assert cli("audit", "log", "--stage", "意向在谈", "--unit", "新华镇", json=True).code == 0


def test_reassign_role_in_chinese(cli, proj):
    res = cli.admin("reassign", proj, "包保县级领导", "wang", "--reason", "分工调整", json=True)
    assert res.code == 0, res.out
    view = cli("project", "show", proj, json=True).json
    assert any(x["role"] == "lead_leader" and x["login"] == "wang" for x in view["leaders"])


def test_chinese_headers_and_sheet_names(cli, proj, tmp_path):
    from openpyxl import load_workbook

    units = cli("units", "list", lang="zh", ok=True).out
    assert "单位名称" in units and "项目名称" not in units
    people = cli("people", "list", lang="zh", ok=True).out
    assert "姓名" in people and "项目名称" not in people
    path = tmp_path / "b.xlsx"
    cli("report", "bulletin", "--period", "2026-B2", "--format", "xlsx", "--output", str(path), lang="zh", ok=True)
    assert load_workbook(path).sheetnames == ["累计同比环比", "各单位累计", "汇总", "分阶段", "序时进度",
                                              "分类序时进度", "说明"]


def test_every_report_section_has_a_chinese_sheet_name():
    """A workbook under --lang zh names every sheet in Chinese: each section key the command line
    builds (``Section("key", …)``) has its sheet name."""
    import pathlib
    import re

    from workflow.i18n import SHEETS_ZH

    keys = set()
    for path in pathlib.Path("cli").glob("*.py"):
        keys |= set(re.findall(r'Section\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert keys and not keys - set(SHEETS_ZH), sorted(keys - set(SHEETS_ZH))


def test_messages_in_chinese(cli, proj):
    res = cli.admin("reassign", proj, "lead_leader", "wang", "--reason", "分工调整", lang="zh", ok=True)
    assert "包保县级领导现为 wang" in res.err and "is now" not in res.err
    res = cli.admin("units", "add", "DA", "--name", "东安镇", lang="zh", ok=True)
    assert "已添加单位 DA" in res.err
    cli("advance", proj, "submit", ok=True)
    cli("check", proj, "industrial_policy", "pass", ok=True)
    out = cli("history", proj, lang="zh", ok=True).out
    assert "产业政策: 通过" in out and ": pass" not in out
