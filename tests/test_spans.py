"""Spans of periods (`2022..2025`, `2026-B1..2026-B5`): parsing, and reports over a span whose totals
are the sums of their periods, with each period's growth and the average growth."""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_reports import county, engine  # noqa: F401  (module fixtures: the hand-worked county)
from workflow.errors import BadInput
from workflow.periods import Span, parse_period, parse_span


def test_parse_span_forms() -> None:
    s = parse_span("2022..2025")
    assert isinstance(s, Span)
    assert [p.label for p in s.parts] == ["2022", "2023", "2024", "2025"]
    assert (s.start, s.end, s.years) == (date(2022, 1, 1), date(2025, 12, 31), (2022, 2023, 2024, 2025))
    assert s.previous().label == "2018..2021"
    b = parse_span("2026-B1..2026-B5")
    assert b.start == date(2026, 1, 1) and b.end == date(2026, 10, 31) and len(b.parts) == 5
    assert parse_span("2025-Q4..2026-Q2").label == "2025-Q4..2026-Q2"
    assert parse_span("2026..2026") == parse_period("2026")
    assert parse_span("2026-Q3") == parse_period("2026-Q3")


@pytest.mark.parametrize("text", ["2022..2025-Q1", "2025..2022", "2026..", "..2026", "2026-B7..2026-B8",
                                  "2026-B1...2026-B2"])
def test_bad_spans_are_refused(text: str) -> None:
    with pytest.raises(BadInput):
        parse_span(text)


FLOW_KEYS = ("signed", "capital_in_place", "investment_completed")


def _flows(doc: dict) -> dict:
    t = doc["totals"]
    return {"signed": t["signed"], **{k: {m["currency"]: m["amount_minor"] for m in t[k]}
                                      for k in ("capital_in_place", "investment_completed")}}


def _add(a: dict, b: dict) -> dict:
    out = {"signed": a["signed"] + b["signed"]}
    for k in ("capital_in_place", "investment_completed"):
        out[k] = {c: a[k].get(c, 0) + b[k].get(c, 0) for c in set(a[k]) | set(b[k])}
    return out


@pytest.mark.parametrize(("span", "parts"), [
    ("2026-B1..2026-B3", ["2026-B1", "2026-B2", "2026-B3"]),
    ("2025..2026", ["2025", "2026"]),
    ("2025-Q4..2026-Q2", ["2025-Q4", "2026-Q1", "2026-Q2"]),
])
def test_span_totals_are_the_sum_of_their_periods(county, span, parts):  # noqa: F811
    as_of = "2026-06-30"
    doc = county("report", "bulletin", "--period", span, "--as-of", as_of, json=True, ok=True).json
    assert doc["span"] == parts
    total = {"signed": 0, "capital_in_place": {}, "investment_completed": {}}
    for p in parts:
        one = county("report", "bulletin", "--period", p, "--as-of", as_of, json=True, ok=True).json
        total = _add(total, _flows(one))
    assert _flows(doc) == total
    assert doc["totals"]["signed"] == doc["series"]["totals"]["signed"]
    # each period of the series is the single period's figure
    for row, p in zip(doc["series"]["periods"], parts, strict=True):
        one = county("report", "bulletin", "--period", p, "--as-of", as_of, json=True, ok=True).json
        assert row["period"] == p
        assert row["figures"]["signed"] == one["totals"]["signed"]
        cap = {m["currency"]: m["amount_minor"] for m in one["totals"]["capital_in_place"]}
        assert row["figures"]["capital"] == cap["CNY"] and row["figures"]["foreign"] == cap["USD"]


def test_span_growth_and_average(county):  # noqa: F811
    doc = county("report", "evaluation", "--period", "2026-B1..2026-B2", "--as-of", "2026-04-30",
                 json=True, ok=True).json
    s = doc["series"]
    b1, b2 = s["periods"]
    # B1: signed 1 (P1), capital 3000万 CNY; B2: signed 2 (P2, P3), capital 1000万 CNY, USD 700万
    assert (b1["figures"]["signed"], b2["figures"]["signed"]) == (1, 2)
    assert b1["growth"]["signed"] is None and b2["growth"]["signed"] == 1.0
    assert b2["growth"]["capital"] == round((1000 - 3000) / 3000, 4)
    assert s["average_growth"]["signed"] == 1.0  # two periods: the growth of the second
    assert s["average_growth"]["foreign"] is None  # nothing in the first period: no growth rate
    review = county("report", "review", "--period", "2026-B1..2026-B2", "--as-of", "2026-04-30",
                    json=True, ok=True).json
    assert review["series"]["periods"][1]["figures"]["investment"] == 5000 * 10_000 * 100
    assert [p["code"] for p in review["projects"]] == ["P-0001"]


def test_span_refused_on_the_command_line(county):  # noqa: F811
    r = county("report", "bulletin", "--period", "2026..2025", json=True)
    assert r.code == 2 and "span" in r.json["error"]["message"]


def test_span_in_tables_shows_each_period(county):  # noqa: F811
    r = county("report", "evaluation", "--period", "2026-B1..2026-B2", "--as-of", "2026-04-30", "--format", "md",
               ok=True)
    assert "2026-B1" in r.out
