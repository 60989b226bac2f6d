"""Every set-up change through the set-up ledger (docs/audit.md): each set-up command writes exactly one
ledger entry; the tables it feeds are the ledger's projection, so tampering one makes ``audit verify``
exit 7 naming the table and key; targets are effective-dated; an upgraded schema-0008 database with
rows in every set-up table verifies."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, Cli, populate

WHY = ("--reason", "县里决定")


def entries(cli) -> list[dict]:
    doc = cli.admin("audit", "log", "--setup", json=True, ok=True).json
    return doc["entries"]


def verify(cli) -> dict:
    return cli.admin("audit", "verify", json=True).json


def tamper(cli: Cli, sql: str) -> None:
    """A direct write as the table owner with every trigger out of the way (sqlite3 on the file; on
    PostgreSQL the cluster's superuser, who alone can switch the set-up tables' ledger guards off)."""
    from tests.test_verify_replay import tamper as strongest

    strongest(cli, sql)


COMMANDS = [  # (command, the kind of its entry, its target)
    (("users", "add", "zhao", "--role", "leader", "--reason", "新任"), "user_added", "zhao"),
    (("users", "edit", "zhao", "--role", "auditor"), "user_role", "zhao"),
    (("users", "disable", "zhao"), "user_disabled", "zhao"),
    (("users", "enable", "zhao"), "user_enabled", "zhao"),
    (("units", "add", "ZS", "--name", "招商局", "--kind", "department"), "unit_added", "ZS"),
    (("units", "edit", "ZS", "--name", "县招商局"), "unit_edited", "ZS"),
    (("people", "add", "li", "--name", "李书记", "--level", "county", "--cap", "3"), "person_added", "li"),
    (("people", "edit", "li", "--cap", "5"), "person_edited", "li"),
    (("people", "edit", "li", "--inactive", "--reason", "调离"), "person_edited", "li"),
    (("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "10", "--key"), "rule_version",
     "1/1"),
    (("rules", "edit", "1", "--priority", "20"), "rule_version", "1/2"),
    (("rules", "disable", "1", *WHY), "rule_version", "1/3"),
    (("rules", "enable", "1"), "rule_version", "1/4"),
    (("targets", "set", "XH", "2026", "--signed", "4", *WHY), "target_set", "XH/2026"),
    (("targets", "set", "XH", "2026", "--capital", "5000万", "--from", "2026-12-01", *WHY), "target_set",
     "XH/2026"),
    (("plan", "templates", "set", "quick", "--sign-to-fund", "10", "--fund-to-break-ground", "20",
      "--break-ground-to-commission", "30"), "setting", "plan"),
]


def test_each_setup_command_writes_exactly_one_ledger_entry(cli):
    start = entries(cli)
    assert [e["kind"] for e in start] == ["user_added", "user_added", "unit_added", "unit_added", "person_added"]
    assert start[0]["target"] == ADMIN
    assert start[0]["payload"]["row"] == {"role": "admin", "disabled": False, "person_login": None}
    for args, kind, target in COMMANDS:
        before = entries(cli)
        cli.admin(*args, ok=True)
        after = entries(cli)
        assert len(after) == len(before) + 1, args
        new = after[-1]
        assert (new["kind"], new["target"], new["actor"]) == (kind, target, ADMIN), args
        assert new["effective_on"] == new["payload"]["effective_on"], args
    log = entries(cli)
    person = [e for e in log if e["target"] == "li"]
    assert [e["payload"]["row"]["active"] for e in person] == [True, True, False]
    assert person[-1]["reason"] == "调离" and person[1]["payload"]["changed"] == {"cap": [3, 5]}
    rules = [e for e in log if e["kind"] == "rule_version"]
    assert [e["payload"]["row"]["active"] for e in rules] == [True, True, False, True]
    assert rules[2]["reason"] == "县里决定"
    targets = [e for e in log if e["kind"] == "target_set"]
    assert [e["effective_on"] for e in targets] == ["2026-01-01", "2026-12-01"]  # a first target: the whole year
    assert targets[1]["payload"]["row"]["signed"] == 4  # figures not given keep their value
    assert verify(cli)["ok"] is True


@pytest.mark.parametrize("args", [
    ("targets", "set", "XH", "2026", "--signed", "4"),
    ("targets", "set", "XH", "2026", "--signed", "4", "--reason", " "),
])
def test_a_target_needs_a_reason_and_a_refusal_writes_nothing(cli, args):
    before = entries(cli)
    res = cli.admin(*args, json=True)
    assert res.code == 2 and "--reason is required" in res.json["error"]["message"]
    assert entries(cli) == before
    assert cli("targets", "list", json=True, ok=True).json["targets"] == []


def test_retiring_a_rule_needs_a_reason(cli):
    cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "10", ok=True)
    before = entries(cli)
    res = cli.admin("rules", "disable", "1", json=True)
    assert res.code == 2 and "--reason is required" in res.json["error"]["message"]
    assert entries(cli) == before
    assert cli("rules", "list", json=True, ok=True).json["rules"][0]["version"] == 1


TAMPERS = [  # (setup commands, direct SQL, table, key, field)
    ((), "UPDATE unit SET name = '假镇' WHERE code = 'XH'", "unit", "XH", "name"),
    ((), "UPDATE person SET cap = 99 WHERE login = 'wang'", "person", "wang", "cap"),
    ((), "UPDATE person SET active = FALSE WHERE login = 'wang'", "person", "wang", "active"),
    ((), "UPDATE app_user SET role = 'admin' WHERE login = 'coord'", "app_user", "coord", "role"),
    ((), "INSERT INTO unit (code, name, kind, created_at) VALUES ('ZZ', 'z', 'township', '2026-01-01 00:00:00')",
     "unit", "ZZ", "row"),
    ((("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "10"),),
     "UPDATE rule SET priority = 1 WHERE id = 1", "rule", "1/1", "priority"),
    ((("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "10"),
      ("rules", "disable", "1", *WHY)),
     "UPDATE rule SET \"current\" = TRUE WHERE id = 1 AND version = 1", "rule", "1/1", "current"),
    ((("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "10", "--from", "2026-06-01"),),
     "UPDATE rule SET effective_on = '2020-01-01' WHERE id = 1", "rule", "1/1", "effective_on"),
    ((("targets", "set", "XH", "2026", "--signed", "4", *WHY),),
     "UPDATE target SET signed = 40 WHERE unit_code = 'XH'", "target", "XH/2026", "signed"),
    ((("targets", "set", "XH", "2026", "--signed", "4", *WHY),),
     "DELETE FROM target WHERE unit_code = 'XH'", "target", "XH/2026", "row"),
]


@pytest.mark.parametrize(("setup", "sql", "table", "key", "field"), TAMPERS,
                         ids=[f"{t[2]}-{t[4]}" for t in TAMPERS])
def test_a_tampered_setup_table_fails_verify_naming_table_and_key(cli, setup, sql, table, key, field):
    for args in setup:
        cli.admin(*args, ok=True)
    assert verify(cli)["ok"] is True
    tamper(cli, sql)
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 7
    found = [(f["table"], f["code"], f["field"]) for f in res.json["failures"]]
    assert found == [(table, key, field)]
    text = cli.admin("audit", "verify")
    assert text.code == 7 and f"table {table}, key {key}" in text.out


def test_rebuild_makes_the_tables_the_ledgers_again(cli):
    from workflow import setup_rows
    from workflow.db import make_engine

    cli.admin("targets", "set", "XH", "2026", "--signed", "4", *WHY, ok=True)
    tamper(cli, "UPDATE target SET signed = 40 WHERE unit_code = 'XH'")
    tamper(cli, "UPDATE unit SET name = '假镇' WHERE code = 'XH'")
    assert verify(cli)["ok"] is False
    engine = make_engine(cli.url_for(None) if cli.engine_kind == "postgres" else f"sqlite:///{cli.db}")
    guarded = ("target", "unit")  # on PostgreSQL only the superuser, with the ledger guards off, repairs
    try:
        with engine.begin() as conn:
            if cli.engine_kind == "postgres":
                for t in guarded:
                    conn.exec_driver_sql(f"ALTER TABLE {t} DISABLE TRIGGER {t}_through_ledger")
            assert setup_rows.rebuild(conn) == 2
            if cli.engine_kind == "postgres":
                for t in guarded:
                    conn.exec_driver_sql(f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_through_ledger")
    finally:
        engine.dispose()
    assert verify(cli)["ok"] is True


def evaluation(cli, day: str) -> str:
    return cli("report", "evaluation", "--period", "2026", "--as-of", day, json=True, ok=True).out


def test_a_target_from_a_date_leaves_the_reports_before_it_alone(cli):
    cli("project", "add", "--name", "蓝莓深加工", "--investor", "蓝莓有限公司", "--industry", "agriculture",
        "--investment", "5000万", "--unit", "XH", "--on", "2026-03-01", ok=True)
    cli.admin("targets", "set", "XH", "2026", "--signed", "4", *WHY, ok=True)  # the whole year
    before_30, before_02 = evaluation(cli, "2026-11-30"), evaluation(cli, "2026-12-02")
    cli.admin("targets", "set", "XH", "2026", "--signed", "8", "--from", "2026-12-01", *WHY, ok=True)
    assert evaluation(cli, "2026-11-30") == before_30  # byte-identical
    assert evaluation(cli, "2026-12-02") != before_02

    def goal(day: str) -> int:
        doc = cli("report", "evaluation", "--period", "2026", "--as-of", day, json=True, ok=True).json
        xh = next(u for u in doc["units"] if u["unit"] == "XH")
        return next(t["target"] for t in xh["targets"] if t["metric"] == "signed")

    assert (goal("2026-11-30"), goal("2026-12-02")) == (4, 8)
    assert cli("targets", "list", json=True, ok=True).json["targets"][0]["signed"] == 8  # the newest setting
    assert verify(cli)["ok"] is True


def test_a_plan_template_from_a_date(cli):
    args = ("--sign-to-fund", "10", "--fund-to-break-ground", "20", "--break-ground-to-commission", "30")
    cli.admin("plan", "templates", "set", "quick", *args, "--from", "2099-01-01", ok=True)
    names = [t["name"] for t in cli("plan", "templates", "list", json=True, ok=True).json["templates"]]
    assert "quick" not in names  # not in force yet
    cli.admin("plan", "templates", "set", "quick", *args, ok=True)
    names = [t["name"] for t in cli("plan", "templates", "list", json=True, ok=True).json["templates"]]
    assert "quick" in names
    assert verify(cli)["ok"] is True


def test_upgrade_from_0008_carries_every_setup_row_over_and_verifies(engine_kind, request, tmp_path):
    """A database at schema 0008 with rows in every set-up table upgrades to one ledger entry per row
    (actor ``upgrade``, in force since 0001-01-01, ``carried_over``) and verifies."""
    from sqlalchemy import text

    from tests.conftest import make_cli
    from workflow.db import make_engine, upgrade

    c: Cli = make_cli(engine_kind, request, tmp_path)
    engine = make_engine(c.url_for(None) if engine_kind == "postgres" else f"sqlite:///{c.db}")
    if engine_kind == "postgres":  # the test database comes made at the head: take it back to 0008
        from alembic import command

        from workflow.db import alembic_config

        with engine.begin() as conn:
            command.downgrade(alembic_config(c.url_for(None), conn), "0008")
    upgrade(engine, "0008")
    at = "2026-01-05 08:00:00"
    with engine.begin() as conn:
        for sql in (
            f"INSERT INTO app_user (login, role, created_at, created_by, disabled) VALUES ('{ADMIN}', 'admin', "
            f"'{at}', 'root', FALSE)",
            f"INSERT INTO app_user (login, role, created_at, created_by, disabled) VALUES ('old', 'leader', '{at}', "
            f"'{ADMIN}', TRUE)",
            f"INSERT INTO unit (code, name, kind, created_at) VALUES ('LS', '龙山镇', 'township', '{at}')",
            f"INSERT INTO person (login, name, title, level, unit_code, cap, active, created_at) VALUES "
            f"('zhou', '周县长', NULL, 'county', NULL, 4, TRUE, '{at}')",
            f"INSERT INTO rule (id, version, priority, name, role, conditions, person_login, active, \"current\", "
            f"changed_by, changed_at) VALUES (1, 1, 10, NULL, 'lead_leader', '{{}}', 'zhou', TRUE, FALSE, "
            f"'{ADMIN}', '{at}')",
            f"INSERT INTO rule (id, version, priority, name, role, conditions, person_login, active, \"current\", "
            f"changed_by, changed_at) VALUES (1, 2, 5, NULL, 'lead_leader', '{{}}', 'zhou', FALSE, TRUE, "
            f"'{ADMIN}', '{at}')",
            f"INSERT INTO target (unit_code, year, signed, capital_minor, foreign_minor, investment_minor, set_by, "
            f"set_at) VALUES ('LS', 2026, 3, 500000000, NULL, NULL, '{ADMIN}', '{at}')",
            "INSERT INTO setting (key, entry, value) VALUES ('plan.template.quick', 0, "
            "'{\"name\": \"quick\", \"sign_to_fund\": 1, \"fund_to_break_ground\": 2, "
            "\"break_ground_to_commission\": 3, \"industries\": []}')",
        ):
            conn.execute(text(sql))
    engine.dispose()
    populate(c)  # `init` upgrades it to the head and makes the test county
    log = entries(c)
    carried = [e for e in log if e["reason"] == "carried over at upgrade"]
    assert [(e["kind"], e["target"]) for e in carried] == [
        ("unit_added", "LS"), ("person_added", "zhou"), ("user_added", ADMIN), ("user_added", "old"),
        ("rule_version", "1/1"), ("rule_version", "1/2"), ("target_set", "LS/2026"), ("setting", "plan")]
    assert all(e["actor"] == "upgrade" and e["effective_on"] == "0001-01-01" and e["payload"]["carried_over"]
               for e in carried)
    assert carried[3]["payload"]["row"] == {"role": "leader", "disabled": True}
    assert carried[6]["payload"]["row"] == {"signed": 3, "capital_minor": 500000000, "foreign_minor": None,
                                            "investment_minor": None}
    assert verify(c)["ok"] is True
    # the evaluation of any date sees the carried-over target; later changes go on the same chain
    doc = c("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", json=True, ok=True).json
    assert [t["target"] for u in doc["units"] if u["unit"] == "LS" for t in u["targets"]][0] == 3
    c.admin("people", "edit", "zhou", "--cap", "6", ok=True)
    c.admin("rules", "enable", "1", ok=True)
    assert verify(c)["ok"] is True
    tamper(c, "UPDATE person SET cap = 9 WHERE login = 'zhou'")
    assert [(f["table"], f["code"]) for f in verify(c)["failures"]] == [("person", "zhou")]


def test_history_names_the_threshold_change_that_changed_the_light(cli):
    """A project registered 2026-10-15 with no follow-up: 48 days without one on 2026-12-02, yellow under
    the default red limit of 60, red under 45 from 2026-12-01."""
    cli.admin("lights", "set", "screening_yellow_days=400", "screening_red_days=500", "--from", "2026-01-01",
              *WHY, ok=True)
    code = cli("project", "add", "--name", "蓝莓深加工", "--investor", "蓝莓有限公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", "XH", "--on", "2026-10-15", json=True, ok=True).json["code"]
    assert not [c for c in cli("history", code, json=True, ok=True).json["settings"]
                if "followup_red_days" in c["changes"]]
    cli.admin("lights", "set", "followup_yellow_days=40", "--from", "2026-01-01", *WHY, ok=True)  # still yellow
    cli.admin("lights", "set", "followup_red_days=45", "--from", "2026-12-01", "--reason", "县里决定提速", ok=True)
    found = [c for c in cli("history", code, json=True, ok=True).json["settings"]
             if "followup_red_days" in c["changes"]]
    assert [(c["changes"], c["effective_on"], c["by"], c["reason"]) for c in found] == [
        ({"followup_red_days": [60, 45]}, "2026-12-01", ADMIN, "县里决定提速")]
    assert found[0]["light"][1] == "red" and found[0]["light"][0] != "red"
    text = cli("history", code, ok=True).out
    assert "followup_red_days 60 → 45 from 2026-12-01, by admin: 县里决定提速" in text


# Every command that writes a set-up ledger entry with a reason, as it would succeed with a good one.
REASONED = [
    ("units", "add", "ZS", "--name", "招商局"),
    ("units", "edit", "XH", "--name", "县新华镇"),
    ("people", "add", "li", "--name", "李书记", "--level", "county"),
    ("people", "edit", "wang", "--cap", "5"),
    ("users", "add", "zhao", "--role", "leader"),
    ("users", "edit", "coord", "--role", "auditor"),
    ("users", "disable", "coord"),
    ("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "10"),
    ("targets", "set", "XH", "2026", "--signed", "4"),
    ("plan", "templates", "set", "quick", "--sign-to-fund", "10", "--fund-to-break-ground", "20",
     "--break-ground-to-commission", "30"),
    ("lights", "set", "screening_red_days=12"),
    ("lights", "reset"),
    ("undo-window", "3"),
    ("stale-days", "15"),
    ("capital", "plausible", "50"),
    ("rates", "set", "2026", "USD=7.10"),
    ("county", "set", "--name", "甲县", "--code", "JX"),
    ("documents", "set", "county=新华县"),
    ("supervision", "ladder", "set", "reply_days=7"),
    ("report", "criteria", "进度=60", "效益=40"),
    ("performance", "settings", "deduct_points=2"),
]
BAD_REASONS = {  # the reason -> the refusal every free text gets (docs/text-and-errors.md)
    "a\x1b[31mred": "--reason holds the control character \\x1b; it takes line breaks only",
    "a\u202eb": "--reason holds the control character \\u202e; it takes line breaks only",
    "x" * 5000: "--reason is longer than 4000 characters",
}


@pytest.mark.parametrize("args", REASONED, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("reason", list(BAD_REASONS), ids=["escape", "bidi", "5000"])
def test_a_setup_reason_is_checked_as_free_text_and_a_refusal_writes_nothing(cli, args, reason):
    before = entries(cli)
    res = cli.admin(*args, "--reason", reason, json=True)
    assert res.code == 2, (args, res.out, res.err)
    assert res.json["error"]["message"] == BAD_REASONS[reason]
    assert entries(cli) == before
    assert verify(cli)["ok"] is True
    res = cli.admin(*args, "--reason", " 县里决定\n第二行 ", json=True, ok=True)  # free text: line breaks kept
    assert entries(cli)[-1]["reason"] == "县里决定\n第二行"
