"""The engine core through the command line: guards, refusals, exit codes, dates, the whole journey."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import ADMIN
from tests.stages import to_signed

TODAY = date.today()


def d(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def add_project(cli, *, investment="5600万", key=None, on=None, **extra) -> str:
    args = ["project", "add", "--name", extra.get("name", "盛典蓝莓科技开发"), "--investor",
            extra.get("investor", "盛典蓝莓科技开发有限公司"), "--industry", "agriculture",
            "--investment", investment, "--unit", "XH", "--allow-duplicate"]
    if key is True:
        args.append("--key")
    if key is False:
        args.append("--no-key")
    if on:
        args += ["--on", on]
    res = cli(*args, json=True, ok=True)
    return res.json["code"]


def test_add_and_show_json_contract(cli):
    code = add_project(cli)
    assert code == "P-0001"
    view = cli("project", "show", code, json=True, ok=True).json
    for k in ("code", "name", "investor", "origin", "industry", "category", "key", "stage", "stage_since", "unit",
              "planned_investment", "capital_in_place", "investment_completed", "leaders", "light",
              "light_reasons", "plan", "workflow", "version"):
        assert k in view
    assert view["planned_investment"] == {"amount_minor": 56_000_000 * 100, "currency": "CNY"}
    assert view["stage"] == "lead" and view["key"] is False and view["version"] == 1
    assert view["workflow"] == {"name": "investment", "version": 1}
    assert add_project(cli) == "P-0002"


@pytest.mark.parametrize("amount,minor", [
    ("120000000", 12_000_000_000), ("1.2e8", 12_000_000_000), ("5600万", 5_600_000_000),
    ("5600万元", 5_600_000_000), ("6.6亿", 66_000_000_000), ("6.6亿元", 66_000_000_000),
    ("12,000,000", 1_200_000_000),
])
def test_amount_forms_through_cli(cli, amount, minor):
    code = add_project(cli, investment=amount)
    assert cli("project", "show", code, json=True).json["planned_investment"]["amount_minor"] == minor


@pytest.mark.parametrize("amount", ["abc", "-5", "1,2,3", "5600万万", "1.234", "", "nan"])
def test_bad_amounts_exit_2_and_change_nothing(cli, amount):
    res = cli("project", "add", "--name", "x", "--investor", "y", "--industry", "z", "--investment", amount,
              "--unit", "XH", json=True)
    assert res.code == 2
    assert res.json["error"]["code"] in ("amount_not_recognised", "amount_not_recognised_because",
                                         "must_not_be_empty")
    assert "accepted forms" in res.json["error"]["message"] or "must not be empty" in res.json["error"]["message"]
    assert cli("project", "list", json=True).json["projects"] == []


def test_usd_capital_and_key_threshold(cli):
    big = add_project(cli, investment="1亿")
    small = add_project(cli, investment="9999万")
    manual = add_project(cli, investment="100万", key=True)
    assert cli("project", "show", big, json=True).json["key"] is True
    assert cli("project", "show", small, json=True).json["key"] is False
    assert cli("project", "show", manual, json=True).json["key"] is True
    to_signed(cli, small)
    cli("capital", "add", small, "4179万美元", ok=True)
    cap = cli("project", "show", small, json=True).json["capital_in_place"]
    assert cap == [{"amount_minor": 41_790_000 * 100, "currency": "USD"}]


def test_submit_guard_lists_every_failure(cli):
    res = cli("project", "add", "--name", "宾馆建设项目", "--investor", " ", "--industry", "hotel", "--investment", "0",
              "--unit", "XH", json=True)
    assert res.code == 0  # incomplete leads may be registered; the submit guard stops them
    code = res.json["code"]
    res = cli("advance", code, "submit", json=True)
    assert res.code == 3
    guards = {g["guard"] for g in res.json["error"]["details"]}
    assert guards == {"has_investor", "has_planned_investment"}
    assert cli("project", "show", code, json=True).json["stage"] == "lead"
    assert len(cli("history", code, json=True).json["events"]) == 1


def test_next_reports_every_guard(cli):
    code = add_project(cli)
    cli("advance", code, "submit", ok=True)
    cli("doc", "add", code, "committee_decision", "县招委〔2026〕3号", ok=True)
    cli("check", code, "industrial_policy", "pass", ok=True)
    cli("check", code, "environment", "fail", "--note", "排放超标", ok=True)
    nxt = cli("next", code, json=True, ok=True).json
    assert nxt["code"] == code and nxt["stage"] == "screening"
    approve = next(t for t in nxt["transitions"] if t["trigger"] == "approve")
    assert approve["to"] == "approved" and approve["allowed"] is False
    results = {g["guard"]: g["ok"] for g in approve["guards"]}
    assert results == {"document:committee_decision": True, "check:industrial_policy": True,
                       "check:environment": False, "check:energy": False, "check:land_use": False}
    res = cli("advance", code, "approve", json=True)
    assert res.code == 3
    assert {g["guard"] for g in res.json["error"]["details"]} == {"check:environment", "check:energy",
                                                                  "check:land_use"}
    # a later pass replaces the failed check
    for item in ("environment", "energy", "land_use"):
        cli("check", code, item, "pass", ok=True)
    assert cli("advance", code, "approved", json=True, ok=True).json["stage"] == "approved"


def test_reason_required_for_reject_hold_withdraw(cli):
    code = add_project(cli)
    cli("advance", code, "submit", ok=True)
    for trig in ("reject", "hold", "withdraw"):
        res = cli("advance", code, trig, json=True)
        assert res.code == 3
        assert [g["guard"] for g in res.json["error"]["details"]] == ["reason_given"]
    cli("advance", code, "reject", "--reason", "违反环保红线", ok=True)
    view = cli("project", "show", code, json=True).json
    assert view["stage"] == "rejected" and view["light"] is None


def test_final_stage_has_no_way_out(cli):
    code = add_project(cli)
    cli("advance", code, "withdraw", "--reason", "投资方撤资", ok=True)
    for target in ("submit", "resume", "hold", "lead"):
        res = cli("advance", code, target, "--reason", "x", json=True)
        assert res.code in (3,), res.out
    assert cli("next", code, json=True).json["transitions"] == []


def test_hold_resume_returns_to_held_from(cli):
    code = add_project(cli)
    cli("advance", code, "submit", ok=True)
    cli("advance", code, "hold", "--reason", "等待土地指标", ok=True)
    view = cli("project", "show", code, json=True).json
    assert view["stage"] == "on_hold" and view["light"] is None
    res = cli("advance", code, "resume", json=True, ok=True).json
    assert res["stage"] == "screening"
    assert res["event"]["from"] == "on_hold" and res["event"]["to"] == "screening"


def test_unknown_trigger_or_stage_is_bad_input(cli):
    code = add_project(cli)
    res = cli("advance", code, "fly", json=True)
    assert res.code == 2
    res = cli("project", "list", "--stage", "nowhere", json=True)
    assert res.code == 4  # a filter naming no stage: not found, naming it (docs/usage.md, `pipeline project list`)
    assert "nowhere" in res.json["error"]["message"]


def test_not_found_exit_4(cli):
    for args in (("project", "show", "P-9999"), ("advance", "P-9999", "submit"), ("history", "P-9999"),
                 ("next", "P-9999")):
        res = cli(*args, json=True)
        assert res.code == 4, args
        assert res.json["error"]["code"] == "no_project" and res.json["error"]["fields"] == {"code": "P-9999"}
    res = cli("project", "add", "--name", "a", "--investor", "b", "--industry", "c", "--investment", "1",
              "--unit", "NOPE", json=True)
    assert res.code == 4


def test_roles_exit_6(cli):
    code = add_project(cli)
    # unknown users may read but not write
    assert cli("project", "show", code, actor="stranger", json=True).code == 0
    res = cli("advance", code, "submit", actor="stranger", json=True)
    assert res.code == 6 and res.json["error"]["code"] == "unknown_user_may_not"
    cli.admin("users", "add", "aud", "--role", "auditor", ok=True)
    cli.admin("users", "add", "boss", "--role", "leader", ok=True)
    assert cli("followup", "add", code, "查看现场", actor="aud").code == 6
    assert cli("followup", "add", code, "查看现场", actor="boss").code == 6  # not their project
    assert cli("units", "add", "NEW", "--name", "n").code == 6  # coordinator is not admin
    assert cli("reassign", code, "team_member", "wang", "--reason", "x").code == 6
    assert len(cli("history", code, json=True).json["events"]) == 1


def test_expect_version_conflict_exit_5(cli):
    code = add_project(cli)
    assert cli("project", "show", code, json=True).json["version"] == 1
    cli("advance", code, "submit", "--expect-version", "1", ok=True)
    res = cli("followup", "add", code, "电话沟通", "--expect-version", "1", json=True)
    assert res.code == 5 and res.json["error"]["code"] == "version_conflict"
    assert len(cli("history", code, json=True).json["events"]) == 2


def test_date_rules(cli):
    code = add_project(cli, on=d(30))
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    res = cli("advance", code, "submit", "--on", tomorrow, json=True)
    assert res.code == 2 and "future" in res.json["error"]["message"]
    res = cli("advance", code, "submit", "--on", "2026-13-01", json=True)
    assert res.code == 2
    res = cli("advance", code, "submit", "--on", d(40), json=True)
    assert res.code == 2 and "registered" in res.json["error"]["message"]
    cli("advance", code, "submit", "--on", d(20), ok=True)
    res = cli("advance", code, "hold", "--reason", "x", "--on", d(25), json=True)
    assert res.code == 2 and "previous transition" in res.json["error"]["message"]
    cli("advance", code, "hold", "--reason", "x", "--on", d(20), ok=True)  # same day is allowed
    hist = cli("history", code, json=True).json["events"]
    assert [e["effective_on"] for e in hist] == [d(30), d(20), d(20)]
    assert cli("project", "show", code, json=True).json["stage_since"] == d(20)


def test_capital_first_arrival_fires_fund(cli):
    code = drive_to(cli, "signed")
    res = cli("capital", "add", code, "3000万", "--source", "首期", json=True, ok=True).json
    assert res["stage"] == "funding"
    assert [e["kind"] for e in res["events"]] == ["capital", "transition"]
    assert res["events"][1]["trigger"] == "fund" and res["events"][1]["payload"] == {"auto": True}
    res = cli("capital", "add", code, "2000万", json=True, ok=True).json
    assert res["stage"] == "funding" and len(res["events"]) == 1
    view = cli("project", "show", code, json=True).json
    assert view["capital_in_place"] == [{"amount_minor": 50_000_000 * 100, "currency": "CNY"}]


def drive_to(cli, stage: str, *, key: bool = False) -> str:
    code = add_project(cli, investment="2亿" if key else "5600万")
    steps = ["screening", "approved", "signed", "funding", "construction", "production"]
    for s in steps[: steps.index(stage) + 1]:
        if s == "approved":
            cli("doc", "add", code, "committee_decision", "县招委〔2026〕1号", ok=True)
            for item in ("industrial_policy", "environment", "energy", "land_use"):
                cli("check", code, item, "pass", ok=True)
        if s == "signed":
            cli("doc", "add", code, "contract", "HT-2026-001", ok=True)
            if key:
                cli.admin("reassign", code, "lead_leader", "wang", "--reason", "县委常委会分工", ok=True)
        if s == "funding":
            cli("capital", "add", code, "5000万", ok=True)
            continue
        if s == "construction":
            for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
                cli("doc", "add", code, kind, f"{kind}-1", ok=True)
        if s == "production":
            cli("doc", "add", code, "completion_acceptance", "YS-1", ok=True)
        cli("advance", code, s, ok=True)
    return code


def test_key_project_lead_to_production_and_chain(cli):
    code = add_project(cli, investment="6.6亿")
    assert cli("project", "show", code, json=True).json["key"] is True
    cli("advance", code, "submit", ok=True)
    cli("doc", "add", code, "committee_decision", "县招委〔2026〕1号", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", code, item, "pass", ok=True)
    cli("advance", code, "approve", ok=True)
    cli("doc", "add", code, "contract", "HT-2026-001", ok=True)
    res = cli("advance", code, "sign", json=True)
    assert res.code == 3
    assert [g["guard"] for g in res.json["error"]["details"]] == ["key_has_lead_leader"]
    assert cli("reassign", code, "lead_leader", "wang", actor=ADMIN, json=True).code == 2  # reason required
    cli.admin("reassign", code, "lead_leader", "wang", "--reason", "县委常委会分工", ok=True)
    cli("advance", code, "sign", ok=True)
    cli("capital", "add", code, "1.2亿", ok=True)
    for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
        cli("doc", "add", code, kind, f"{kind}-1", ok=True)
    cli("advance", code, "break_ground", ok=True)
    cli("investment", "add", code, "3亿", ok=True)
    cli("followup", "add", code, "现场调度", ok=True)
    cli("doc", "add", code, "completion_acceptance", "YS-1", ok=True)
    cli("advance", code, "commission", ok=True)
    view = cli("project", "show", code, json=True).json
    assert view["stage"] == "production" and view["light"] is None
    assert view["leaders"][0]["login"] == "wang" and view["leaders"][0]["role"] == "lead_leader"

    events = cli("history", code, json=True).json["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == "0" * 64
    for prev, cur in zip(events, events[1:], strict=False):
        assert cur["prev_hash"] == prev["hash"]
        assert cur["recorded_at"] >= prev["recorded_at"]
    stages = [(e["trigger"], e["from"], e["to"]) for e in events if e["kind"] == "transition"]
    assert stages == [("submit", "lead", "screening"), ("approve", "screening", "approved"),
                      ("sign", "approved", "signed"), ("fund", "signed", "funding"),
                      ("break_ground", "funding", "construction"), ("commission", "construction", "production")]
    actors = {e["kind"]: e["actor"] for e in events}
    assert actors["reassignment"] == ADMIN if "reassignment" in actors else actors["assignment"] == ADMIN
    assert actors["transition"] == "coord"
    assert all(e["effective_on"] == TODAY.isoformat() for e in events)
    assert all(e["recorded_at"].endswith("Z") and len(e["recorded_at"]) == 27 for e in events)

    # the stored hashes are the hashes of the stored fields
    from workflow.encoding import document_hash as event_hash

    for e in events:
        assert e["hash"] == event_hash(project=code, seq=e["seq"], kind=e["kind"], trigger=e["trigger"],
                                       from_stage=e["from"], to_stage=e["to"], effective_on=e["effective_on"],
                                       recorded_at=e["recorded_at"], actor=e["actor"], reason=e["reason"],
                                       payload=e["payload"], prev_hash=e["prev_hash"])


def test_edit_is_an_event_and_recomputes_key(cli):
    code = add_project(cli, investment="5000万")
    res = cli("project", "edit", code, "--investment", "1.5亿", "--origin", "浙江", "--plan", "sign=2027-01-31",
              json=True, ok=True).json
    assert res["key"] is True and res["origin"] == "浙江" and res["plan"]["sign"] == "2027-01-31"
    assert res["version"] == 2
    last = cli("history", code, json=True).json["events"][-1]
    assert last["kind"] == "edited"
    assert last["payload"]["changes"]["planned_investment_minor"] == [5_000_000_000, 15_000_000_000]
    assert last["payload"]["changes"]["key"] == [False, True]
    assert cli("project", "edit", code, json=True).code == 2
    assert cli("project", "edit", code, "--plan", "launch=2027-01-01", json=True).code == 2


def test_list_filters(cli):
    a = add_project(cli)
    add_project(cli)
    cli("advance", a, "submit", ok=True)
    listed = cli("project", "list", "--stage", "screening", json=True, ok=True).json["projects"]
    assert [p["code"] for p in listed] == [a]
    assert {"code", "name", "stage", "unit", "key", "light"} <= set(listed[0])
    assert len(cli("project", "list", "--unit", "XH", json=True).json["projects"]) == 2
    assert cli("project", "list", "--unit", "FGW", json=True).json["projects"] == []
    assert cli("project", "list", "--light", "purple", json=True).code == 2


def test_advance_without_target_off_terminal_exits_2_without_waiting(cli):
    code = add_project(cli)
    res = cli("advance", code)
    assert res.code == 2
    assert "submit" in res.out  # the open transitions are printed
    res = cli("advance", code, json=True)
    assert res.code == 2


def test_chinese_labels(cli):
    code = add_project(cli)
    res = cli("project", "show", code, lang="zh", ok=True)
    assert "意向在谈" in res.out and "计划总投资" in res.out and "万元" in res.out
    res = cli("next", code, lang="zh", ok=True)
    assert "审核中" in res.out
    res = cli("history", code, lang="zh", ok=True)
    assert "登记" in res.out


def test_json_error_document_on_usage_error(cli):
    res = cli("project", "show", json=True)
    assert res.code == 2
    assert set(res.json["error"]) == {"code", "fields", "message", "details"}
    assert res.json["error"]["code"] == "usage"


def test_history_formats(cli, tmp_path):
    code = drive_to(cli, "approved")
    csv_text = cli("history", code, "--format", "csv", ok=True).out
    assert csv_text.splitlines()[0].startswith("#,Effective")
    assert len(csv_text.strip().splitlines()) == 1 + len(cli("history", code, json=True).json["events"])
    md = cli("history", code, "--format", "md", ok=True).out
    assert md.startswith("# P-0001") and "| approve" in md.replace("transition approve", "| approve")
    out = tmp_path / "h.html"
    cli("history", code, "--format", "html", "--output", str(out), ok=True)
    page = out.read_text(encoding="utf-8")
    assert "@page" in page and "chain head" in page
    assert cli("history", code, "--format", "pdf").code == 2


def test_schema_check_refuses_uninitialised_database(tmp_path):
    from tests.conftest import Cli

    c = Cli(str(tmp_path / "empty.db"))
    res = c("project", "list", json=True)
    assert res.code == 2 and "pipeline init" in res.json["error"]["message"]
    assert c("db", "current", json=True).json["state"] == "missing"


def test_init_is_idempotent_and_guards_admin(cli):
    res = cli.admin("init", json=True, ok=True).json
    assert res["admin_created"] is False and res["revision"] == res["previous_revision"]
    res = cli("init", "--admin", "mallory", actor="mallory", json=True)
    assert res.code == 6
    assert cli.admin("db", "check", json=True, ok=True).json["ok"] is True


def test_init_takes_the_admins_login_as_users_add_does_and_makes_nothing_otherwise(tmp_path):
    """``init --admin`` (and ``city init``, which is ``init``) and the acting user it defaults to are
    logins as ``users add`` takes them: a control character or a login over 80 characters is refused
    (exit 2) in both languages, before the database is made."""
    from tests.conftest import invoke

    db = tmp_path / "c.db"
    for args, actor, words in (
            (["init", "--admin", "evil\x1b[2J\x07"], ADMIN, ("--admin holds the control character \\x1b",
                                                              "--admin 含有控制字符 \\x1b")),
            (["city", "init", "--admin", "x" * 200], ADMIN, ("--admin is longer than 80 characters", "--admin")),
            (["init"], "b\x1b[31m", ("--as holds the control character \\x1b", "--as 含有控制字符 \\x1b"))):
        for lang, said in zip(("en", "zh"), words, strict=True):
            res = invoke(args, db=str(db), actor=actor, lang=lang)
            assert res.code == 2 and said in res.err and "the control character" not in res.err * (lang == "zh"), \
                (args, lang, res.err)
            assert not db.exists()
    assert invoke(["init", "--admin", "boss"], db=str(db)).code == 0


def test_an_internal_error_is_worded_in_the_runs_language(cli, monkeypatch):
    """An error no rule foresaw (exit 1) says so in Chinese too, with the exception's name and text."""
    from workflow import county

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(county, "identity", broken)
    for lang, said in (("en", "internal error (RuntimeError: boom); set PIPELINE_DEBUG=1"),
                       ("zh", "内部错误（RuntimeError：boom）")):
        res = cli("county", "show", lang=lang)
        assert res.code == 1 and said in res.err, (lang, res.err)
        res = cli("county", "show", lang=lang, json=True)
        assert res.code == 1 and said in res.json["error"]["message"], (lang, res.out)


