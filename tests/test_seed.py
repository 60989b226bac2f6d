"""`pipeline demo --scenario seed`: the seed county's figures, read back through the reports' --json."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, Cli

WAN = 10_000 * 100
YI = 10_000 * WAN


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Cli:
    c = Cli(str(tmp_path_factory.mktemp("seed") / "seed.db"))
    r = c("demo", "--scenario", "seed", "--no-show", actor=ADMIN, json=True, ok=True)
    assert r.json["scenario"] == "seed" and r.json["projects"] == 47
    return c


def money(items: list[dict], currency: str) -> int:
    return next(m["amount_minor"] for m in items if m["currency"] == currency)


def bulletin(c: Cli, period: str) -> dict:
    return c("report", "bulletin", "--period", period, json=True, ok=True).json


def test_four_years_33_signed_and_9yi_in_place_growing_37_percent(seed):
    doc = bulletin(seed, "2022..2025")
    assert doc["totals"]["signed"] == 33
    assert money(doc["totals"]["capital_in_place"], "CNY") == 9 * YI
    assert round(doc["series"]["average_growth"]["capital"], 2) == 0.37
    ev = seed("report", "evaluation", "--period", "2022..2025", json=True, ok=True).json
    assert ev["series"]["totals"]["capital"] == 9 * YI and ev["series"]["totals"]["signed"] == 33
    assert [p["period"] for p in ev["series"]["periods"]] == ["2022", "2023", "2024", "2025"]


def test_foreign_capital_2023_to_2025(seed):
    doc = bulletin(seed, "2023..2025")
    assert money(doc["totals"]["capital_in_place"], "USD") == 4179 * WAN


def test_44_key_projects_with_6_6yi_completed(seed):
    doc = bulletin(seed, "2022..2025")
    assert doc["totals"]["key_projects"] == 44
    assert money(doc["totals"]["investment_completed"], "CNY") == 66_000 * WAN


def test_2026_47_key_projects_11_over_100_million(seed):
    doc = bulletin(seed, "2026")
    assert doc["totals"]["key_projects"] == 47 and doc["totals"]["over_100m"] == 11
    assert doc["progress"]["totals"]["projects"] == 47  # each has a plan for 2026


def test_seed_history_verifies_and_the_document_says_it(seed, tmp_path):
    assert seed("audit", "verify", json=True, ok=True).json["ok"] is True
    out = tmp_path / "b.html"
    seed("report", "evaluation", "--period", "2022..2025", "--format", "html", "--output", out, lang="zh", ok=True)
    html = out.read_text(encoding="utf-8")
    assert "2022—2025年，全县新签约项目33个" in html
    assert "到位资金9亿元，其中利用外资4179万美元；完成投资6.6亿元" in html
    assert "到位资金年均增长36.94%" in html
