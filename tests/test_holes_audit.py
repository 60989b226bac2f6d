"""Smaller audit holes: the checkpoint's project count (docs/audit.md)."""

from __future__ import annotations


def test_checkpoint_does_not_count_the_ledger_as_a_project(cli, service):
    service.add_project(name="东安金矿", investor="某公司", industry="矿业", investment_minor=10**10, unit="XH")
    cli.admin("users", "add", "aud2", "--role", "auditor", ok=True)
    cli.admin("users", "disable", "aud2", ok=True)  # a ledger entry after the event
    doc = cli.admin("audit", "checkpoint", json=True, ok=True).json
    assert doc["projects"] == 1
    assert cli.admin("audit", "checkpoints", json=True, ok=True).json["checkpoints"][0]["projects"] == 1
