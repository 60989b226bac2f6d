"""Settings under the set-up ledger, effective-dated (docs/audit.md, docs/lights-and-reports.md,
docs/supervision.md): every settings command is one ledger entry; a date's figures use the settings in
force that day; ``audit verify`` rebuilds the ``setting`` table from the ledger; the upgrade to schema
0007 carries existing settings over."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import ADMIN, Cli, populate

WHY = ("--reason", "county rule")


def setup_entries(cli, kind: str | None = "setting") -> list[dict]:
    """The set-up ledger's entries of ``kind`` (default: settings; None: all of them)."""
    doc = cli.admin("audit", "log", "--setup", json=True, ok=True).json
    assert doc["count"] == len(doc["entries"])
    return [e for e in doc["entries"] if kind is None or e["kind"] == kind]


def verify_ok(cli) -> None:
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 0, res.out + res.err


def test_each_settings_command_writes_exactly_one_ledger_entry(cli):
    cli("people", "add", "li", "--name", "李书记", "--level", "county", actor=ADMIN, ok=True)
    commands = [
        ("lights", "set", "followup_red_days=45", "screening_red_days=12", *WHY),
        ("lights", "reset", "screening_red_days", *WHY),
        ("lights", "reset", *WHY),
        ("supervision", "ladder", "set", "unit_head_days=10", "top_leader=li", *WHY),
        ("undo-window", "3"),
    ]
    for args in commands:
        before = setup_entries(cli, None)
        cli.admin(*args, ok=True)
        after = setup_entries(cli, None)
        assert len(after) == len(before) + 1, args
        new = after[-1]
        assert new["kind"] == "setting" and new["actor"] == ADMIN
        assert new["effective_on"] == new["payload"]["effective_on"]
    entries = setup_entries(cli)
    assert [e["target"] for e in entries] == ["lights", "lights", "lights", "supervision", "undo"]
    assert [e["reason"] for e in entries] == ["county rule"] * 4 + [None]
    assert entries[0]["payload"]["values"] == {"lights.followup_red_days": "45", "lights.screening_red_days": "12"}
    assert entries[1]["payload"]["values"] == {"lights.screening_red_days": None}
    assert entries[3]["payload"]["values"] == {"supervision.unit_head_days": "10", "supervision_top_leader": "li"}
    verify_ok(cli)


@pytest.mark.parametrize("args", [
    ("lights", "set", "followup_red_days=45"),
    ("lights", "set", "followup_red_days=45", "--reason", "  "),
    ("lights", "reset"),
    ("supervision", "ladder", "set", "unit_head_days=10"),
])
def test_a_missing_reason_is_refused_and_writes_nothing(cli, args):
    res = cli.admin(*args, json=True)
    assert res.code == 2 and "--reason is required" in res.json["error"]["message"]
    assert setup_entries(cli) == []
    assert cli("lights", "show", json=True, ok=True).json["thresholds"][5]["source"] == "default"


def test_bad_from_and_refusals_write_nothing(cli):
    assert cli.admin("lights", "set", "followup_red_days=45", "--from", "2026-13-01", *WHY).code == 2
    assert cli("lights", "set", "followup_red_days=45", *WHY).code == 6  # admin only
    # a yellow limit above the red limit on a later date that another change takes effect
    cli.admin("lights", "set", "followup_yellow_days=40", "--from", "2026-06-01", *WHY, ok=True)
    assert cli.admin("lights", "set", "followup_red_days=35", "--from", "2026-01-01", *WHY).code == 2
    assert len(setup_entries(cli)) == 1


def county(cli) -> str:
    """One project registered on 2026-10-15 with no follow-up: on 2026-11-30 it is 46 days without one,
    on 2026-12-02 48 (yellow under the default red limit of 60, red under 45).  Screening limits are
    raised (from long before) so that only the follow-up rule colours it."""
    cli.admin("lights", "set", "screening_yellow_days=400", "screening_red_days=500", "--from", "2026-01-01",
              *WHY, ok=True)
    return cli("project", "add", "--name", "蓝莓深加工", "--investor", "蓝莓有限公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", "XH", "--on", "2026-10-15", json=True, ok=True).json["code"]


