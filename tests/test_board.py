"""The board, and the warning thresholds in the configuration (stored settings and per-run overrides)."""

from __future__ import annotations

import io

import pytest

from tests.test_reports import WAN, build_county, money  # noqa: F401  (the county of the report tests)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    from tests.conftest import Cli

    db = str(tmp_path_factory.mktemp("board") / "county.db")
    build_county(db)
    return Cli(db)


def test_board_json(county):
    doc = county("board", "--as-of", "2026-04-30", json=True, ok=True).json
    assert [s["stage"] for s in doc["stages"]] == ["lead", "screening", "approved", "signed", "funding",
                                                   "construction"]
    by = {s["stage"]: s for s in doc["stages"]}
    assert {k: v["count"] for k, v in by.items()} == {"lead": 1, "screening": 1, "approved": 0, "signed": 0,
                                                      "funding": 1, "construction": 1}
    assert (doc["active"], doc["red"], doc["yellow"], doc["green"]) == (4, 1, 1, 2)
    assert by["construction"]["capital_in_place"] == money(cny=3000 * WAN, usd=200 * WAN)
    assert by["funding"]["capital_in_place"] == money(cny=1000 * WAN)
    assert by["screening"]["urgent"][0]["code"] == "P-0004"
    assert by["screening"]["urgent"][0]["lead_leader"]["login"] == "wang"
    assert by["lead"]["urgent"][0]["light"] == "yellow"
    assert by["construction"]["urgent"] == []  # green projects are not urgent
    assert by["lead"]["planned_investment"] == {"amount_minor": 1000 * WAN, "currency": "CNY"}


def test_board_top_and_unit(county):
    doc = county("board", "--as-of", "2026-04-30", "--top", "0", "--unit", "XH", json=True, ok=True).json
    assert all(s["urgent"] == [] for s in doc["stages"])
    assert doc["active"] == 3 and doc["red"] == 0 and doc["yellow"] == 1


def _render(doc, lang, width):
    from rich.console import Console

    from cli.render import board

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=True, color_system=None, legacy_windows=False)
    board(doc, lang, terminal=True, console=console)
    return buf.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_board_fits_80_columns_on_a_terminal(county, lang):
    from rich.cells import cell_len

    doc = county("board", "--as-of", "2026-04-30", json=True, ok=True, lang=lang).json
    # a long name must be cropped, not wrap the layout
    doc["stages"][0]["urgent"][0]["name"] = "黑龙江诺宝新能源开发有限公司生物质热电联产项目"
    text = _render(doc, lang, 80)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "P-0004" in text and "P-0005" in text
    header = lines[1]
    for label in (("意向在谈", "审核中", "资金到位中", "已开工") if lang == "zh"
                  else ("Lead", "Screening", "Funding", "Construction")):
        assert label in header
    if lang == "zh":
        assert "红1" in text and "¥1,000万" in text
    else:
        assert "R:1" in text and "¥10.0M" in text


def test_board_piped_is_a_plain_listing(county):
    res = county("board", "--as-of", "2026-04-30", ok=True)
    lines = res.out.splitlines()
    assert lines[0].startswith("Board · As of 2026-04-30 · 4 active projects · 1 red · 1 yellow")
    assert not any(ch in res.out for ch in "│┃─━")  # no box drawing
    assert any(line.startswith("screening (Under committee review): 1") for line in lines)
    assert any(line.strip().startswith("red  P-0004  诺宝生物质电厂  [FGW]  in screening for 60 days")
               for line in lines)


def test_board_piped_in_chinese_names_stages_by_label(county):
    """Piped under ``--lang zh``: each stage by its label (no key), the reasons joined with "；"."""
    res = county("board", "--as-of", "2026-04-30", lang="zh", ok=True)
    lines = res.out.splitlines()
    assert any(line.startswith("审核中：1 · ") for line in lines)
    assert not any(key in res.out for key in ("lead", "screening", "funding", "construction", "; "))
    lead = next(line for line in lines if "P-0005" in line)
    assert "；" in lead  # P-0005: signing due, and no follow-up for 51 days


