"""Report periods: every kind, month boundaries, leap years, previous across years, bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.errors import BadInput
from workflow.periods import PERIOD_FORMS, Period, make_period, parse_period, period_of


@pytest.mark.parametrize(
    ("text", "label", "kind", "start", "end"),
    [
        ("2026", "2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", "2026-H1", "half", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", "2026-H2", "half", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q1", "2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", "2026-Q2", "quarter", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", "2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", "2026-Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-B1", "2026-B1", "bimonth", date(2026, 1, 1), date(2026, 2, 28)),
        ("2026-B2", "2026-B2", "bimonth", date(2026, 3, 1), date(2026, 4, 30)),
        ("2026-B3", "2026-B3", "bimonth", date(2026, 5, 1), date(2026, 6, 30)),
        ("2026-B4", "2026-B4", "bimonth", date(2026, 7, 1), date(2026, 8, 31)),
        ("2026-B5", "2026-B5", "bimonth", date(2026, 9, 1), date(2026, 10, 31)),
        ("2026-B6", "2026-B6", "bimonth", date(2026, 11, 1), date(2026, 12, 31)),
        # lower case, whitespace and full-width input give the canonical label
        ("2026-q3", "2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-h2", "2026-H2", "half", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-b2", "2026-B2", "bimonth", date(2026, 3, 1), date(2026, 4, 30)),
        (" 2026-Q1 ", "2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("２０２６－Ｑ１", "2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_parse_every_kind(text: str, label: str, kind: str, start: date, end: date) -> None:
    assert parse_period(text) == Period(label, kind, start, end)


@pytest.mark.parametrize("text", PERIOD_FORMS)
def test_listed_forms_parse(text: str) -> None:
    assert parse_period(text).label == text


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2024-B1", date(2024, 2, 29)),
        ("2000-B1", date(2000, 2, 29)),
        ("1900-B1", date(1900, 2, 28)),
        ("2026-B1", date(2026, 2, 28)),
    ],
)
def test_february_end_in_leap_years(text: str, end: date) -> None:
    assert parse_period(text).end == end


@pytest.mark.parametrize("text", ["2024-B1", "2024-Q1", "2024-H1", "2024"])
def test_leap_day_is_inside(text: str) -> None:
    p = parse_period(text)
    assert p.contains(date(2024, 2, 29))
    assert date(2024, 2, 29) in p


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-B2", date(2026, 3, 1), date(2026, 4, 30)),
        ("2024-B1", date(2024, 1, 1), date(2024, 2, 29)),
    ],
)
def test_contains_boundaries(text: str, first: date, last: date) -> None:
    p = parse_period(text)
    assert p.contains(first)
    assert p.contains(last)
    assert not p.contains(first - timedelta(days=1))
    assert not p.contains(last + timedelta(days=1))


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2026", "2025"),
        ("2026-H1", "2025-H2"),
        ("2026-H2", "2026-H1"),
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026-B1", "2025-B6"),
        ("2026-B2", "2026-B1"),
        ("2025-B1", "2024-B6"),
    ],
)
def test_previous(text: str, previous: str) -> None:
    p = parse_period(text)
    prev = p.previous()
    assert prev == parse_period(previous)
    assert prev.kind == p.kind
    assert prev.end + timedelta(days=1) == p.start
    assert prev.next() == p


@pytest.mark.parametrize(("text", "before"), [("2026", "2025"), ("2026-H2", "2025-H2"), ("2026-Q1", "2025-Q1"),
                                              ("2025-B6", "2024-B6"), ("0002-B3", "0001-B3")])
def test_year_before(text: str, before: str) -> None:
    assert parse_period(text).year_before() == parse_period(before)


def test_no_period_before_year_one() -> None:
    with pytest.raises(BadInput):
        parse_period("0001-Q1").previous()
    for text in ("0001", "0001-H2", "0001-Q4", "0001-B6"):
        with pytest.raises(BadInput, match="no period before"):
            parse_period(text).year_before()
    with pytest.raises(BadInput):
        parse_period("9999-B6").next()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "26",
        "202",
        "20266",
        "2026-13",
        "2026-01",
        "2026-Q5",
        "2026-Q0",
        "2026-B7",
        "2026-B0",
        "2026-H3",
        "2026-H0",
        "2026-Q01",
        "2026-Q10",
        "2026-M1",
        "2026Q1",
        "2026-Q",
        "2026-",
        "Q1-2026",
        "2026-Q1-B1",
        "0000",
        "2026-03-01",
        "abcd",
    ],
)
def test_bad_periods(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_period(text)
    message = caught.value.message
    assert repr(text) in message
    for form in PERIOD_FORMS:
        assert form in message
    assert "B1 = Jan–Feb" in message
    assert caught.value.exit_code == 2


def test_bad_period_in_chinese() -> None:
    with pytest.raises(BadInput) as caught:
        parse_period("2026-Q5", lang="zh")
    zh = caught.value.text("zh")  # the error's message by code, rendered in Chinese where it is shown
    assert zh.startswith("无法识别的报告期：'2026-Q5'")
    assert "B1 = 1–2月" in zh


def test_make_period_and_period_of() -> None:
    assert make_period("quarter", 2026, 3) == parse_period("2026-Q3")
    assert period_of("bimonth", date(2026, 4, 30)).label == "2026-B2"
    assert period_of("half", date(2026, 7, 1)).label == "2026-H2"
    assert period_of("year", date(2026, 7, 1)).label == "2026"
    with pytest.raises(ValueError):
        make_period("month", 2026, 1)
    with pytest.raises(ValueError):
        period_of("week", date(2026, 1, 1))


@given(
    st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)),
    st.sampled_from(["year", "half", "quarter", "bimonth"]),
)
def test_periods_tile_the_calendar(d: date, kind: str) -> None:
    p = period_of(kind, d)
    assert p.contains(d)
    assert parse_period(p.label) == p
    assert p.previous().end + timedelta(days=1) == p.start
    assert p.next().start - timedelta(days=1) == p.end
    assert p.previous().next() == p
