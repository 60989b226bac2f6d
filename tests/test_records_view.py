"""What a coordinator looks at: ``project show --full`` and the tranche lists (docs/usage.md, docs/money.md)."""

from __future__ import annotations

from tests.stages import CHECK_ITEMS, to_signed
from tests.test_cli_core import add_project


def test_show_full_json_has_the_records(cli):
    code = add_project(cli)
    cli("advance", code, "submit", ok=True)
    cli("check", code, "environment", "fail", "--note", "排放超标", ok=True)
    for item in CHECK_ITEMS:
        cli("check", code, item, "pass", *(["--note", "整改完成"] if item == "environment" else []), ok=True)
    cli("doc", "add", code, "committee_decision", "县招委〔2026〕3号", ok=True)
    cli("advance", code, "approve", ok=True)
    cli("doc", "add", code, "contract", "合同1", ok=True)
    cli("advance", code, "sign", ok=True)
    cli("capital", "add", code, "3000万", "--source", "首期", ok=True)
    cli("capital", "add", code, "100万美元", ok=True)
    cli("investment", "add", code, "1200万", ok=True)
    view = cli("project", "show", code, "--full", json=True, ok=True).json
    env = [c for c in view["checks"] if c["item"] == "environment"]
    assert len(env) == 1 and env[0]["result"] == "pass" and env[0]["note"] == "整改完成" and env[0]["date"]
    assert {c["item"] for c in view["checks"]} >= {"industrial_policy", "environment", "energy", "land_use"}
    assert any(d["kind"] == "committee_decision" for d in view["documents"])
    assert [c["amount"] for c in view["capital"]] == [{"amount_minor": 3_000_000_000, "currency": "CNY"},
                                                      {"amount_minor": 100_000_000, "currency": "USD"}]
    assert view["capital"][0]["source"] == "首期"
    assert view["investment"] == [{"date": view["investment"][0]["date"],
                                   "amount": {"amount_minor": 1_200_000_000, "currency": "CNY"}}]


def test_show_without_full_is_unchanged(cli):
    code = add_project(cli)
    plain = cli("project", "show", code, json=True, ok=True).json
    assert not {"checks", "documents", "capital", "investment"} & set(plain)
    text = cli("project", "show", code, ok=True).out
    assert "Screening checklist" not in text and "Documents" not in text


def test_show_full_terminal_in_both_languages(cli):
    code = add_project(cli)
    cli("advance", code, "submit", ok=True)
    cli("check", code, "industrial_policy", "pass", "--note", "符合目录", ok=True)
    en = cli("project", "show", code, "--full", ok=True).out
    assert "Screening checklist" in en and "符合目录" in en and "not checked" in en
    assert "Documents: none recorded" in en and "Capital arrivals: none recorded" in en
    assert "Investment completed: none recorded" in en
    zh = cli("project", "show", code, "--full", lang="zh", ok=True).out
    assert "项目审核" in zh and "通过" in zh and "未审核" in zh and "文件：暂无记录" in zh


def test_show_full_formats_money_once(cli):
    code = add_project(cli)
    to_signed(cli, code)
    cli("capital", "add", code, "3000万", "--source", "首期", ok=True)
    from workflow.amounts import format_money

    en = cli("project", "show", code, "--full", ok=True).out
    assert format_money(3_000_000_000, "CNY", "en") in en and "首期" in en
    zh = cli("project", "show", code, "--full", lang="zh", ok=True).out
    assert format_money(3_000_000_000, "CNY", "zh") in zh and "资金到位" in zh


def _two_projects_with_money(cli):
    a = add_project(cli, name="甲项目")
    b = add_project(cli, name="乙项目")
    for code in (a, b):
        to_signed(cli, code)
    cli("capital", "add", a, "3000万", "--source", "首期", ok=True)
    cli("capital", "add", a, "100万美元", ok=True)
    cli("capital", "add", b, "500万", ok=True)
    cli("investment", "add", b, "1200万", ok=True)
    return a, b


def test_capital_list_json_of_one_project_with_totals(cli):
    a, b = _two_projects_with_money(cli)
    doc = cli("capital", "list", a.lower(), json=True, ok=True).json
    assert doc["code"] == a and {r["code"] for r in doc["tranches"]} == {a}
    assert [r["amount"]["amount_minor"] for r in doc["tranches"]] == [100_000_000, 3_000_000_000]  # newest first
    assert doc["totals"] == [{"amount_minor": 3_000_000_000, "currency": "CNY"},
                             {"amount_minor": 100_000_000, "currency": "USD"}]
    everything = cli("capital", "list", json=True, ok=True).json
    assert len(everything["tranches"]) == 3 and everything["tranches"][0]["name"] in ("甲项目", "乙项目")
    inv = cli("investment", "list", "--unit", "XH", json=True, ok=True).json
    assert [(r["code"], r["amount"]["amount_minor"]) for r in inv["tranches"]] == [(b, 1_200_000_000)]
    assert "source" not in inv["tranches"][0]


