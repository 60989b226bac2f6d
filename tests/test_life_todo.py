"""A to-do for the people who follow up (docs/supervision.md, "To-do"): a login linked to a person
(`users add/edit --person`, in the set-up ledger) sees what the person holds; a login sees what it
registered and promised; an empty list says why and for whom — on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import ADMIN


def project(cli, name: str = "蓝莓深加工", on: str = "2026-01-05") -> str:
    return cli("project", "add", "--name", name, "--investor", f"{name}有限公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", "XH", "--on", on, json=True, ok=True).json["code"]


def test_a_coordinator_sees_the_promise_they_made(cli):
    code = project(cli)
    cli("followup", "add", code, "走访", "--next-on", "2026-03-08", "--on", "2026-03-01", ok=True)
    doc = cli("todo", "--as-of", "2026-03-10", json=True, ok=True).json
    promise = [i for i in doc["items"] if i["kind"] == "followup"]
    assert [(i["project"], i["urgency"], i["date"]) for i in promise] == [(code, 45, "2026-03-08")]  # overdue
    assert doc["user"] == "coord" and doc["person"] is None
    assert doc["scope"] == {"roles": 0, "registered": 1, "promised": 1, "problems": 0}
    # before the promise was made, nothing of it
    earlier = cli("todo", "--as-of", "2026-02-27", json=True, ok=True).json["items"]
    assert not [i for i in earlier if i["kind"] == "followup"]


def test_an_empty_list_says_why_and_for_whom(cli):
    res = cli.admin("todo", "--as-of", "2026-03-10", ok=True)
    assert "nothing to do for admin" in res.err and "linked to no person" in res.err
    assert "users edit admin --person" in res.err
    doc = cli.admin("todo", "--as-of", "2026-03-10", json=True, ok=True).json
    assert doc["items"] == [] and "2026-03-10" in doc["empty"]
    zh = cli.admin("todo", "--as-of", "2026-03-10", lang="zh", ok=True).err
    assert "没有待办" in zh and "未关联人员" in zh
    # linked to a person with nothing to do: the person is named
    cli.admin("users", "edit", ADMIN, "--person", "王县长", "--reason", "包保", ok=True)
    res = cli.admin("todo", "--as-of", "2026-03-10", ok=True)
    assert "nothing to do for admin (person wang)" in res.err


def test_a_linked_user_sees_the_persons_roles(cli):
    code = project(cli)
    cli.admin("users", "add", "wangsec", "--role", "coordinator", "--person", "wang", ok=True)
    listed = {u["login"]: u for u in cli("users", "list", json=True, ok=True).json["users"]}
    assert listed["wangsec"]["person"] == "wang" and listed["coord"]["person"] is None
    assert cli("todo", "--as-of", "2026-03-10", json=True, ok=True, actor="wangsec").json["items"] == []
    cli.admin("reassign", code, "lead_leader", "wang", "--reason", "分工", "--on", "2026-01-06", ok=True)
    cli("followup", "add", code, "走访", "--next-on", "2026-03-08", "--on", "2026-03-01", ok=True)
    doc = cli("todo", "--as-of", "2026-03-10", json=True, ok=True, actor="wangsec").json
    assert doc["person"] == "wang" and doc["scope"]["roles"] == 1
    assert ("followup", code) in [(i["kind"], i["project"]) for i in doc["items"]]
    # the same list as the person's own
    assert doc["items"] == cli("todo", "--for", "wang", "--as-of", "2026-03-10", json=True, ok=True).json["items"]
    assert cli("todo", "--for", "wangsec", "--as-of", "2026-03-10", json=True, ok=True).json["items"] == doc["items"]


def test_users_edit_person_is_ledgered_and_checked(cli):
    edited = cli.admin("users", "edit", "coord", "--person", "wang", "--reason", "人盯人", json=True, ok=True).json
    assert edited["person"] == "wang" and edited["previous_person"] is None
    (entry,) = [e for e in cli.admin("audit", "ledger", json=True, ok=True).json["entries"]
                if e["kind"] == "user_edited"]
    assert entry["target"] == "coord" and entry["payload"]["changed"] == {"person_login": [None, "wang"]}
    assert entry["reason"] == "人盯人"
    # the same link again, an unknown person, both flags, nothing at all: refused, nothing changed
    assert cli.admin("users", "edit", "coord", "--person", "wang").code == 2
    assert cli.admin("users", "edit", "coord", "--person", "ghost").code == 4
    before = cli("users", "list", json=True, ok=True).json
    assert cli.admin("users", "edit", "coord", "--role", "leader", "--person", "ghost").code == 4
    assert cli.admin("users", "edit", "coord", "--person", "wang", "--no-person").code == 2
    assert cli.admin("users", "edit", "coord").code == 2
    assert cli("users", "list", json=True, ok=True).json == before
    assert cli("users", "edit", "coord", "--no-person").code == 6  # admin only
    cli.admin("users", "edit", "coord", "--no-person", ok=True)
    entries = [e for e in cli.admin("audit", "ledger", json=True, ok=True).json["entries"]
               if e["kind"] == "user_edited"]
    assert entries[-1]["payload"]["changed"] == {"person_login": ["wang", None]}
    # a role and a person at once: one entry, in one transaction; verify judges later entries by the new role
    cli.admin("users", "edit", "coord", "--role", "leader", "--person", "wang", "--reason", "分工", ok=True)
    entries = cli.admin("audit", "ledger", json=True, ok=True).json["entries"]
    assert entries[-1]["kind"] == "user_edited" and entries[-2]["kind"] != "user_role"
    assert entries[-1]["payload"]["changed"] == {"role": ["coordinator", "leader"], "person_login": [None, "wang"]}
    assert cli.admin("users", "edit", "coord", "--role", "leader", "--no-person").code == 2  # the role is unchanged
    assert [u["person"] for u in cli("users", "list", json=True, ok=True).json["users"]
            if u["login"] == "coord"] == ["wang"]  # so the link stays too
    assert cli.admin("users", "add", "x1", "--role", "auditor", "--person", "ghost").code == 4
    assert "x1" not in {u["login"] for u in cli("users", "list", json=True, ok=True).json["users"]}
    assert cli.admin("audit", "verify", json=True).code == 0
