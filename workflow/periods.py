"""Report periods (docs/lights-and-reports.md, "Reports"): year, half year, quarter and two-month bulletin period.

`2026`, `2026-H1`, `2026-Q3`, `2026-B2` (B1 = Jan–Feb … B6 = Nov–Dec). Standard library only.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from workflow.clock import FIRST_DAY, LAST_DAY  # the dates any command accepts
from workflow.errors import BadInput

KINDS: tuple[str, ...] = ("year", "half", "quarter", "bimonth")

# kind -> (letter in the label, months per period, periods per year)
_LAYOUT: dict[str, tuple[str, int, int]] = {
    "year": ("", 12, 1),
    "half": ("H", 6, 2),
    "quarter": ("Q", 3, 4),
    "bimonth": ("B", 2, 6),
}
_KIND_OF_LETTER = {letter: kind for kind, (letter, _, _) in _LAYOUT.items() if letter}

PERIOD_FORMS: tuple[str, ...] = ("2026", "2026-H1", "2026-Q3", "2026-B2")
SPAN_FORMS: tuple[str, ...] = ("2022..2025", "2026-B1..2026-B5")

_FORMS_TEXT = {
    "en": (
        "2026 (year), 2026-H1 (half year: H1–H2), 2026-Q3 (quarter: Q1–Q4), "
        "2026-B2 (two-month bulletin period: B1 = Jan–Feb … B6 = Nov–Dec); "
        "or a span of one kind, 2022..2025, 2026-B1..2026-B5"
    ),
    "zh": (
        "2026（全年）、2026-H1（半年：H1–H2）、2026-Q3（季度：Q1–Q4）、"
        "2026-B2（两月通报期：B1 = 1–2月 … B6 = 11–12月）；"
        "或同类报告期区间，如 2022..2025、2026-B1..2026-B5"
    ),
}

_RE = re.compile(r"([0-9]{4})(?:-([HQB])([0-9]+))?", re.IGNORECASE)


def _lang(lang: str | None) -> str:
    return "zh" if (lang or "").lower().startswith("zh") else "en"


def _refuse(text: object, lang: str, spans: bool = False) -> BadInput:
    """The refusal of a text that is no period, listing the forms taken (a span too where ``spans``)."""
    return BadInput("not_report_period" if spans else "not_report_period_one", text=text)


@dataclass(frozen=True)
class Period:
    """A report period; `end` is inclusive."""

    label: str
    kind: str
    start: date
    end: date

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __contains__(self, d: date) -> bool:
        return self.contains(d)

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def index(self) -> int:
        """1-based position of the period in its year (1 for a year)."""
        months = _LAYOUT[self.kind][1]
        return (self.start.month - 1) // months + 1

    def previous(self) -> Period:
        """The period of the same kind immediately before (2026-Q1 -> 2025-Q4)."""
        per_year = _LAYOUT[self.kind][2]
        year, index = self.year, self.index - 1
        if index < 1:
            year, index = year - 1, per_year
        if year < 1:
            raise BadInput("no_period_before", label=self.label)
        return make_period(self.kind, year, index)

    def year_before(self) -> Period:
        """The same period of the previous year (2026-Q1 -> 2025-Q1: 同比)."""
        if self.year < 2:
            raise BadInput("no_period_before", label=self.label)
        return make_period(self.kind, self.year - 1, self.index)

    def next(self) -> Period:
        """The period of the same kind immediately after (2025-Q4 -> 2026-Q1)."""
        per_year = _LAYOUT[self.kind][2]
        year, index = self.year, self.index + 1
        if index > per_year:
            year, index = year + 1, 1
        if year > 9999:
            raise BadInput("no_period_after", label=self.label)
        return make_period(self.kind, year, index)


def make_period(kind: str, year: int, index: int = 1) -> Period:
    """Build the `index`-th period of `kind` in `year` (index is 1 for a year)."""
    if kind not in _LAYOUT:
        raise ValueError(f"unknown period kind {kind!r}; known: {', '.join(KINDS)}")
    letter, months, per_year = _LAYOUT[kind]
    if not 1 <= index <= per_year or not 1 <= year <= 9999:
        raise ValueError(f"no {kind} {index} in year {year}")
    first_month = (index - 1) * months + 1
    last_month = first_month + months - 1
    start = date(year, first_month, 1)
    end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    label = f"{year:04d}" if kind == "year" else f"{year:04d}-{letter}{index}"
    return Period(label=label, kind=kind, start=start, end=end)


def parse_period(text: str, *, lang: str = "en", spans: bool = False) -> Period:
    """Parse `2026`, `2026-H1`, `2026-Q3` or `2026-B2` (letters in either case).

    Anything else raises BadInput listing the accepted forms, in `lang` (en or zh), spans among them
    where the caller takes one (``spans``: ``parse_span``); a period outside the dates any command
    accepts (``workflow.clock.FIRST_DAY`` .. ``LAST_DAY``) is refused too.
    """
    if not isinstance(text, str):
        raise _refuse(text, lang, spans)
    s = unicodedata.normalize("NFKC", text).strip()
    m = _RE.fullmatch(s)
    if not m:
        raise _refuse(text, lang, spans)
    year = int(m.group(1))
    if m.group(2) is None:
        kind, index = "year", 1
    else:
        kind = _KIND_OF_LETTER[m.group(2).upper()]
        index = int(m.group(3))
        if len(m.group(3)) != 1 or not 1 <= index <= _LAYOUT[kind][2]:
            raise _refuse(text, lang, spans)
    if year < 1:
        raise _refuse(text, lang, spans)
    period = make_period(kind, year, index)
    if period.start < FIRST_DAY or period.end > LAST_DAY:
        raise BadInput("report_period_outside_dates_accepted", text=text, first_day=FIRST_DAY, last_day=LAST_DAY)
    return period


@dataclass(frozen=True)
class Span:
    """A run of consecutive periods of one kind, `2022..2025` or `2026-B1..2026-B5` (both ends
    included).  It answers what a Period answers (label, start, end, year, previous), and lists its
    `parts`: the single periods it is made of, in order."""

    label: str
    kind: str  # the kind of its parts
    parts: tuple[Period, ...]

    @property
    def start(self) -> date:
        return self.parts[0].start

    @property
    def end(self) -> date:
        return self.parts[-1].end

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({p.year for p in self.parts}))

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __contains__(self, d: date) -> bool:
        return self.contains(d)

    def previous(self) -> Span:
        """The span of as many periods of the same kind immediately before (2022..2025 -> 2018..2021)."""
        parts: list[Period] = []
        p = self.parts[0]
        for _ in self.parts:
            p = p.previous()
            parts.append(p)
        parts.reverse()
        return Span(f"{parts[0].label}..{parts[-1].label}", self.kind, tuple(parts))


SPAN_LIMIT = 120  # periods in one span (ten years of months-pairs is 60)


def parse_span(text: str, *, lang: str = "en") -> Period | Span:
    """A single period (as `parse_period`) or a span `FIRST..LAST` of two periods of the same kind,
    FIRST not after LAST.  `2026..2026` is the single period 2026."""
    if not isinstance(text, str):
        raise _refuse(text, lang, spans=True)
    s = unicodedata.normalize("NFKC", text).strip()
    if ".." not in s:
        return parse_period(s, lang=lang, spans=True)
    first_text, _, last_text = s.partition("..")
    first, last = parse_period(first_text, lang=lang, spans=True), parse_period(last_text, lang=lang, spans=True)
    if first.kind != last.kind:
        raise BadInput("span_joins_periods_of", label=first.label, last_label=last.label)
    if last.start < first.start:
        raise BadInput("span_runs_from_earlier", label=first.label, last_label=last.label)
    if first == last:
        return first
    parts = [first]
    while parts[-1] != last:
        parts.append(parts[-1].next())
        if len(parts) > SPAN_LIMIT:
            raise BadInput("span_holds_at_most", span_limit=SPAN_LIMIT)
    return Span(f"{first.label}..{last.label}", first.kind, tuple(parts))


def period_of(kind: str, d: date) -> Period:
    """The period of `kind` that contains `d`."""
    if kind not in _LAYOUT:
        raise ValueError(f"unknown period kind {kind!r}; known: {', '.join(KINDS)}")
    months = _LAYOUT[kind][1]
    return make_period(kind, d.year, (d.month - 1) // months + 1)