def test_capital_list_by_period_and_empty_says_so(cli):
    _two_projects_with_money(cli)
    from datetime import date

    this_year = str(date.today().year)
    assert len(cli("capital", "list", "--period", this_year, json=True, ok=True).json["tranches"]) == 3
    res = cli("capital", "list", "--period", "2001", ok=True)
    assert "no tranches" in res.err and res.out == ""
    zh = cli("investment", "list", "--period", "2001", lang="zh", ok=True)
    assert "没有记录" in zh.err
    empty = cli("investment", "list", "--period", "2001", json=True, ok=True).json
    assert empty["tranches"] == [] and empty["totals"] == []


def test_capital_list_terminal_in_both_languages(cli):
    a, _ = _two_projects_with_money(cli)
    from workflow.amounts import format_money

    en = cli("capital", "list", a, ok=True)
    assert "Capital arrivals" in en.out and format_money(3_000_000_000, "CNY", "en") in en.out and "首期" in en.out
    assert "2 tranches" in en.err and "total: USD 1,000,000.00" in en.err
    zh = cli("capital", "list", a, lang="zh", ok=True)
    assert "资金到位" in zh.out and "资金来源" in zh.out and format_money(3_000_000_000, "CNY", "zh") in zh.out
    assert "共 2 笔" in zh.err and "合计：" in zh.err
    inv = cli("investment", "list", lang="zh", ok=True)
    assert "完成投资" in inv.out and "资金来源" not in inv.out


def test_bad_unit_period_and_project_are_refused(cli):
    _two_projects_with_money(cli)
    assert cli("capital", "list", "--unit", "无此单位").code == 4
    res = cli("investment", "list", "--period", "2026-Q9")
    assert res.code == 2 and "2026-H1" in res.err
    assert cli("capital", "list", "P-0099").code == 4
    assert cli("capital", "list", "--format", "docx").code == 2
    assert cli("capital", "list", "--format", "xlsx").code == 2  # xlsx needs --output


def test_capital_list_files_are_spreadsheet_safe(cli, tmp_path):
    a = add_project(cli, name="=HYPERLINK(\"x\")")
    to_signed(cli, a)
    cli("capital", "add", a, "3000万", "--source", "+cmd", ok=True)
    csv_text = cli("capital", "list", "--format", "csv", ok=True).out
    assert csv_text.splitlines()[0] == "Code,Project,Date,Amount,Currency,Source"
    assert "30000000.00,CNY" in csv_text and ",=HYPERLINK" not in csv_text and ",+cmd" not in csv_text
    md = cli("capital", "list", "--format", "md", lang="zh", ok=True).out
    assert md.startswith("# 资金到位") and "| 项目编号 |" in md
    out = tmp_path / "c.xlsx"
    cli("capital", "list", "--format", "xlsx", "--output", out, ok=True)
    from openpyxl import load_workbook

    ws = load_workbook(out).active
    assert [c.value for c in ws[1]][:4] == ["Code", "Project", "Date", "Amount"]
    assert ws["D2"].value == 30_000_000 and ws["B2"].data_type == "s" and ws["B2"].quotePrefix


def test_a_key_project_no_rule_leads_is_warned_of(cli):
    res = cli("project", "add", "--name", "重点甲", "--investor", "甲公司", "--industry", "mining",
              "--investment", "2亿", "--unit", "XH", ok=True)
    assert "P-0001 is a key project but no rule assigns it a lead leader" in res.err
    assert "pipeline rules add --role lead_leader --person LOGIN --priority N --key" in res.err
    zh = cli("project", "add", "--name", "重点乙", "--investor", "乙公司", "--industry", "mining",
             "--investment", "3亿", "--unit", "XH", lang="zh", json=True, ok=True)
    assert [w["project"] for w in zh.json["warnings"]] == ["P-0002"]
    assert "包保县级领导" in zh.json["warnings"][0]["message_zh"] and zh.err == ""
    small = cli("project", "add", "--name", "小项目", "--investor", "丙公司", "--industry", "mining",
                "--investment", "500万", "--unit", "XH", json=True, ok=True)
    assert small.json["warnings"] == []
    cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    led = cli("project", "add", "--name", "重点丁", "--investor", "丁公司", "--industry", "mining",
              "--investment", "2亿", "--unit", "XH", ok=True)
    assert "wang" in led.err and "no rule assigns" not in led.err
    assert cli("project", "add", "--name", "重点戊", "--investor", "戊公司", "--industry", "mining",
               "--investment", "2亿", "--unit", "XH", json=True, ok=True).json["warnings"] == []


def test_an_import_warns_of_each_key_project_without_a_lead_leader(cli, tmp_path):
    from tests.test_io_cli import GOOD, ZH, write

    res = cli("import", write(tmp_path, ZH + "".join(GOOD)), json=True, ok=True)
    assert [w["project"] for w in res.json["warnings"]] == ["P-0001", "P-0002"]  # the two key projects
    text = cli("import", write(tmp_path, ZH + "".join(GOOD)), "--allow-duplicates", lang="zh", ok=True)
    assert "P-0005 是重点项目" in text.err and "P-0006 是重点项目" in text.err and "P-0007" not in text.err
    dry = cli("import", write(tmp_path, ZH + "".join(GOOD)), "--allow-duplicates", "--dry-run", json=True, ok=True)
    assert dry.json["warnings"] == []
