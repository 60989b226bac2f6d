"""One permission table (``workflow.access.PERMISSIONS``): single writes, batches and the replay of
``audit verify`` read it, so a change to it alone changes what each of them allows."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN
from workflow import clock
from workflow.access import PERMISSIONS, roles_for
from workflow.errors import NotAllowed

pytestmark = pytest.mark.sqlite_only


def test_every_batch_action_and_every_event_kind_is_in_the_table():
    from workflow.bulk import BATCH_RECORDS
    from workflow.commands import BATCH_COMMANDS
    from workflow.words import EVENT_KINDS as KINDS

    assert set(BATCH_RECORDS) == set(BATCH_COMMANDS)
    for kind in KINDS:
        assert roles_for(kind)  # some role records every kind history holds
    assert roles_for("correction") == ("admin",)
    assert roles_for("followup") == ("coordinator", "admin", "leader")
    assert PERMISSIONS["auditor"] == frozenset()


def test_the_table_alone_decides_for_single_writes_batches_and_the_replay(service, cli, monkeypatch):
    from workflow import access
    from workflow.bulk import Op

    code = cli("project", "add", "--name", "翠宏山铁多金属矿", "--investor", "翠宏山矿业", "--industry", "矿业",
               "--investment", "500万", "--unit", "XH", json=True, ok=True).json["code"]
    service.add_followup(code, "电话沟通")  # a coordinator may, as shipped
    assert cli("audit", "verify", json=True).code == 0

    narrower = dict(PERMISSIONS, coordinator=PERMISSIONS["coordinator"] - {"followup"})
    monkeypatch.setattr(access, "PERMISSIONS", narrower)
    monkeypatch.setattr("workflow.replay.PERMISSIONS", narrower)
    with pytest.raises(NotAllowed) as single:
        service.add_followup(code, "再次电话沟通")
    assert "admin" in single.value.message and "coordinator or" not in single.value.message
    with pytest.raises(NotAllowed):
        service.bulk_apply([Op(code, "followup", clock.today(), {"note": "上门拜访"})])
    res = cli("audit", "verify", json=True)  # the follow-up recorded before is now one its actor may not record
    assert res.code == 7
    assert [(f["code"], f["field"], f["found"]) for f in res.json["failures"]] == [(code, "actor", "coordinator")]
    assert cli("followup", "add", code, "座谈", actor=ADMIN).code == 0  # the admin still may
