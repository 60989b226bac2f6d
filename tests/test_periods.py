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
        ("2100-B1", date(2100, 2, 28)),  # a century year, not a leap year
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
                                              ("2025-B6", "2024-B6"), ("1990-B3", "1989-B3")])
def test_year_before(text: str, before: str) -> None:
    assert parse_period(text).year_before().label == before


def test_no_period_before_year_one() -> None:
    # the builder's own limits (years 1–9999), below those of parse_period
    with pytest.raises(BadInput):
        make_period("quarter", 1, 1).previous()
    for kind, index in (("year", 1), ("half", 2), ("quarter", 4), ("bimonth", 6)):
        with pytest.raises(BadInput, match="no period before"):
            make_period(kind, 1, index).year_before()
    with pytest.raises(BadInput):
        make_period("bimonth", 9999, 6).next()


@pytest.mark.parametrize(("text", "lang", "words"), [
    ("1989", "en", "report period '1989' lies outside the dates accepted, 1990-01-01 .. 2100-12-31"),
    ("1800", "zh", "报告期 '1800' 不在可接受的日期范围 1990年1月1日 .. 2100年12月31日 内"),
    ("1989-B6", "en", "outside the dates accepted"), ("2101-Q1", "en", "outside the dates accepted"),
])
def test_periods_outside_the_dates_accepted_are_refused(text: str, lang: str, words: str) -> None:
    """A period is one of the dates any command accepts (workflow.clock.FIRST_DAY .. LAST_DAY): 1989 or
    2101-Q1 is refused (exit 2) as a date of 1989 is; 1990-B1 and 2100-B6 are the first and last."""
    with pytest.raises(BadInput) as caught:
        parse_period(text, lang=lang)
    assert caught.value.exit_code == 2 and words in caught.value.text(lang)
    assert parse_period("1990-B1").start == date(1990, 1, 1) and parse_period("2100-B6").end == date(2100, 12, 31)


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
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),  # the dates accepted (workflow/clock.py)
    st.sampled_from(["year", "half", "quarter", "bimonth"]),
)
def test_periods_tile_the_calendar(d: date, kind: str) -> None:
    p = period_of(kind, d)
    assert p.contains(d)
    assert parse_period(p.label) == p
    assert p.previous().end + timedelta(days=1) == p.start
    assert p.next().start - timedelta(days=1) == p.end
    assert p.previous().next() == p
