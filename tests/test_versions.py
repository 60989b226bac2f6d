"""Workflow versions for running projects (docs/usage.md, "Workflow versions") and 出库 ("Retiring a
project"): deploy, list, diff, migrate (dry run, all or nothing, a stage map), the ``migrated`` and
``retired`` events followed by replay and verify (tampering caught on both engines), a retired project
out of the active counts from its retirement date and not before."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import ADMIN
from tests.test_verify_replay import _engine, tamper

WHY = ("--reason", "2027 procedure")


def v2_text() -> str:
    """investment v2: the lead stage renamed intake, funding renamed capital_in, and signing needs the
    land-use approval too."""
    src = (Path(__file__).parent.parent / "workflow" / "definitions" / "investment.toml").read_text(encoding="utf-8")
    out = src.replace("version = 1", "version = 2", 1).replace('"lead"', '"intake"')
    out = out.replace('"funding"', '"capital_in"')
    out = out.replace('guards = ["document:contract", "key_has_lead_leader"]',
                      'guards = ["document:contract", "document:land_use", "key_has_lead_leader"]')
    assert out.count('"intake"') >= 3 and "document:land_use\", \"key_has" in out
    return out


@pytest.fixture
def v2(tmp_path) -> Path:
    path = tmp_path / "investment-v2.toml"
    path.write_text(v2_text(), encoding="utf-8")
    return path


def add(cli, name: str, amount: str = "5000万", on: str | None = None) -> str:
    args = ["project", "add", "--name", name, "--investor", f"{name} Co", "--industry", "energy", "--investment",
            amount, "--unit", "XH"] + (["--on", on] if on else [])
    return cli(*args, json=True, ok=True).json["code"]


def to_signed(cli, code: str) -> None:
    cli("advance", code, "submit", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", code, item, "pass", ok=True)
    cli("doc", "add", code, "committee_decision", f"D-{code}", ok=True)
    cli("advance", code, "approve", ok=True)
    cli("doc", "add", code, "contract", f"C-{code}", ok=True)
    cli("advance", code, "sign", ok=True)


def show(cli, code: str) -> dict:
    return cli("project", "show", code, json=True, ok=True).json


def verify_ok(cli) -> None:
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 0, res.out + res.err


def verify_fails(cli) -> list[dict]:
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 7, res.out + res.err
    return res.json["failures"]


# --- deploy, list, diff ------------------------------------------------------------------------------


def test_deploy_is_an_admins_ledger_entry_once_per_version(cli, v2, tmp_path):
    assert cli("workflow", "deploy", v2, *WHY).code == 6  # a coordinator may not
    bad = tmp_path / "bad.toml"
    bad.write_text(v2_text().replace('dest = "screening"', 'dest = "nowhere"'), encoding="utf-8")
    res = cli.admin("workflow", "deploy", bad, json=True)
    assert res.code == 2 and "nowhere" in res.out + res.err
    doc = cli.admin("workflow", "deploy", v2, *WHY, json=True, ok=True).json
    assert (doc["name"], doc["version"], doc["stages"]) == ("investment", 2, 11)
    assert cli.admin("workflow", "deploy", v2).code == 5  # a deployed version never changes
    shipped = tmp_path / "v1.toml"
    shipped.write_text(v2_text().replace("version = 2", "version = 1"), encoding="utf-8")
    assert cli.admin("workflow", "deploy", shipped).code == 5  # nor does the shipped one
    entries = [e for e in cli.admin("audit", "ledger", json=True, ok=True).json["entries"]
               if e["kind"] == "workflow_deployed"]
    assert len(entries) == 1
    assert entries[0]["target"] == "investment:2" and entries[0]["payload"]["text"] == v2_text()
    assert entries[0]["reason"] == "2027 procedure" and entries[0]["actor"] == ADMIN
    listed = cli("workflow", "list", json=True, ok=True).json["versions"]
    assert [(v["name"], v["version"], v["shipped"]) for v in listed] == [("investment", 1, True),
                                                                         ("investment", 2, False)]
    shown = cli("workflow", "show", "--of", "investment:2", json=True, ok=True).json
    assert shown["version"] == 2 and shown["initial"] == "intake"
    assert "intake" in cli("workflow", "diagram", "--of", "2", ok=True).out
    assert cli("workflow", "show", "--of", "9").code == 4
    verify_ok(cli)


def test_diff_names_stages_transitions_and_guards(cli, v2):
    cli.admin("workflow", "deploy", v2, *WHY, ok=True)
    doc = cli("workflow", "diff", "investment:1", "2", json=True, ok=True).json
    assert doc["from"] == "investment:1" and doc["to"] == "investment:2" and doc["same"] is False
    assert sorted(doc["stages"]["added"]) == ["capital_in", "intake"]
    assert sorted(doc["stages"]["removed"]) == ["funding", "lead"]
    assert doc["transitions"]["changed"]["sign"]["guards"] == [
        ["document:contract", "key_has_lead_leader"], ["document:contract", "document:land_use", "key_has_lead_leader"]]
    assert doc["initial"] == ["lead", "intake"]
    assert doc["documents"] == {"added": [], "removed": [], "changed": {}}
    assert cli("workflow", "diff", "1", "1", json=True, ok=True).json["same"] is True
    assert cli("workflow", "diff", "1", "investment:9").code == 4
    assert cli("workflow", "diff", "1", "two").code == 2
    out = cli("workflow", "diff", "1", "2", ok=True).out
    assert "+ stage intake" in out and "- stage lead" in out and "~ transition sign.guards" in out


# --- migrate --------------------------------------------------------------------------------------------


def test_migrate_checks_every_project_moves_all_or_none_and_history_follows(cli, v2):
    cli.admin("workflow", "deploy", v2, *WHY, ok=True)
    p1 = add(cli, "Lead one")
    p2 = add(cli, "Signed two")
    to_signed(cli, p2)
    p3 = add(cli, "Held three")
    cli("advance", p3, "hold", "--reason", "investor abroad", ok=True)
    move = ("workflow", "migrate", "--from", "investment:1", "--to", "investment:2")

    # a dry run reports every project and what refuses it; nothing moves
    doc = cli.admin(*move, "--dry-run", *WHY, json=True, ok=True).json
    by = {p["code"]: p for p in doc["projects"]}
    assert doc["refused"] == 3 and doc["moved"] == 0 and set(by) == {p1, p2, p3}
    assert "'lead' does not exist in investment:2" in by[p1]["refused"][0]
    assert any("land_use" in m or "Land-use" in m for m in by[p2]["refused"]), by[p2]
    assert by[p3]["refused"] and by[p3]["to_stage"] == "on_hold"
    doc = cli.admin(*move, "--map", "lead=intake", "--dry-run", *WHY, json=True, ok=True).json
    assert [p["code"] for p in doc["projects"] if p["refused"]] == [p2]
    assert {p["code"]: p["to_stage"] for p in doc["projects"]} == {p1: "intake", p2: "signed", p3: "on_hold"}

    # the real run refuses them all for one, and names it
    res = cli.admin(*move, "--map", "lead=intake", *WHY, json=True)
    assert res.code == 3 and p2 in res.out
    assert all(show(cli, c)["workflow"]["version"] == 1 for c in (p1, p2, p3))
    assert cli.admin(*move, "--map", "lead=intake").code == 2  # a reason is required
    assert cli(*move, "--map", "lead=intake", *WHY).code == 6  # an admin's
    assert cli.admin(*move, "--map", "lead=nowhere", *WHY).code == 2
    assert cli.admin(*move, "--map", "lead=intake", "--project", "P-0099", *WHY).code == 4

    doc = cli.admin(*move, "--map", "lead=intake", "--project", p1, "--project", p3, *WHY, json=True, ok=True).json
    assert doc["moved"] == 2 and doc["refused"] == 0
    assert show(cli, p1)["workflow"]["version"] == 2 and show(cli, p1)["stage"] == "intake"
    assert show(cli, p3)["stage"] == "on_hold" and show(cli, p3)["workflow"]["version"] == 2
    events = cli("history", p3, json=True, ok=True).json["events"]
    last = events[-1]
    assert last["kind"] == "migrated" and last["from"] == "on_hold" and last["to"] == "on_hold"
    assert last["actor"] == ADMIN and last["reason"] == "2027 procedure"
    assert last["payload"] == {"workflow": "investment", "from_version": 1, "to_version": 2, "held_from": "intake"}
    listed = {(v["name"], v["version"]): (v["projects"], v["running"])
              for v in cli("workflow", "list", json=True, ok=True).json["versions"]}
    assert listed == {("investment", 1): (1, 1), ("investment", 2): (2, 2)}
    verify_ok(cli)

    # each goes on under its own version: v2's moves for the migrated, v1's for the other
    cli("advance", p1, "submit", ok=True)
    assert show(cli, p1)["stage"] == "screening"
    cli("advance", p3, "resume", ok=True)
    assert show(cli, p3)["stage"] == "intake"
    cli("capital", "add", p2, "1000万", ok=True)  # the automatic fund: v1's funding
    assert show(cli, p2)["stage"] == "funding" and show(cli, p2)["workflow"]["version"] == 1
    verify_ok(cli)
    # a migration is not corrected (migrate back instead)
    seq = [e["seq"] for e in cli("history", p1, json=True, ok=True).json["events"] if e["kind"] == "migrated"][0]
    assert cli.admin("correct", p1, str(seq), "--reason", "oops").code == 3


def test_tampering_with_a_migration_fails_verify(cli, v2):
    cli.admin("workflow", "deploy", v2, *WHY, ok=True)
    code = add(cli, "Lead one")
    cli.admin("workflow", "migrate", "--from", "1", "--to", "2", "--map", "lead=intake", *WHY, ok=True)
    verify_ok(cli)
    tamper(cli, "UPDATE project SET workflow_version = 1 WHERE code = 'P-0001'")
    failures = verify_fails(cli)
    assert any(f["code"] == code and f.get("field") == "workflow_version" for f in failures), failures
    tamper(cli, "UPDATE project SET workflow_version = 2 WHERE code = 'P-0001'")
    verify_ok(cli)
    # a migrated event rewritten to a stage the new version does not have (its hash fixed up is beside
    # the point: the replay judges what it says)
    tamper(cli, "UPDATE event SET to_stage = 'lead' WHERE kind = 'migrated'",
           "UPDATE project SET stage = 'lead'")
    failures = verify_fails(cli)
    assert any("investment:2 does not have" in str(f.get("problem")) for f in failures), failures


def test_a_thousand_running_projects_migrate_in_one_batch(cli, v2, tmp_path):
    n = 1000
    path = tmp_path / "ledger.csv"
    path.write_text("name,investor,industry,investment,unit\n"
                    + "".join(f"Project {i},Investor {i},energy,3000万,XH\n" for i in range(n)), encoding="utf-8")
    cli("import", path, ok=True)
    cli("advance", "P-0001", "hold", "--reason", "paused", ok=True)
    cli.admin("workflow", "deploy", v2, *WHY, ok=True)
    move = ("workflow", "migrate", "--from", "investment:1", "--to", "investment:2")
    dry = cli.admin(*move, "--dry-run", *WHY, json=True, ok=True).json
    assert len(dry["projects"]) == n and dry["refused"] == n  # lead is not a stage of v2 without the map
    assert cli.admin(*move, *WHY).code == 3
    doc = cli.admin(*move, "--map", "lead=intake", *WHY, json=True, ok=True).json
    assert doc["moved"] == n and doc["refused"] == 0
    engine = _engine(cli)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM event WHERE kind = 'migrated'")).scalar() == n
            assert conn.execute(text("SELECT count(*) FROM project WHERE workflow_version = 2")).scalar() == n
    finally:
        engine.dispose()
    verify_ok(cli)
    cli("advance", "P-0002", "submit", ok=True)
    cli("advance", "P-0001", "resume", ok=True)
    assert show(cli, "P-0001")["stage"] == "intake"
    verify_ok(cli)


def test_a_declared_retired_stage_must_be_final(tmp_path):
    from workflow.definition import load_definition
    from workflow.errors import BadInput

    good = load_definition(v2_text())
    assert good.stage_keys[-1] == "retired" and good.stage("retired").is_final
    bad = v2_text() + '\n[[stages]]\nkey = "retired"\nen = "Retired"\nzh = "出库"\nkind = "active"\n'
    with pytest.raises(BadInput) as err:
        load_definition(bad)
    assert [d["message"].code for d in err.value.details] == ["versions_retired_must_be_final"]


# --- 出库 ------------------------------------------------------------------------------------------------


def test_retire_admin_or_lead_leader_with_a_reason(cli):
    cli.admin("users", "add", "wang", "--role", "leader", ok=True)
    cli.admin("people", "add", "li", "--name", "李县长", "--level", "county", ok=True)
    cli.admin("users", "add", "li", "--role", "leader", ok=True)
    a, b, c = add(cli, "A"), add(cli, "B"), add(cli, "C")
    cli.admin("reassign", b, "lead_leader", "wang", "--reason", "county decision", ok=True)
    assert cli("project", "retire", a, "--reason", "no follow-up").code == 6  # a coordinator may not
    assert cli("project", "retire", b, "--reason", "no follow-up", actor="li").code == 6  # not b's lead
    assert cli.admin("project", "retire", a).code == 2  # a reason is required
    doc = cli("project", "retire", b, "--reason", "investor gone", actor="wang", json=True, ok=True).json
    assert doc["stage"] == "retired" and doc["event"]["kind"] == "retired" and doc["event"]["from"] == "lead"
    cli.admin("project", "retire", a, "--reason", "一年无进展", ok=True)
    assert cli.admin("project", "retire", a, "--reason", "again").code == 3  # final already
    assert show(cli, a)["stage"] == "retired"
    assert cli("project", "list", "--stage", "retired", json=True, ok=True).json["total"] == 2
    assert show(cli, c)["stage"] == "lead"
    verify_ok(cli)
    # a mistaken retirement is corrected like a stage change
    seq = [e["seq"] for e in cli("history", a, json=True, ok=True).json["events"] if e["kind"] == "retired"][0]
    cli.admin("correct", a, str(seq), "--reason", "retired by mistake", ok=True)
    assert show(cli, a)["stage"] == "lead"
    verify_ok(cli)


def test_tampering_with_a_retirement_fails_verify(cli):
    cli.admin("users", "add", "wang", "--role", "leader", ok=True)
    code = add(cli, "A")
    cli.admin("project", "retire", code, "--reason", "no follow-up", ok=True)
    verify_ok(cli)
    tamper(cli, "UPDATE project SET stage = 'lead'")
    assert any(f["code"] == code for f in verify_fails(cli))
    tamper(cli, "UPDATE project SET stage = 'retired'")
    verify_ok(cli)
    tamper(cli, "UPDATE event SET actor = 'wang' WHERE kind = 'retired'")  # a leader who is not its lead
    failures = verify_fails(cli)
    assert any("not the lead leader" in str(f.get("problem")) for f in failures), failures


def test_a_retired_project_leaves_active_counts_from_its_date_and_not_before(cli, service):
    from workflow.lights import Thresholds
    from workflow.reports.state import snapshots

    today = date.today()
    code = add(cli, "Old lead", amount="2亿", on=(today - timedelta(days=400)).isoformat())
    cli.admin("project", "retire", code, "--reason", "no follow-up for a year", "--on",
              (today - timedelta(days=10)).isoformat(), ok=True)
    with service.engine.connect() as conn:
        before = {s.code: s for s in snapshots(conn, today - timedelta(days=11), Thresholds())}
        after = {s.code: s for s in snapshots(conn, today - timedelta(days=10), Thresholds())}
    assert (before[code].stage, before[code].stage_kind) == ("lead", "active")
    assert (after[code].stage, after[code].stage_kind) == ("retired", "final")
    assert before[code].light.color is not None and after[code].light.color is None  # no light once retired
    from workflow.reports.windows import LOST_STAGES

    assert "retired" in LOST_STAGES  # out of the key-project and 超亿元 counts
    verify_ok(cli)


def test_report_stale_proposes_idle_leads_by_a_ledgered_setting(cli, tmp_path):
    today = date.today()
    old = add(cli, "Idle lead", on=(today - timedelta(days=400)).isoformat())
    fresh = add(cli, "Followed lead", on=(today - timedelta(days=400)).isoformat())
    cli("followup", "add", fresh, "电话沟通", "--on", (today - timedelta(days=20)).isoformat(), ok=True)
    moving = add(cli, "Moving", on=(today - timedelta(days=400)).isoformat())
    cli("advance", moving, "submit", ok=True)  # not a lead any more
    doc = cli("report", "stale", json=True, ok=True).json
    assert doc["days"] == 365 and [p["code"] for p in doc["projects"]] == [old]
    assert doc["projects"][0]["idle_days"] == 400 and doc["projects"][0]["last_followup_on"] is None
    assert [p["code"] for p in cli("report", "stale", "--days", "10", json=True, ok=True).json["projects"]] == [
        old, fresh]
    # as of a date before the follow-up both were idle only since registration
    earlier = (today - timedelta(days=30)).isoformat()
    assert cli("report", "stale", "--as-of", earlier, "--days", "300", json=True, ok=True).json["total"] == 3
    assert cli("stale-days", "15", "--reason", "x").code == 6  # an admin's
    assert cli.admin("stale-days", "15").code == 2  # with a reason
    assert cli.admin("stale-days", "0", "--reason", "x").code == 2
    cli.admin("stale-days", "15", "--reason", "县里规定半月一跟进", ok=True)
    assert cli("report", "stale", json=True, ok=True).json["total"] == 2
    entry = cli.admin("audit", "log", "--setup", json=True, ok=True).json["entries"][-1]
    assert entry["payload"]["values"] == {"stale.days": "15"} and entry["reason"] == "县里规定半月一跟进"
    out = tmp_path / "stale.xlsx"
    cli("report", "stale", "--format", "xlsx", "--output", out, ok=True)
    from openpyxl import load_workbook

    ws = load_workbook(out)["stale"]
    assert [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)] == [old, fresh]
    verify_ok(cli)


def test_report_stale_lists_the_formats_it_writes(cli, tmp_path):
    """`report stale` writes csv, md or xlsx (docs/usage.md): its help lists those only, and a document
    format is refused (exit 2) naming them, in either language."""
    from tests.conftest import invoke

    shown = invoke(["report", "stale", "--help"]).out
    assert "csv|md|xlsx" in shown and "docx" not in shown and "html" not in shown
    for fmt, lang, words in (("docx", "en", "not one of csv, md, xlsx"), ("html", "zh", "不是以下之一：csv、md、xlsx")):
        res = cli("report", "stale", "--format", fmt, "--output", str(tmp_path / f"s.{fmt}"), lang=lang)
        assert res.code == 2 and words in res.err and "report dispatch" not in res.err


def test_a_changed_deployed_definition_fails_the_ledger_chain(cli, v2):
    cli.admin("workflow", "deploy", v2, *WHY, ok=True)
    verify_ok(cli)
    statements = ["UPDATE ledger SET payload = replace(payload, '意向在谈', '改过') WHERE kind = 'workflow_deployed'"]
    if cli.engine_kind == "postgres":
        statements = ["ALTER TABLE ledger DISABLE TRIGGER ALL", *statements, "ALTER TABLE ledger ENABLE TRIGGER ALL"]
    tamper(cli, *statements)
    failures = verify_fails(cli)
    assert any(f["code"] == "ledger" for f in failures), failures