def board(cli, day: str) -> str:
    res = cli("board", "--as-of", day, ok=True)
    return res.out


def shown(cli, day: str) -> dict[str, dict]:
    return {x["name"]: x for x in cli("lights", "show", "--as-of", day, json=True, ok=True).json["thresholds"]}


def light(cli, code: str, day: str) -> str:
    return cli("project", "show", code, "--as-of", day, json=True, ok=True).json["light"]


def test_a_threshold_from_a_date_leaves_the_days_before_it_alone(cli):
    code = county(cli)
    before_30, before_02 = board(cli, "2026-11-30"), board(cli, "2026-12-02")
    warnings_02 = cli("warnings", "--as-of", "2026-12-02", json=True, ok=True).json
    assert light(cli, code, "2026-11-30") == light(cli, code, "2026-12-02") == "yellow"
    cli.admin("lights", "set", "followup_red_days=45", "--from", "2026-12-01", *WHY, ok=True)
    assert board(cli, "2026-11-30") == before_30  # byte-identical
    assert board(cli, "2026-12-02") != before_02
    assert light(cli, code, "2026-11-30") == "yellow" and light(cli, code, "2026-12-02") == "red"
    after = cli("warnings", "--as-of", "2026-12-02", json=True, ok=True).json
    assert (warnings_02["red"], after["red"]) == (0, 1)
    # lights show --as-of: the value in force that day, since when and by whom
    then = shown(cli, "2026-11-30")
    assert (then["followup_red_days"]["days"], then["followup_red_days"]["source"]) == (60, "default")
    assert (then["screening_red_days"]["since"], then["screening_red_days"]["by"]) == ("2026-01-01", ADMIN)
    assert shown(cli, "2026-12-01")["followup_red_days"] == {
        "name": "followup_red_days", "days": 45, "default": 60, "source": "configured", "since": "2026-12-01",
        "by": ADMIN}
    # equal effective dates: the later entry wins; a reset from a date goes back to the default
    cli.admin("lights", "set", "followup_red_days=50", "--from", "2026-12-01", *WHY, ok=True)
    assert light(cli, code, "2026-12-02") == "yellow"  # 48 days, limit 50
    cli.admin("lights", "set", "followup_red_days=45", "--from", "2026-12-01", *WHY, ok=True)
    cli.admin("lights", "reset", "followup_red_days", "--from", "2026-12-02", *WHY, ok=True)
    assert light(cli, code, "2026-12-01") == "red" and light(cli, code, "2026-12-02") == "yellow"
    verify_ok(cli)


def test_a_ladder_change_from_a_date_leaves_the_days_before_it_alone(cli):
    code = county(cli)
    # a problem due 2026-11-20: 10 days overdue on 11-30 and 12 on 12-02, level 3 (unit head) with the
    # default unit_head_days 7, and the project red (red_level 3) on both days
    pid = cli("problem", "add", code, "用地指标未落实", "--kind", "land", "--owner", "FGW", "--due", "2026-11-20",
              "--on", "2026-11-01", json=True, ok=True).json["id"]

    def level(day: str) -> int:
        return {p["id"]: p["level"] for p in cli("problem", "list", "--all", "--as-of", day, json=True,
                                                  ok=True).json["problems"]}[pid]

    before_30, before_02 = board(cli, "2026-11-30"), board(cli, "2026-12-02")
    assert (level("2026-11-30"), level("2026-12-02")) == (3, 3)
    cli.admin("supervision", "ladder", "set", "unit_head_days=14", "--from", "2026-12-01", *WHY, ok=True)
    assert (level("2026-11-30"), level("2026-12-02")) == (3, 2)
    assert board(cli, "2026-11-30") == before_30
    assert board(cli, "2026-12-02") != before_02
    assert cli("supervision", "ladder", "show", "--as-of", "2026-11-30", json=True,
               ok=True).json["ladder"]["unit_head_days"] == 7
    assert cli("supervision", "ladder", "show", "--as-of", "2026-12-01", json=True,
               ok=True).json["ladder"]["unit_head_days"] == 14
    verify_ok(cli)


