"""Planned progress (序时进度): yearly investment plans against the time elapsed in the year.

- **Time progress** of a date is the share of its year elapsed: by month (the default) the months
  up to and including the date's month over 12 (so every date in March gives 3/12 = 25%); by day
  (a setting) the day of the year over the days in the year (31 December gives 100%).
- A project's **progress** in a year is the investment completed (CNY) with effective dates from
  1 January up to the as-of date, over its plan for that year.
- The **gap** is progress minus time progress, in percentage points (negative: behind).
- The light (``workflow.lights``): by points (the default), yellow when behind by more than
  ``progress_yellow_points`` (10), red when behind by more than ``progress_red_points`` (30); by the
  relative rule (``progress_ratio_rule = 1``), yellow when progress is below
  ``progress_yellow_ratio_pct`` % of time progress (80), red below ``progress_red_ratio_pct`` % (50).

Exact arithmetic (fractions), so the boundaries (10 points behind is not yellow, 11 is) hold.
Standard library only.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from workflow.errors import BadInput
from workflow.money import foreign_digit, parse_amount

if TYPE_CHECKING:
    from fractions import Fraction


def elapsed_parts(as_of: date, *, by_day: bool = False) -> tuple[int, int]:
    """Time progress as (numerator, denominator), not reduced: the months up to and including the
    date's month over 12, or the day of the year over the days in the year.  The lights decide and
    word in these integers (``workflow.lights`` does not load ``fractions``)."""
    if by_day:
        return as_of.timetuple().tm_yday, 366 if calendar.isleap(as_of.year) else 365
    return as_of.month, 12

YEAR_PLAN_FORMS = "YEAR=AMOUNT, e.g. 2026=8000万 (several: 2026=8000万;2027=1.2亿)"
_SPLIT = re.compile(r"[;；\n]+")


def time_progress(as_of: date, *, by_day: bool = False) -> Fraction:
    """The share of ``as_of``'s year elapsed (0 < share ≤ 1)."""
    from fractions import Fraction

    return Fraction(*elapsed_parts(as_of, by_day=by_day))


def plan_progress(done_minor: int, plan_minor: int) -> Fraction | None:
    """Completed over planned (None without a plan)."""
    from fractions import Fraction

    if plan_minor <= 0:
        return None
    return Fraction(max(done_minor, 0), plan_minor)


def points(x: Fraction) -> float:
    """A share as percentage points, rounded to two decimals for display."""
    return round(float(x * 100), 2)


def parse_year_plans(items: Iterable[str] | str | None, *, what: str = "--year-plan",
                     lang: str = "en") -> dict[int, int]:
    """``["2026=8000万", ...]`` or ``"2026=8000万;2027=1亿"`` -> ``{2026: minor, ...}`` (CNY fen).

    A year given twice, a missing ``=``, a year that is not four digits or an amount in another
    currency is refused (BadInput naming ``what``)."""
    if items is None:
        return {}
    if isinstance(items, str):
        items = [p for p in _SPLIT.split(items) if p.strip()]
    out: dict[int, int] = {}
    for item in items:
        if foreign_digit(str(item)) is not None:  # before NFKC reads ² as 2 (docs/money.md)
            parse_amount(str(item), lang=lang)
        text = unicodedata.normalize("NFKC", str(item)).strip()
        year_text, sep, amount_text = text.partition("=")
        year_text, amount_text = year_text.strip(), amount_text.strip()
        if not sep or not re.fullmatch(r"[0-9]{4}", year_text) or not amount_text:
            raise BadInput("is_not", what=what, item=item, year_plan_forms=YEAR_PLAN_FORMS)
        year = int(year_text)
        if year in out:
            raise BadInput("year_is_given_twice", what=what, year=year)
        money = parse_amount(amount_text, lang=lang)
        if money.currency != "CNY":
            raise BadInput("yearly_plan_is_in", what=what, currency=money.currency)
        out[year] = money.amount_minor
    return out