def test_workflow_commands(cli, tmp_path):
    shown = cli("workflow", "show", json=True, ok=True).json
    assert len(shown["stages"]) == 11 and len(shown["transitions"]) == 10  # retired (出库) included
    mer = cli("workflow", "diagram", ok=True).out
    assert "stateDiagram" in mer
    dot = cli("workflow", "diagram", "--format", "dot", ok=True).out
    assert dot.lstrip().startswith("digraph")
    assert cli("workflow", "diagram", "--format", "png").code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nversion = 1\n[[stages]]\nkey = "a"\nen = "A"\nzh = "甲"\nkind = "weird"\n')
    res = cli("workflow", "validate", str(bad), json=True)
    assert res.code == 2 and res.json["error"]["details"]
    from importlib.resources import files

    good = files("workflow") / "definitions" / "investment.toml"
    assert cli("workflow", "validate", str(good), json=True, ok=True).json["ok"] is True
    assert cli("workflow", "validate", str(tmp_path / "missing.toml")).code == 2


def test_units_people_users_lists(cli):
    assert {u["code"] for u in cli("units", "list", json=True, ok=True).json["units"]} == {"XH", "FGW"}
    people = cli("people", "list", json=True, ok=True).json["people"]
    assert people[0]["login"] == "wang" and people[0]["level"] == "county"
    users = {u["login"]: u["role"] for u in cli("users", "list", json=True, ok=True).json["users"]}
    assert users == {"admin": "admin", "coord": "coordinator"}
    assert cli.admin("units", "add", "XH", "--name", "again").code == 2
    assert cli.admin("people", "add", "li", "--name", "李", "--level", "galactic").code == 2
    assert cli.admin("users", "add", "x", "--role", "king").code == 2