@pytest.mark.sqlite_only
def test_a_tampered_setting_row_fails_verify_naming_it(cli):
    cli.admin("lights", "set", "followup_red_days=45", *WHY, ok=True)
    seq = setup_entries(cli)[-1]["seq"]
    verify_ok(cli)
    with sqlite3.connect(cli.db) as db:
        db.execute("UPDATE setting SET value = '999' WHERE key = 'lights.followup_red_days'")
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 7
    (f,) = res.json["failures"]
    assert (f["table"], f["code"], f["field"], f["expected"], f["found"]) == (
        "setting", "lights.followup_red_days", "value", "45", "999")
    text = cli.admin("audit", "verify")
    assert text.code == 7 and "table setting, key lights.followup_red_days" in text.out
    with sqlite3.connect(cli.db) as db:  # a row no entry wrote, and a row taken away
        db.execute("UPDATE setting SET value = '45' WHERE key = 'lights.followup_red_days'")
        db.execute("INSERT INTO setting(key, entry, value, effective_on) VALUES ('lights.followup_red_days', 9999, "
                   "'999', '2026-01-01')")
        db.execute("DELETE FROM setting WHERE entry = ?", (seq,))
    fields = {(f["code"], f["seq"], f["field"]) for f in cli.admin("audit", "verify", json=True).json["failures"]}
    assert fields == {("lights.followup_red_days", seq, "row"), ("lights.followup_red_days", 9999, "row")}
    # the table rebuilt from the ledger verifies again
    from sqlalchemy import create_engine

    from workflow import settings

    engine = create_engine(f"sqlite:///{cli.db}")
    with engine.begin() as conn:
        assert settings.rebuild(conn) == 1
    engine.dispose()
    verify_ok(cli)


def test_upgrade_carries_existing_settings_over_and_verifies(engine_kind, request, tmp_path):
    """A database at schema 0006 with settings rows (thresholds, ladder, top leader, undo window, a plan
    template) upgrades to one ledger entry per governed row, in force on every date, and verifies."""
    from sqlalchemy import text

    from tests.conftest import make_cli
    from workflow.db import make_engine, upgrade

    c: Cli = make_cli(engine_kind, request, tmp_path)
    engine = make_engine(c.url_for(None) if engine_kind == "postgres" else f"sqlite:///{c.db}")
    if engine_kind == "postgres":  # the test database comes made at the head: take it back to 0006
        from alembic import command

        from workflow.db import alembic_config

        with engine.begin() as conn:
            command.downgrade(alembic_config(c.url_for(None), conn), "0006")
    upgrade(engine, "0006")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0006"
    rows = {"lights.followup_red_days": "45", "supervision.unit_head_days": "10", "supervision_top_leader": "li",
            "undo.window_days": "2", "plan.template.short": '{"sign": 10}'}
    with engine.begin() as conn:
        for k, v in rows.items():
            conn.execute(text("INSERT INTO setting(key, value) VALUES (:k, :v)"), {"k": k, "v": v})
    engine.dispose()
    populate(c)  # `init` upgrades it to the head and makes the test county
    entries = setup_entries(c)
    carried = [e for e in entries if e["reason"] == "carried over at upgrade"]
    assert [(e["actor"], e["effective_on"], e["payload"]["values"]) for e in carried] == [
        ("upgrade", "0001-01-01", {"lights.followup_red_days": "45"}),
        ("upgrade", "0001-01-01", {"supervision.unit_head_days": "10"}),
        ("upgrade", "0001-01-01", {"supervision_top_leader": "li"}),
        ("upgrade", "0001-01-01", {"undo.window_days": "2"}),
        ("upgrade", "0001-01-01", {"plan.template.short": '{"sign": 10}'})]  # 0009 carries the templates over
    assert carried[-1]["payload"]["carried_over"] is True
    verify_ok(c)
    old = shown(c, "2020-01-01")["followup_red_days"]
    assert (old["days"], old["by"], old["since"]) == (45, "upgrade", "0001-01-01")
    assert c("supervision", "ladder", "show", json=True, ok=True).json["top_leader"] == "li"
    assert c("undo-window", json=True, ok=True).json == {"undo_window_days": 2}
    # a later change goes on the same chain
    c.admin("lights", "set", "followup_red_days=50", *WHY, ok=True)
    verify_ok(c)


