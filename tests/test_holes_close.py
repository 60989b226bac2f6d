"""`report close` is not starved by a stream of writes: bounded attempts, and on SQLite a last one that
takes its turn as a writer (workflow/closing.py, docs/lights-and-reports.md)."""

from __future__ import annotations

import pytest

from tests.conftest import COORD
from tests.test_closed_periods import PERIOD, signed_project
from workflow import closing
from workflow.db import make_engine
from workflow.errors import Conflict
from workflow.service import Service


def _stream_of_writes(cli, monkeypatch, code: str) -> dict:
    """Every time the close computes its figures, another writer records a follow-up first."""
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "0.3")
    writer = Service(make_engine(cli.url_for(COORD)), COORD)
    real = closing._compute
    seen = {"computed": 0, "written": 0, "waited": 0}

    def compute(engine, period):
        seen["computed"] += 1
        try:
            writer.add_followup(code, f"走访 {seen['computed']}")
            seen["written"] += 1
        except Exception:  # the close holds the write lock: this writer waits its turn (busy)
            seen["waited"] += 1
        return real(engine, period)

    monkeypatch.setattr(closing, "_compute", compute)
    monkeypatch.setattr(closing, "CLOSE_PAUSE", 0.001)
    return seen


@pytest.mark.sqlite_only
def test_close_lands_despite_a_stream_of_writes(cli, monkeypatch):
    code = signed_project(cli)
    seen = _stream_of_writes(cli, monkeypatch, code)
    admin = make_engine(cli.url_for("admin"))
    doc = closing.close(admin, "admin", PERIOD)
    admin.dispose()
    assert doc["closed"] is True and doc["period"] == PERIOD
    assert seen == {"computed": closing.CLOSE_ATTEMPTS, "written": closing.CLOSE_ATTEMPTS - 1, "waited": 1}
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


@pytest.mark.sqlite_only
def test_without_a_turn_to_take_the_attempts_are_bounded(cli, monkeypatch):
    code = signed_project(cli)
    seen = _stream_of_writes(cli, monkeypatch, code)
    monkeypatch.setattr(closing, "is_sqlite", lambda engine: False)  # as on PostgreSQL
    admin = make_engine(cli.url_for("admin"))
    with pytest.raises(Conflict) as info:
        closing.close(admin, "admin", PERIOD)
    admin.dispose()
    assert info.value.exit_code == 5 and f"{closing.CLOSE_ATTEMPTS} attempts" in str(info.value)
    assert seen["computed"] == closing.CLOSE_ATTEMPTS
    assert cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).json.get("closed") is not True
