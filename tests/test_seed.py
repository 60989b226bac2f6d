"""`pipeline demo --scenario seed`: the seed county's figures, read back through the reports' --json
and their documents (docs/import-export.md)."""

from __future__ import annotations

import re
import zipfile
from datetime import date

import pytest

from tests.conftest import ADMIN, Cli
from workflow import seed as wseed

WAN = 10_000 * 100
YI = 10_000 * WAN
AS_OF = "2026-06-30"  # a date in this year, after the slow project falls behind (May)

pytestmark = pytest.mark.skipif(date.today() < date.fromisoformat(AS_OF), reason="the seed county needs 2026")


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Cli:
    c = Cli(str(tmp_path_factory.mktemp("seed") / "seed.db"))
    r = c("demo", "--scenario", "seed", "--as-of", AS_OF, "--no-show", actor=ADMIN, json=True, ok=True)
    assert r.json["scenario"] == "seed" and r.json["projects"] == 47 and r.json["as_of"] == AS_OF
    assert {p["name"] for p in r.json["late"]} == {name for name, *_ in wseed.LATE}
    return c


def money(items: list[dict], currency: str) -> int:
    return next(m["amount_minor"] for m in items if m["currency"] == currency)


def as_of(period: str) -> list[str]:
    """A closed period is reported as of its end (the default); this year as of the scenario's date."""
    return ["--as-of", AS_OF] if period.startswith("2026") else []


def bulletin(c: Cli, period: str) -> dict:
    return c("report", "bulletin", "--period", period, *as_of(period), json=True, ok=True).json


def document_text(c: Cli, tmp_path, fmt: str, *args: str) -> str:
    """A report's document (``--format html|docx``) in Chinese, as plain text."""
    out = tmp_path / f"r.{fmt}"
    c("report", *args, *as_of(args[-1]), "--format", fmt, "--output", out, lang="zh", ok=True)
    if fmt == "docx":
        with zipfile.ZipFile(out) as z:
            xml = z.read("word/document.xml").decode("utf-8")
        return re.sub(r"<[^>]+>", "", xml)
    return re.sub(r"<[^>]+>", "", out.read_text(encoding="utf-8"))


def test_four_years_33_signed_and_9yi_in_place_growing_37_percent(seed):
    doc = bulletin(seed, "2022..2025")
    assert doc["totals"]["signed"] == 33
    assert money(doc["totals"]["capital_in_place"], "CNY") == 9 * YI
    series = doc["series"]
    assert series["average_growth"]["capital"] == 0.37  # 37% in whole per cent, as the speech says
    # 1.32, 1.68, 2.60, 3.40亿 as the speech rounds them; 2025 up 30.7% on 2024
    assert [round(p["figures"]["capital"] / YI, 2) for p in series["periods"]] == [1.32, 1.68, 2.60, 3.40]
    assert series["periods"][-1]["figures"]["capital"] == 34_000 * WAN
    assert series["periods"][-1]["growth"]["capital"] == 0.307
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


def test_2026_47_key_projects_11_over_100_million_with_this_years_work(seed):
    doc = bulletin(seed, "2026")
    totals = doc["totals"]
    assert totals["key_projects"] == 47 and totals["over_100m"] == 11
    # this year's work up to the as-of date: signings, capital, investment, groundbreaking
    assert totals["signed"] > 0
    assert money(totals["capital_in_place"], "CNY") > 0 and money(totals["capital_in_place"], "USD") > 0
    assert money(totals["investment_completed"], "CNY") > 0
    assert doc["progress"]["totals"]["started"] > 0 and doc["progress"]["totals"]["projects"] >= 40
    rv = seed("report", "review", "--period", "2026", "--as-of", AS_OF, json=True, ok=True).json
    assert rv["totals"]["construction"] == len(rv["projects"]) == doc["progress"]["totals"]["started"] == 4
    # only the story's late projects are red
    assert totals["red"] == len(wseed.late_projects(date.fromisoformat(AS_OF))) == 4


