"""倒排工期 (docs/usage.md): plan dates derived backwards from the production date, recorded as one edit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.stages import to_signed
from workflow.clock import parse_date, today
from workflow.planning import DEFAULTS


@pytest.fixture
def proj(cli):
    return cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "新能源",
               "--investment", "3亿", "--unit", "XH", json=True, ok=True).json["code"]


@pytest.fixture
def small(cli):
    """A project that is not a key one (signing needs no lead leader)."""
    return cli("project", "add", "--name", "光伏", "--investor", "华能", "--industry", "新能源",
               "--investment", "2000万", "--unit", "XH", "--no-key", json=True, ok=True).json["code"]


def test_derive_backwards():
    t = DEFAULTS["default"]
    d = t.derive(date(2028, 6, 30))
    assert d["commission"] == date(2028, 6, 30)
    assert (d["commission"] - d["break_ground"]).days == t.break_ground_to_commission
    assert (d["break_ground"] - d["fund"]).days == t.fund_to_break_ground
    assert (d["fund"] - d["sign"]).days == t.sign_to_fund


@pytest.mark.parametrize("typed", ["2026-11-29", "2026/11/29", "2026年11月29日", "2026.11.29", "２０２６/１１/２９"])
def test_date_forms_of_the_import(typed):
    assert parse_date(typed, "--on") == date(2026, 11, 29)


def test_plan_dry_run_then_record_one_edit(cli, proj):
    dry = cli("project", "plan", proj, "--commission", "2029年6月30日", "--dry-run", json=True, ok=True).json
    assert dry["template"]["name"] == "energy"  # chosen by the project's industry
    assert dry["event"] is None and set(dry["changes"]) == {"sign", "fund", "break_ground", "commission"}
    assert cli("project", "show", proj, json=True).json["plan"]["commission"] is None
    before = len(cli("history", proj, json=True).json["events"])
    done = cli("project", "plan", proj.lower(), "--commission", "2029/06/30", "--yes", json=True, ok=True).json
    assert done["event"]["kind"] == "edited"
    events = cli("history", proj, json=True).json["events"]
    assert len(events) == before + 1
    assert cli("project", "show", proj, json=True).json["plan"] == dry["derived"]


def test_existing_dates_kept_unless_replace(cli, proj):
    cli("project", "edit", proj, "--plan", "sign=2027-01-15", ok=True)
    doc = cli("project", "plan", proj, "--commission", "2028-06-30", "--template", "default", "--yes",
              json=True, ok=True).json
    plan = cli("project", "show", proj, json=True).json["plan"]
    assert plan["sign"] == "2027-01-15" and plan["fund"] == doc["derived"]["fund"]
    cli("project", "plan", proj, "--commission", "2028-06-30", "--template", "default", "--replace", "--yes",
        ok=True)
    assert cli("project", "show", proj, json=True).json["plan"]["sign"] == doc["derived"]["sign"]
    again = cli("project", "plan", proj, "--commission", "2028-06-30", "--template", "default", "--replace",
                "--yes", json=True, ok=True).json
    assert again["changes"] == {} and again["event"] is None


def test_templates_are_data_admins_set_them(cli, proj):
    assert cli("plan", "templates", "set", "energy", "--break-ground-to-commission", "100", json=True).code == 6
    cli.admin("plan", "templates", "set", "energy", "--break-ground-to-commission", "100", ok=True)
    cli.admin("plan", "templates", "set", "wind", "--sign-to-fund", "10", "--fund-to-break-ground", "20",
              "--break-ground-to-commission", "30", "--industry", "风电", ok=True)
    names = {t["name"]: t for t in cli("plan", "templates", "list", json=True, ok=True).json["templates"]}
    assert names["energy"]["break_ground_to_commission"] == 100 and names["energy"]["stored"] is True
    assert names["wind"]["industries"] == ["风电"]
    doc = cli("project", "plan", proj, "--commission", "2028-06-30", "--dry-run", json=True, ok=True).json
    assert doc["derived"]["break_ground"] == "2028-03-22"  # 100 days before
    res = cli("project", "plan", proj, "--commission", "2028-06-30", "--template", "nope", json=True)
    assert res.code == 4
    assert cli.admin("plan", "templates", "set", "bad", "--sign-to-fund", "-1", json=True).code == 2
    assert cli("project", "plan", proj, "--commission", "2028-13-01", json=True).code == 2


def _days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def test_reached_milestone_keeps_its_real_date(cli, small):
    proj = small
    to_signed(cli, proj)
    doc = cli("project", "plan", proj, "--commission", _days(800), "--yes", json=True, ok=True).json
    assert doc["reached"] == {"sign": today().isoformat()}  # the effective date of the signing
    assert "sign" not in doc["changes"] and set(doc["changes"]) == {"fund", "break_ground", "commission"}
    assert cli("project", "show", proj, json=True).json["plan"]["sign"] is None  # not planned again


def test_a_date_in_the_past_is_refused_unless_allowed(cli, proj):
    soon = _days(100)  # energy: groundbreaking 450 days before production
    res = cli("project", "plan", proj, "--commission", soon, "--yes")
    assert res.code == 3 and "Planned signing" in res.err and "before today" in res.err
    assert cli("project", "show", proj, json=True).json["plan"]["commission"] is None  # nothing written
    zh = cli("project", "plan", proj, "--commission", soon, "--yes", lang="zh")
    assert zh.code == 3 and "计划签约日期" in zh.err and "早于今天" in zh.err
    assert cli("project", "plan", proj, "--commission", soon, "--yes", "--allow-past", json=True).code == 2
    done = cli("project", "plan", proj, "--commission", soon, "--yes", "--allow-past", "--reason", "省重点",
               json=True, ok=True).json
    assert done["recorded"] is True and done["past"] and done["reason"] == "省重点"
    assert cli("project", "show", proj, json=True).json["plan"]["commission"] == soon
    edited = cli("history", proj, json=True).json["events"][-1]
    assert edited["kind"] == "edited" and edited["reason"] == "省重点"  # the reason is history, under its hash
    assert cli("audit", "verify", json=True).json["ok"] is True


def test_a_reached_milestone_bounds_the_plan(cli, small):
    proj = small
    to_signed(cli, proj)
    res = cli("project", "plan", proj, "--commission", _days(30), "--template", "default", "--yes")
    assert res.code == 3 and "Planned capital" in res.err


def test_stage_order_is_kept(cli, proj):
    cli("project", "edit", proj, "--plan", f"fund={_days(900)}", ok=True)
    res = cli("project", "plan", proj, "--commission", _days(1000), "--template", "default", "--yes")
    assert res.code == 3 and "Planned groundbreaking" in res.err and "Planned capital" in res.err
    zh = cli("project", "plan", proj, "--commission", _days(1000), "--template", "default", "--yes", lang="zh")
    assert zh.code == 3 and "早于计划到资日期" in zh.err
    ok = cli("project", "plan", proj, "--commission", _days(1000), "--template", "default", "--replace",
             "--json", ok=True).json
    assert ok["changes"]["fund"] < ok["changes"]["break_ground"] < ok["changes"]["commission"]


def test_off_a_terminal_only_yes_records(cli, proj):
    res = cli("project", "plan", proj, "--commission", "2029-06-30", json=True, ok=True)
    assert res.json["recorded"] is False and res.json["event"] is None
    assert "nothing was written" in res.err
    assert cli("project", "show", proj, json=True).json["plan"]["commission"] is None
    zh = cli("project", "plan", proj, "--commission", "2029-06-30", lang="zh", ok=True)
    assert "未写入" in zh.err
    res = cli("project", "plan", proj, "--commission", "2029-06-30", "--yes", json=True, ok=True)
    assert res.json["recorded"] is True


def test_default_template_is_said(cli):
    code = cli("project", "add", "--name", "厂", "--investor", "甲", "--industry", "咨询", "--investment", "1亿",
               "--unit", "XH", json=True, ok=True).json["code"]
    res = cli("project", "plan", code, "--commission", "2029-06-30", json=True, ok=True)
    assert res.json["template"]["name"] == "default" and "default template" in res.err
