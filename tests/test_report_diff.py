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


def _diff_lines(frozen: dict, live: dict, lang: str) -> list[str]:
    from workflow.closing import flat, readable_lines

    old, new = flat(frozen), flat(live)
    changes = [{"path": p, "frozen": old.get(p), "now": new.get(p)} for p in sorted(set(old) | set(new))
               if old.get(p) != new.get(p)]
    return readable_lines(changes, frozen, live, lang)


def _money(amount: int, currency: str = "CNY") -> dict:
    return {"amount_minor": amount, "currency": currency}


def test_evaluation_changes_read_as_figures_with_labels_amounts_in_wan_and_rates_as_percentages():
    def unit(code, name, rank, score, capital, rate):
        return {"unit": code, "unit_name": name, "rank": rank, "score": score,
                "actual": {"signed": 3, "capital": _money(capital)},
                "targets": [{"metric": "capital", "target": _money(5_000_000_000), "actual": _money(capital),
                             "rate": rate}]}

    frozen = {"report": "evaluation", "units": [unit("GXJ", "县工信局", 7, 41.0, 10, 0.5),
                                                unit("NYJ", "县农业农村局", 8, 39.77, 1_321_000_000, 0.2402)]}
    live = {"report": "evaluation", "units": [unit("GXJ", "县工信局", 8, 41.0, 10, 0.5),
                                              unit("NYJ", "县农业农村局", 7, 40.37, 1_421_000_000, 0.2584)]}
    zh = _diff_lines(frozen, live, "zh")
    assert "县工信局 排名 7 → 8" in zh
    assert "县农业农村局 到位资金 完成值 1,321.00 → 1,421.00 万元" in zh
    assert "县农业农村局 得分 39.77 → 40.37" in zh
    assert "县农业农村局 到位资金 完成率 24.0% → 25.8%" in zh
    assert len(zh) == 5  # the unit's actual and its target's actual are one figure, said once
    en = _diff_lines(frozen, live, "en")
    assert "县农业农村局 Capital in place Actual 1,321.00 → 1,421.00 10k CNY" in en
    assert "县工信局 Rank 7 → 8" in en and "县农业农村局 Capital in place Completion 24.0% → 25.8%" in en
    assert not any(word in " ".join(zh + en) for word in ("rank", "score", "actual", "targets", "1321000000"))


def test_a_project_off_the_red_list_is_one_line_and_stages_and_rates_read_by_their_labels():
    red = {"code": "P-0007", "name": "宾馆建设项目", "unit": "CG", "unit_name": "城关镇", "light": "red",
           "stage": "construction", "stage_since": "2023-04-10", "key": True,
           "lead_leader": {"login": "sun", "name": "孙志刚", "title": "副县长"}, "reasons": ["已314天未跟进"],
           "reasons_detail": [{"code": "no_followup", "color": "red", "en": "no follow-up for 314 days",
                               "zh": "已314天未跟进"}]}
    frozen = {"report": "dispatch", "projects": [red], "totals": {"red": 4, "key_projects": 0,
                                                                   "projects_by_stage": {"construction": 3}},
              "progress": {"categories": [{"category": "completed", "completed": _money(28_706_000_000),
                                           "plan_rate": 0.75}]},
              "comparison": {"totals": {"changes": {"month_on_month": {
                  "capital_in_place": [{"currency": "CNY", "amount_minor": 120_000_000, "rate": 0.0172}]}}}}}
    live = {"report": "dispatch", "projects": [], "totals": {"red": 3, "key_projects": -1,
                                                             "projects_by_stage": {"construction": 2}},
            "progress": {"categories": [{"category": "completed", "completed": _money(27_275_000_000),
                                         "plan_rate": 0.7}]},
            "comparison": {"totals": {"changes": {"month_on_month": {
                "capital_in_place": [{"currency": "CNY", "amount_minor": 220_000_000, "rate": 0.0316}]}}}}}
    zh = _diff_lines(frozen, live, "zh")
    assert "P-0007 宾馆建设项目（红灯） 不再列入" in zh
    assert not any("孙志刚" in line or "reasons" in line or "construction" in line for line in zh)
    assert "合计 红灯 4 → 3" in zh and "合计 重点项目 0 → -1" in zh
    assert any(line.startswith("合计 ") and line.endswith(" 3 → 2") and "construction" not in line for line in zh)
    assert "分类序时进度 竣工 年度完成投资 28,706.00 → 27,275.00 万元" in zh
    assert "分类序时进度 竣工 完成计划 75.0% → 70.0%" in zh
    assert "累计、同比、环比 合计 环比增长 到位资金 1.7% → 3.2%" in zh
    assert "累计、同比、环比 合计 环比增减 到位资金 120.00 → 220.00 万元" in zh
    en = _diff_lines(live, frozen, "en")
    assert "P-0007 宾馆建设项目 (red): newly listed" in en
    assert "Total Key projects -1 → 0" in en