def test_people_edit_and_deactivate(cli):
    res = cli.admin("people", "edit", "wang", "--cap", "2", "--title", "县长", json=True, ok=True).json
    assert res["cap"] == 2 and res["title"] == "县长" and res["active"] is True
    res = cli.admin("people", "edit", "wang", "--inactive", "--no-cap", json=True, ok=True).json
    assert res["active"] is False and res["cap"] is None
    assert cli.admin("people", "edit", "nobody", "--cap", "1").code == 4
    assert cli.admin("people", "edit", "wang").code == 2
    assert cli.admin("people", "edit", "wang", "--level", "royal").code == 2
    assert cli("people", "edit", "wang", "--active").code == 6
    people = cli("people", "list", json=True).json["people"]
    assert people[0]["active"] is False


def test_json_is_written_a_piece_at_a_time_and_equals_one_dump(capsys):
    """``--json`` output is encoded and written in pieces (a large report is not held twice) and reads
    back as the value one ``json.dumps`` gives: objects indented, each list item on a line of its own,
    terminal-active characters escaped."""
    import json
    from datetime import date

    from cli.context import _json_default, emit_json

    doc = {"report": "x", "totals": {"red": 1, None: 2, 3: [], "empty": {}}, "units": ["a", "b"],
           "projects": [{"code": f"P-{i:04d}", "name": "甲\x85乙\u202e丙" * 40, "on": date(2026, 1, 2)}
                        for i in range(3000)]}
    emit_json(doc)
    out = capsys.readouterr().out
    assert len(out) > 1 << 17  # more than one piece
    assert json.loads(out) == json.loads(json.dumps(doc, ensure_ascii=False, default=_json_default))
    assert "\x85" not in out and "\u202e" not in out
    lines = out.splitlines()
    assert lines[:8] == ['{', '  "report": "x",', '  "totals": {', '    "red": 1,', '    "null": 2,', '    "3": [],',
                         '    "empty": {}', '  },']
    assert lines[8:12] == ['  "units": [', '    "a",', '    "b"', '  ],']
    assert lines[12] == '  "projects": [' and len(lines) == 13 + 3000 + 2  # a project a line
    assert lines[13].startswith('    {"code": "P-0000", "name": ')
    assert lines[-2:] == ['  ]', '}']