def test_only_the_storys_late_projects_are_red(seed):
    board = seed("board", "--as-of", AS_OF, json=True, ok=True).json
    red = {p["name"]: p["reasons"] for s in board["stages"] for p in s.get("urgent", []) if p["light"] == "red"}
    assert set(red) == {wseed.NO_CONTACT, wseed.NO_GROUND, wseed.NO_CAPITAL, wseed.SLOW}
    assert any("no follow-up" in r for r in red[wseed.NO_CONTACT])
    assert any("groundbreaking" in r for r in red[wseed.NO_GROUND])
    assert any("no capital" in r for r in red[wseed.NO_CAPITAL])
    assert any("points behind" in r for r in red[wseed.SLOW])


def test_early_in_the_year_the_slow_project_is_not_yet_late():
    assert {p["name"] for p in wseed.late_projects(date(2026, 3, 1))} == {wseed.NO_CONTACT, wseed.NO_GROUND,
                                                                          wseed.NO_CAPITAL}


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_the_bulletin_summary_says_it(seed, tmp_path, fmt):
    text = document_text(seed, tmp_path, fmt, "bulletin", "--period", "2022..2025")
    assert "2022—2025年，全县新签约项目33个" in text
    # each currency stated apart: the dollars are not part of the yuan (no "其中利用外资")
    assert "到位资金9亿元；利用外资4179万美元；完成投资6.6亿元" in text and "其中利用外资" not in text
    assert "重点项目44个，其中超亿元项目11个" in text
    assert "到位资金年均增长37%" in text
    text = document_text(seed, tmp_path, fmt, "bulletin", "--period", "2025")
    assert "到位资金3.4亿元，同比增长30.7%" in text and "；利用外资1800万美元" in text  # as the speech says
    text = document_text(seed, tmp_path, fmt, "bulletin", "--period", "2026")  # this year, as of June
    assert re.search(r"2026年1—6月，全县新签约项目[1-9]\d*个", text)
    assert "截至2026年6月30日，全县共有重点项目47个，其中超亿元项目11个；红灯项目4个" in text


def test_seed_history_verifies_and_the_evaluation_says_it(seed, tmp_path):
    assert seed("audit", "verify", json=True, ok=True).json["ok"] is True
    text = document_text(seed, tmp_path, "html", "evaluation", "--period", "2022..2025")
    assert "到位资金9亿元；利用外资4179万美元；完成投资6.6亿元" in text
    assert "到位资金年均增长37%" in text


def test_by_default_the_county_runs_up_to_today(tmp_path):
    c = Cli(str(tmp_path / "today.db"))
    today = date.today()
    r = c("demo", "--scenario", "seed", "--no-show", actor=ADMIN, json=True, ok=True)
    assert r.json["as_of"] == today.isoformat()
    board = c("board", json=True, ok=True).json
    red = {p["name"] for s in board["stages"] for p in s.get("urgent", []) if p["light"] == "red"}
    assert red == {p["name"] for p in wseed.late_projects(today)} and len(red) >= 3
    this_year = c("report", "bulletin", "--period", str(today.year), json=True, ok=True).json["totals"]
    assert this_year["red"] == len(red) and this_year["key_projects"] == 47


@pytest.mark.parametrize("args", [("seed", "--as-of", "2026-01-31"), ("seed", "--as-of", "2099-01-01"),
                                  ("seed", "--as-of", "2026-13-01"), ("random", "--as-of", "2026-06-30"),
                                  ("seed", "--dir", ".")])
def test_bad_input_is_refused_and_changes_nothing(tmp_path, args):
    c = Cli(str(tmp_path / "x.db"))
    r = c("demo", "--scenario", *args, "--no-show", actor=ADMIN)
    assert r.code == 2 and "Traceback" not in r.err and args[1] in r.err
    assert not (tmp_path / "x.db").exists()
