"""Admins fix the set-up: units edit, users edit/disable/enable, each in the hash-chained ledger."""

from __future__ import annotations

import pytest

from workflow.errors import NotAllowed


def test_units_edit_is_recorded_with_actor_and_reason(cli):
    res = cli.admin("units", "edit", "XH", "--kind", "department", "--name", "新华乡", "--reason", "建错类型",
                    json=True, ok=True).json
    assert res["kind"] == "department" and res["name"] == "新华乡"
    units = {u["code"]: u for u in cli("units", "list", json=True, ok=True).json["units"]}
    assert units["XH"]["kind"] == "department"
    assert cli("units", "edit", "XH", "--name", "x", json=True).code == 6  # coordinator
    assert cli.admin("units", "edit", "NOPE", "--name", "x", json=True).code == 4
    assert cli.admin("units", "edit", "XH", "--kind", "village", json=True).code == 2
    assert cli.admin("units", "edit", "XH", json=True).code == 2
    entries = cli("audit", "ledger", json=True, ok=True).json["entries"]
    assert entries[-1]["kind"] == "unit_edited" and entries[-1]["actor"] == "admin"
    assert entries[-1]["reason"] == "建错类型"
    assert entries[-1]["payload"]["changed"]["kind"] == ["township", "department"]
    assert entries[-1]["payload"]["row"] == {"name": "新华乡", "kind": "department"}
    assert cli("audit", "verify", json=True, ok=True).json["ledger"]["seq"] == len(entries)


def test_users_edit_role_and_disable_enable(cli):
    def add():
        return cli("project", "add", "--name", "x项目", "--investor", "y", "--industry", "z", "--investment", "1万",
                   "--unit", "XH", "--allow-duplicate", json=True)

    assert add().code == 0
    cli.admin("users", "edit", "coord", "--role", "auditor", "--reason", "调岗", ok=True)
    assert add().code == 6
    cli.admin("users", "edit", "coord", "--role", "coordinator", ok=True)
    assert add().code == 0
    cli.admin("users", "disable", "coord", "--reason", "离职", ok=True)
    res = add()
    assert res.code == 6 and "disabled" in res.json["error"]["message"]
    # a write on a project: refused as disabled (6), whether the project exists or not
    code = cli("project", "list", json=True, ok=True).json["projects"][0]["code"]
    for target in (code, "P-9999"):
        res = cli("followup", "add", target, "电话跟进", json=True)
        assert res.code == 6 and "disabled" in res.json["error"]["message"], (target, res.out)
    assert cli("project", "list", json=True).code == 0  # a disabled login still reads
    users = {u["login"]: u for u in cli("users", "list", json=True, ok=True).json["users"]}
    assert users["coord"]["disabled"] is True
    assert cli.admin("users", "disable", "coord", json=True).code == 2  # already
    cli.admin("users", "enable", "coord", ok=True)
    assert add().code == 0
    kinds = [e["kind"] for e in cli("audit", "ledger", json=True, ok=True).json["entries"]]
    assert kinds[-4:] == ["user_role", "user_role", "user_disabled", "user_enabled"]
    assert cli("users", "disable", "admin", json=True).code == 6  # coordinators manage no users
    assert cli.admin("users", "disable", "admin", json=True).code == 2  # the last admin
    assert cli.admin("users", "edit", "admin", "--role", "leader", json=True).code == 2
    assert cli.admin("users", "edit", "ghost", "--role", "leader", json=True).code == 4
    assert cli.admin("users", "edit", "coord", "--role", "boss", json=True).code == 2
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


def test_postgres_groups_follow_the_role(cli):
    if cli.engine_kind != "postgres":
        pytest.skip("database roles exist on PostgreSQL only")
    from workflow import pgroles
    from workflow.db import make_engine

    engine = make_engine(cli.url_for("admin"))
    try:
        cli.admin("users", "edit", "coord", "--role", "leader", ok=True)
        assert pgroles.group_of(engine, "coord") == ["leader"]
        cli.admin("users", "disable", "coord", ok=True)
        assert pgroles.group_of(engine, "coord") == ["auditor"]  # reads only, in the database too
        cli.admin("users", "enable", "coord", ok=True)
        assert pgroles.group_of(engine, "coord") == ["leader"]
    finally:
        engine.dispose()


def test_python_api_disabled_login_may_not_write(cli, service):
    from workflow.db import make_engine
    from workflow.service import Service

    admin = Service(make_engine(cli.url_for("admin")), "admin")  # on PostgreSQL the login is the actor
    admin.disable_user("coord", reason="停用")
    with pytest.raises(NotAllowed):
        service.add_project(name="a", investor="b", industry="c", investment_minor=1, unit="XH")
    admin.engine.dispose()
    assert service.list_projects() == []
    admin.enable_user("coord")
    service.add_project(name="a", investor="b", industry="c", investment_minor=1, unit="XH")
    admin.engine.dispose()


def test_ledger_tamper_is_found(cli):
    if cli.engine_kind != "sqlite":
        pytest.skip("the append-only triggers refuse the tampering on PostgreSQL")
    import sqlite3

    cli.admin("units", "edit", "XH", "--name", "新华乡", ok=True)
    with sqlite3.connect(cli.db) as conn:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("UPDATE ledger SET reason = 'x'")
        conn.execute("DROP TRIGGER ledger_no_update")
        conn.execute("UPDATE ledger SET reason = 'forged'")
    res = cli("audit", "verify", json=True)
    assert res.code == 7 and res.json.get("failures", [{}])[0]["code"] == "ledger" or "ledger" in res.out


def test_init_makes_the_first_admin_in_the_ledger_and_no_second_one(cli):
    """``init`` on an initialised database makes no one admin, whoever runs it (exit 6, nothing
    written): a new admin is ``users add``/``users edit``, which the ledger records."""
    entries = cli("audit", "ledger", json=True, ok=True).json["entries"]
    assert (entries[0]["kind"], entries[0]["target"]) == ("user_added", "admin")
    assert entries[0]["payload"]["row"] == {"role": "admin", "disabled": False, "person_login": None}
    res = cli.admin("init", "--admin", "newboss", json=True)
    assert res.code == 6 and res.json["error"]["code"] == "pgguard_init_has_admin"
    assert cli.admin("init", "--admin", "coord", json=True).code == 6
    users = {u["login"]: u["role"] for u in cli("users", "list", json=True, ok=True).json["users"]}
    assert "newboss" not in users and users["coord"] == "coordinator"
    assert cli("audit", "ledger", json=True, ok=True).json["entries"] == entries
    assert cli.admin("init", json=True, ok=True).json["admin_created"] is False
