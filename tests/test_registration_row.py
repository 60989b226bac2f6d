"""The project row made at registration is built in one place, ``Registered.new_row``: a single
``project add``, an import (a batch) and the replay of ``audit verify`` all take it from there."""

from __future__ import annotations

import pytest

from workflow.events import Registered

pytestmark = pytest.mark.sqlite_only


def test_single_writes_imports_and_the_replay_build_the_row_through_the_event(service, cli, monkeypatch):
    made: list[tuple[str, bool]] = []
    original = Registered.new_row

    def counting(self, pid, code, **kw):
        made.append((code, kw.get("new", False)))
        return original(self, pid, code, **kw)

    monkeypatch.setattr(Registered, "new_row", counting)
    single = service.add_project(name="翠宏山铁多金属矿", investor="翠宏山矿业", industry="矿业",
                                 investment_minor=500_0000_00, unit="XH").project.code
    imported = service.import_projects([{"name": "五营风电", "investor": "龙源", "industry": "能源",
                                         "investment_minor": 300_0000_00, "unit": "XH"}])["first"]
    assert made == [(single, True), (imported, True)]
    res = cli("audit", "verify", json=True)
    assert res.code == 0, res.out
    assert sorted(made[2:]) == [(single, False), (imported, False)]  # the replay's rows: the same method