def test_compact_money():
    from cli.render import compact_money

    assert compact_money(2 * 10**8 * 100, "CNY", "zh") == "¥2.00亿"
    assert compact_money(5600 * WAN, "CNY", "zh") == "¥5,600万"
    assert compact_money(4179 * WAN, "USD", "zh") == "$4,179万"
    assert compact_money(12_345_600, "CNY", "en") == "¥123.5K"
    assert compact_money(56_000_000 * 100, "CNY", "en") == "¥56.0M"
    assert compact_money(2 * 10**9 * 100, "CNY", "en") == "¥2.00B"
    assert compact_money(0, "CNY", "en") == "¥0"


# --- thresholds in the configuration --------------------------------------------------------------


def test_lights_set_show_reset(cli):
    show = cli("lights", "show", json=True, ok=True).json["thresholds"]
    assert {x["name"]: (x["days"], x["source"]) for x in show}["screening_red_days"] == (10, "default")
    cli.admin("lights", "set", "--reason", "test", "screening_red_days=12", "screening_yellow_days=7", ok=True)
    show = {x["name"]: x for x in cli("lights", "show", json=True, ok=True).json["thresholds"]}
    assert (show["screening_red_days"]["days"], show["screening_red_days"]["source"]) == (12, "configured")
    assert show["screening_red_days"]["default"] == 10
    run = {x["name"]: x for x in cli("lights", "show", "--threshold", "screening_red_days=20", json=True,
                                     ok=True).json["thresholds"]}
    assert (run["screening_red_days"]["days"], run["screening_red_days"]["source"]) == (20, "this_run")
    cli.admin("lights", "reset", "--reason", "test", "screening_yellow_days", ok=True)
    show = {x["name"]: x for x in cli("lights", "show", json=True, ok=True).json["thresholds"]}
    assert show["screening_yellow_days"]["source"] == "default" and show["screening_red_days"]["days"] == 12
    cli.admin("lights", "reset", "--reason", "test", ok=True)
    show = {x["name"]: x for x in cli("lights", "show", json=True, ok=True).json["thresholds"]}
    assert all(x["source"] == "default" for x in show.values())


@pytest.mark.parametrize(("args", "code"), [
    (["screening_yellow_days=20"], 2),  # above its red limit (10)
    (["screening_red_days=-1"], 2),
    (["screening_red_days=ten"], 2),
    (["bogus_days=3"], 2),
    (["screening_red_days"], 2),
])
def test_lights_set_refusals(cli, args, code):
    res = cli.admin("lights", "set", "--reason", "test", *args, json=True)
    assert res.code == code
    assert all(x["source"] == "default" for x in cli("lights", "show", json=True, ok=True).json["thresholds"])


def test_lights_set_needs_admin(cli):
    assert cli("lights", "set", "--reason", "test", "screening_red_days=12", json=True).code == 6
    assert cli("lights", "reset", "--reason", "test", json=True).code == 6


def test_configured_thresholds_drive_project_lights(cli):
    from datetime import date, timedelta

    on = (date.today() - timedelta(days=12)).isoformat()
    cli("project", "add", "--name", "东安金矿", "--investor", "东安", "--industry", "mining", "--investment", "5600万",
        "--unit", "XH", "--on", on, ok=True)
    cli("advance", "P-0001", "submit", "--on", on, ok=True)
    cli("followup", "add", "P-0001", "催办", ok=True)
    assert cli("project", "show", "P-0001", json=True, ok=True).json["light"] == "red"  # 12 > 10
    cli.admin("lights", "set", "--reason", "test", "screening_red_days=12", ok=True)
    view = cli("project", "show", "P-0001", json=True, ok=True).json
    assert view["light"] == "yellow" and view["light_reasons"] == ["in screening for 12 days (more than 5)"]
    assert [p["code"] for p in cli("project", "list", "--light", "yellow", json=True, ok=True).json["projects"]] \
        == ["P-0001"]
    assert cli("project", "show", "P-0001", "--threshold", "screening_red_days=11", json=True,
               ok=True).json["light"] == "red"
    assert cli("project", "list", "--light", "red", "--threshold", "screening_red_days=11", json=True,
               ok=True).json["projects"][0]["code"] == "P-0001"
    assert cli("warnings", json=True, ok=True).json["yellow"] == 1
    assert cli("board", json=True, ok=True).json["yellow"] == 1