def test_audit_log_interleaves_setup_entries_by_effective_date_and_write_order(cli):
    code = county(cli)  # a setting from 2026-01-01 recorded before the project's registration (2026-10-15)
    cli.admin("lights", "set", "followup_red_days=45", "--from", "2026-12-01", *WHY, ok=True)
    cli("followup", "add", code, "走访", "--on", "2026-12-01", ok=True)  # written after the setting, same date
    rows = [r for r in cli.admin("audit", "log", json=True, ok=True).json["events"]
            if r["code"] or r["kind"] == "setting"]  # the county's users, units and people are set-up entries too
    assert [(r["code"] or "setup", r["kind"], r["effective_on"]) for r in rows] == [
        ("setup", "setting", "2026-01-01"), (code, "registered", "2026-10-15"),
        ("setup", "setting", "2026-12-01"), (code, "followup", "2026-12-01")]
    assert rows[2]["setup"] is True and rows[2]["reason"] == "county rule" and rows[2]["actor"] == ADMIN
    # a filter on projects (unit, stage, kind) leaves the set-up entries out; --actor and dates keep them
    assert all(r["code"] for r in cli.admin("audit", "log", "--unit", "XH", json=True, ok=True).json["events"])
    only = cli.admin("audit", "log", "--from", "2026-11-01", "--actor", ADMIN, json=True, ok=True).json["events"]
    assert [(r["code"] or "setup", r["effective_on"]) for r in only if r["kind"] == "setting"] == [
        ("setup", "2026-12-01")]
    table = cli.admin("audit", "log")
    assert table.code == 0 and "(set-up)" in table.out and "county rule" in table.out
    setup_only = cli.admin("audit", "log", "--setup", "--from", "2026-06-01", json=True, ok=True).json
    assert [e["effective_on"] for e in setup_only["entries"] if e["kind"] == "setting"] == ["2026-12-01"]
    assert cli.admin("audit", "log", "--setup", "--unit", "XH").code == 2


def test_lights_set_checks_against_the_thresholds_in_force(cli):
    """A threshold is checked with the others in force from --from, not with the defaults; a value
    outside its limits (days 0..3650, points 0..100) is refused and stores nothing."""
    cli.admin("lights", "set", "screening_yellow_days=2", *WHY, ok=True)
    cli.admin("lights", "set", "screening_red_days=3", *WHY, ok=True)  # 2 ≤ 3, though the default yellow is 5
    res = cli.admin("lights", "set", "screening_red_days=1", *WHY, json=True)
    assert res.code == 2 and "screening_yellow_days (2) must not exceed screening_red_days (1)" in \
        res.json["error"]["message"]
    for item, limit in (("screening_red_days=3651", "from 0 to 3650"), ("progress_red_points=101", "from 0 to 100"),
                        ("followup_red_days=99999999999999999999999", "from 0 to 3650")):
        res = cli.admin("lights", "set", item, *WHY, json=True)
        assert res.code == 2 and limit in res.json["error"]["message"], item
        assert cli("board", "--threshold", item).code == 2
    assert len(setup_entries(cli)) == 2
    # a run's --threshold is checked with the thresholds in force too
    assert cli("board", "--threshold", "screening_red_days=4", json=True).code == 0
