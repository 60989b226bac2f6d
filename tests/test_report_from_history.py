"""``report … --from-history``: the figures computed from history alone (projects and their records
rebuilt by replay) equal the normal run on the demo county; after a derived table is tampered with,
the normal run shows the changed figure and the history run still the true one."""

from __future__ import annotations

import pytest

from tests.test_verify_replay import tamper

pytestmark = pytest.mark.sqlite_only  # the demo rebuilds an SQLite file only

KINDS = ("bulletin", "dispatch", "review", "evaluation")


@pytest.fixture
def demo(cli):
    cli.admin("demo", "--no-show", "--projects", "40", "--force", ok=True)
    return cli


def _report(cli, kind: str, *extra: str) -> dict:
    return cli("report", kind, "--period", "2026", *extra, json=True, ok=True).json


@pytest.mark.parametrize("kind", KINDS)
def test_from_history_equals_the_normal_run_on_the_demo_county(demo, kind):
    assert _report(demo, kind, "--from-history") == _report(demo, kind)


def test_from_history_keeps_the_true_figures_after_tampering(demo):
    before = _report(demo, "bulletin")
    assert any(m["amount_minor"] for m in before["totals"]["capital_in_place"])
    tamper(demo, "UPDATE capital_arrival SET amount_minor = amount_minor * 100")
    assert _report(demo, "bulletin")["totals"]["capital_in_place"] != before["totals"]["capital_in_place"]
    assert _report(demo, "bulletin", "--from-history") == before
