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
