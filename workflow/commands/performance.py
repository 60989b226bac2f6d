"""Contract commitments and their yearly actuals (履约评价, docs/lights-and-reports.md, "履约"): what a
project promised per year in its contract and what it reported each year.

Jobs are a count of people; every other kind is a CNY amount typed as everywhere else (``3000万``):
output value and tax paid in the year, the year's investment, and land intensity as the fixed-asset
investment per 亩 of the project's land (``300万`` = 300万元/亩)."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow import words
from workflow.commands.common import check_on
from workflow.errors import BadInput
from workflow.events import CommitmentSet, PerformanceReported
from workflow.money import parse_amount
from workflow.store import ProjectRow, Txn
from workflow.values import amount

YEAR_SPAN = 50  # a commitment's years lie within this many years of the project's registration
MAX_JOBS = 10_000_000


def value_of(kind: str, value: Any, what: str, *, positive: bool = True) -> int:
    """A commitment's or actual's value: jobs a whole number of people, any other kind a CNY amount
    (text through ``workflow.money``, or minor units); > 0 (an actual, ``positive=False``: ≥ 0)."""
    if kind == "jobs":
        if isinstance(value, str):
            text = value.strip().removesuffix("人").strip()
            if not text.isdigit():
                raise BadInput("perf_jobs_whole_number", what=what, value=value)
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, int) or not (0 if positive else -1) < value <= MAX_JOBS:
            raise BadInput("perf_jobs_whole_number", what=what, value=value)
        return value
    if isinstance(value, str):
        money = parse_amount(value)
        if money.currency != "CNY":
            raise BadInput("perf_cny_only", what=what, value=value)
        value = money.amount_minor
    return amount(value, what, positive=positive)


def _year(value: Any, what: str, proj: ProjectRow) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    lo, hi = proj.registered_on.year - YEAR_SPAN, proj.registered_on.year + YEAR_SPAN
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadInput("perf_year_range", what=what, value=value, lo=lo, hi=hi)
    return value


def add_commitment(txn: Txn, proj: ProjectRow, *, kind: str, per_year: Any, from_year: Any,
                   to_year: Any = None, on: date) -> None:
    """A contract commitment: ``per_year`` of ``kind`` each year from ``from_year`` to ``to_year``
    (None: every year from then on)."""
    kind = words.performance_kinds().parse(kind, "--kind")
    value = value_of(kind, per_year, "--per-year")
    first = _year(from_year, "--from", proj)
    last = None if to_year is None else _year(to_year, "--to", proj)
    if last is not None and last < first:
        raise BadInput("perf_to_before_from", first=first, last=last)
    check_on(txn, proj, on, transition=False)
    txn.emit(proj, CommitmentSet(on=on, commitment_kind=kind, per_year=value, from_year=first, to_year=last))


def add_performance(txn: Txn, proj: ProjectRow, *, year: Any, kind: str, value: Any, on: date) -> None:
    """The actual of ``kind`` in ``year`` (a year already begun on ``on``); a later report of the same
    year and kind replaces it."""
    kind = words.performance_kinds().parse(kind, "--kind")
    number = value_of(kind, value, "VALUE", positive=False)
    year = _year(year, "--year", proj)
    if year > on.year:
        raise BadInput("perf_year_in_future", year=year, on=on)
    check_on(txn, proj, on, transition=False)
    txn.emit(proj, PerformanceReported(on=on, year=year, performance_kind=kind, value=number))