@pytest.mark.parametrize("lang, words", [("en", "interrupted"), ("zh", "已中断")])
def test_ctrl_c_in_a_command_exits_130_saying_so(cli, monkeypatch, lang, words):
    """Ctrl-C while a command works (typer turns it into exit 130 and says nothing): the command line
    says it was interrupted, in the user's language, without a traceback."""
    from workflow import city

    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(city, "board", pressed)
    res = cli("city", "board", lang=lang)
    assert res.code == 130 and res.err.strip().endswith(words) and "Traceback" not in res.err, (res.out, res.err)


@pytest.mark.parametrize("argv", [["audit", "log", "--setup"], ["rules", "list"]])
def test_a_reader_that_goes_away_is_no_failure(cli, argv):
    """``pipeline … | head``: the reader closes the pipe before the output is written; the command
    ends with exit 0 and says nothing (rich and typer would each make it exit 1)."""
    import os
    import subprocess

    from tests.conftest import pipeline_exe

    env = {**os.environ, "PIPELINE_DB": cli.db, "PIPELINE_USER": "admin", "PIPELINE_LANG": "en"}
    proc = subprocess.Popen([pipeline_exe(), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before the command has written a byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "error" not in err.lower()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("closed", ["stdout", "both"])
@pytest.mark.parametrize(("argv", "expected"), [
    (["project", "show", "P-9999", "--json"], 4), (["project", "show", "P-9999"], 4),
    (["import", "BAD"], 2), (["import", "BAD", "--json"], 2), (["project", "list", "--sort", "nope", "--json"], 2),
    (["advance", "P-0001"], 2), (["advance", "P-0001", "--json"], 2)])
def test_a_failing_command_whose_reader_went_away_keeps_its_exit_code(cli, tmp_path, argv, expected, closed):
    """``pipeline project show P-9999 2>&1 | true``: the reader is gone before the error is printed;
    the command ends with the error's own exit code, printing nothing (no traceback, no exit 1)."""
    import os
    import subprocess

    from tests.conftest import pipeline_exe

    add_project(cli)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    argv = [str(bad) if a == "BAD" else a for a in argv]
    env = {**os.environ, "PIPELINE_DB": cli.db, "PIPELINE_USER": "admin", "PIPELINE_LANG": "en"}
    env.pop("PIPELINE_DEBUG", None)
    proc = subprocess.Popen([pipeline_exe(), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before the command has written a byte
    err = ""
    if closed == "both":
        proc.stderr.close()
    else:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == expected, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_advance_without_a_trigger_gives_one_json_document(cli):
    """Off a terminal ``advance CODE --json`` is refused with one document: the error, with the open
    transitions beside it as ``next --json`` gives them (docs/usage.md, ``pipeline advance``)."""
    import json

    code = add_project(cli)
    res = cli("advance", code, json=True)
    assert res.code == 2
    doc, end = json.JSONDecoder().raw_decode(res.out)
    assert res.out[end:].strip() == "", res.out  # nothing after the one document
    assert doc["error"]["code"] == "name_transition_pipeline_advance"
    nxt = cli("next", code, json=True, ok=True).json
    assert {k: doc[k] for k in ("code", "stage", "version", "transitions")} == nxt
