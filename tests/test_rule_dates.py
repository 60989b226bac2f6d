"""Leader-assignment rules in force from a date (docs/rules.md): each version takes effect on its
``--from`` day; a decision uses the versions in force on its own effective date (a registration's
``--on``, an edit's, ``rules apply --on``); decisions already made keep their rule version."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import ADMIN
from workflow import clock

TODAY = clock.today()
D1 = TODAY - timedelta(days=40)  # the first version's day
D2 = TODAY - timedelta(days=20)  # the second version's day


def add_rule(cli, login: str, *extra) -> dict:
    return cli.admin("rules", "add", "--role", "lead_leader", "--person", login, "--priority", "10", "--key",
                     *extra, json=True, ok=True).json


def register(cli, on: date, name: str = "翠宏山铁多金属矿") -> str:
    return cli("project", "add", "--name", name, "--investor", "翠宏山矿业", "--industry", "mining",
               "--investment", "2亿", "--unit", "XH", "--key", "--allow-duplicate", "--on", on.isoformat(),
               json=True, ok=True).json["code"]


def lead(cli, code: str) -> tuple[str, int] | None:
    found = [x for x in cli("project", "show", code, json=True, ok=True).json["leaders"]
             if x["role"] == "lead_leader"]
    return (found[0]["login"], found[0].get("rule_version")) if found else None


def lead_login(cli, code: str) -> str | None:
    found = lead(cli, code)
    return found[0] if found else None


def test_a_rule_decides_from_its_day_and_not_before(cli):
    doc = add_rule(cli, "wang", "--from", D1.isoformat())
    assert doc["rule"]["effective_on"] == D1.isoformat()
    before = register(cli, D1 - timedelta(days=1))
    on_the_day = register(cli, D1)
    assert lead_login(cli, before) is None  # no rule was in force that day
    assert lead_login(cli, on_the_day) == "wang"
    res = cli("project", "add", "--name", "x", "--investor", "y", "--industry", "mining", "--investment", "2亿",
              "--unit", "XH", "--key", "--allow-duplicate", "--on", (D1 - timedelta(days=2)).isoformat(), json=True)
    assert any(w["code"] == "key_project_without_lead_leader" for w in res.json["warnings"])
    assert cli.admin("audit", "verify", json=True).json["ok"] is True


def test_a_rule_without_from_is_in_force_from_today(cli):
    doc = add_rule(cli, "wang")
    assert doc["rule"]["effective_on"] == TODAY.isoformat()
    assert lead_login(cli, register(cli, TODAY - timedelta(days=1))) is None
    assert lead_login(cli, register(cli, TODAY)) == "wang"


def test_an_edited_rule_decides_by_the_version_in_force_on_each_date(cli):
    cli.admin("people", "add", "zhao", "--name", "赵县长", "--level", "county", ok=True)
    add_rule(cli, "wang", "--from", D1.isoformat())
    early = register(cli, D1 + timedelta(days=1))
    saved = cli.admin("rules", "edit", "1", "--person", "zhao", "--from", D2.isoformat(), json=True, ok=True).json
    assert (saved["version"], saved["rule"]["effective_on"]) == (2, D2.isoformat())
    assert lead_login(cli, early) == "wang"  # a decision made keeps its rule version
    between = register(cli, D2 - timedelta(days=1), "项目乙")
    after = register(cli, D2, "项目丙")
    assert lead_login(cli, between) == "wang"  # version 1 was in force that day
    assert lead_login(cli, after) == "zhao"
    events = cli("history", after, json=True, ok=True).json["events"]
    assigned = [e["payload"] for e in events if e["kind"] == "assignment"]
    assert [(a["person"], a["rule_id"], a["rule_version"]) for a in assigned] == [("zhao", 1, 2)]
    in_force = cli("rules", "list", "--as-of", (D2 - timedelta(days=1)).isoformat(), json=True, ok=True).json
    assert [(r["id"], r["version"], r["person"]) for r in in_force["rules"]] == [(1, 1, "wang")]
    assert in_force["as_of"] == (D2 - timedelta(days=1)).isoformat()
    newest = cli("rules", "list", json=True, ok=True).json["rules"]
    assert [(r["version"], r["effective_on"]) for r in newest] == [(2, D2.isoformat())]
    assert cli.admin("audit", "verify", json=True).json["ok"] is True


def test_a_disabled_rule_stops_deciding_from_its_day(cli):
    add_rule(cli, "wang", "--from", D1.isoformat())
    cli.admin("rules", "disable", "1", "--from", D2.isoformat(), "--reason", "调整分工", ok=True)
    assert lead_login(cli, register(cli, D2 - timedelta(days=1))) == "wang"
    assert lead_login(cli, register(cli, D2, "项目乙")) is None


def test_a_version_never_takes_effect_before_the_one_it_replaces(cli):
    add_rule(cli, "wang", "--from", D2.isoformat())
    before = cli.admin("rules", "list", "--all", json=True, ok=True).json
    res = cli.admin("rules", "edit", "1", "--priority", "3", "--from", D1.isoformat(), json=True)
    assert res.code == 2 and res.json["error"]["code"] == "rule_from_before_version"
    assert D2.isoformat() in res.json["error"]["message"]
    assert cli.admin("rules", "list", "--all", json=True, ok=True).json == before  # nothing changed
    zh = cli.admin("rules", "edit", "1", "--priority", "3", "--from", D1.isoformat(), lang="zh")
    assert zh.code == 2 and "早于" in zh.err
    bad = cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1",
                    "--from", "2026-13-01", json=True)
    assert bad.code == 2
    both = cli("rules", "list", "--all", "--as-of", TODAY.isoformat(), json=True)
    assert both.code == 2 and both.json["error"]["code"] == "rules_all_or_as_of"


def test_rules_apply_uses_the_rules_in_force_on_its_date(cli):
    code = register(cli, D1)
    add_rule(cli, "wang", "--from", D2.isoformat())
    early = cli.admin("rules", "apply", "--dry-run", "--on", (D2 - timedelta(days=1)).isoformat(), json=True,
                      ok=True).json
    assert early["changes"] == []
    now = cli.admin("rules", "apply", "--on", D2.isoformat(), json=True, ok=True).json
    assert [(c["code"], c["to"]) for c in now["changes"]] == [(code, "wang")]
    assert lead_login(cli, code) == "wang"


def test_an_import_decides_each_row_by_the_rules_of_its_date(cli, tmp_path):
    add_rule(cli, "wang", "--from", D2.isoformat())
    path = tmp_path / "rows.csv"
    lines = ["name,investor,industry,investment,unit,key,registered_on"]
    lines += [f"项目{i},投资方{i},mining,2亿,XH,yes,{(D2 + timedelta(days=i - 2)).isoformat()}" for i in range(4)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = cli("import", str(path), json=True, ok=True).json
    codes = [f"P-{n:04d}" for n in range(1, 5)]
    assert res["imported"] == 4
    assert [lead_login(cli, c) for c in codes] == [None, None, "wang", "wang"]


def test_explain_names_the_rules_in_force_today(cli):
    code = register(cli, TODAY)
    add_rule(cli, "wang", "--from", (TODAY + timedelta(days=30)).isoformat())  # decides nothing yet
    assert [r["id"] for r in cli("rules", "explain", code, json=True, ok=True).json["rules"]] == []
    cli.admin("rules", "add", "--role", "team_member", "--person", "wang", "--priority", "5", ok=True)
    assert [r["id"] for r in cli("rules", "explain", code, json=True, ok=True).json["rules"]] == [2]


def test_the_rule_list_shows_each_versions_day(cli):
    add_rule(cli, "wang", "--from", D1.isoformat())
    text = cli("rules", "list", actor=ADMIN, ok=True).out
    assert D1.isoformat() in text and "In force from" in text
    zh = cli("rules", "list", actor=ADMIN, lang="zh", ok=True).out
    assert "生效日期" in zh
    before = cli("rules", "list", "--as-of", (D1 - timedelta(days=1)).isoformat(), ok=True)
    assert f"no rule is in force on {(D1 - timedelta(days=1)).isoformat()}" in before.out + before.err
