"""Stages and windows: the reports' constants, the stages in order, a report period cut at its as-of date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow import clock
from workflow.definition import default_definition
from workflow.errors import BadInput
from workflow.lights import Light
from workflow.periods import Period, Span, parse_span

NO_LIGHT = Light(None, ())  # final and paused stages have no light

CURRENCIES: tuple[str, ...] = ("CNY", "USD")
DOCUMENT_LIST_LIMIT = 30  # projects per red/yellow list in a bulletin document (docs/lights-and-reports.md)
OVER_100M_MINOR = 100_000_000 * 100  # 超亿元项目: planned investment ≥ 100 million CNY, in fen
LOST_STAGES: tuple[str, ...] = ("rejected", "withdrawn", "retired")  # retired: 出库 (docs/usage.md)
REVIEW_STAGES: tuple[str, ...] = ("construction", "production")
PLAN_FIELDS: tuple[str, ...] = ("sign", "fund", "break_ground", "commission")
METRICS: tuple[str, ...] = ("signed", "capital", "foreign", "investment")
# metric -> (target column, currency of the amount or None for a count)
METRIC_COLUMNS: dict[str, tuple[str, str | None]] = {
    "signed": ("signed", None),
    "capital": ("capital_minor", "CNY"),
    "foreign": ("foreign_minor", "USD"),
    "investment": ("investment_minor", "CNY"),
}
RATE_CAP = 1.2  # a completion rate counts at most 120% towards the score
_CHUNK = 500


# --- stages -------------------------------------------------------------------------------------


def _definition():
    return default_definition()


def stage_keys() -> list[str]:
    return [s.key for s in _definition().stages]


def ordered_stages(by_stage: Mapping[str, Any]) -> list[str]:
    """The stage keys of a report's ``projects_by_stage`` in the workflow definition's order, whatever
    the order of the mapping (a closed period's report comes back from the ledger with its keys
    sorted); a key the definition does not know (a stage of an older definition) follows, in key
    order.  How every layout orders its stage columns (docs/lights-and-reports.md)."""
    known = [k for k in stage_keys() if k in by_stage]
    return known + sorted(k for k in by_stage if k not in set(known))


def stage_kinds() -> dict[str, str]:
    return {s.key: s.kind for s in _definition().stages}


def active_stages() -> list[str]:
    return [s.key for s in _definition().stages if s.kind == "active"]


def paused_stages() -> list[str]:
    return [s.key for s in _definition().stages if s.kind == "paused"]


# --- windows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A report period cut at its as-of date: flows count effective dates in [start, end]."""

    period: Period | Span
    as_of: date

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return min(self.period.end, self.as_of)

    @property
    def parts(self) -> list[Window]:
        """The windows of a span's periods that have begun by the as-of date (a single period: itself)."""
        if not isinstance(self.period, Span):
            return [self]
        return [Window(p, min(p.end, self.as_of)) for p in self.period.parts if p.start <= self.as_of]

    def json(self) -> dict:
        doc: dict[str, Any] = {"period": self.period.label, "start": self.start.isoformat(),
               "end": self.period.end.isoformat(), "as_of": self.as_of.isoformat()}
        if isinstance(self.period, Span):
            doc["span"] = [p.label for p in self.period.parts]
        return doc


def make_window(period: Period | Span | str, as_of: date | None = None, *, today: date | None = None,
                lang: str = "en") -> Window:
    """The window of `period`: `as_of` defaults to the period's end or today, whichever is earlier.

    An as-of date before the period starts (a period that has not begun) is refused.
    """
    if isinstance(period, str):
        period = parse_span(period, lang=lang)
    today = today or clock.today()
    if as_of is None:
        as_of = min(period.end, today)
    if as_of < period.start:
        if as_of == today:
            raise BadInput("period_has_not_begun", label=period.label, start=period.start, today=today)
        raise BadInput("as_of_lies_before", as_of=as_of, label=period.label, start=period.start, end=period.end)
    return Window(period, as_of)


def previous_window(w: Window) -> Window:
    prev = w.period.previous()
    return Window(prev, min(prev.end, w.as_of))
