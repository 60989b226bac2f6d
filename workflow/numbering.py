"""Issue numbers of the county's documents (县招通〔2026〕5号, 〔2026〕第5期): one sequence per report
kind and year, given when a period is closed (docs/lights-and-reports.md, "Issue numbers").

Each kind of period has the one report kind that is issued for it: the bulletin for two-month
periods (B1..B6), the dispatch for quarters, the review for halves, the evaluation for years
(``NUMBERED``).  The numbers of a kind in a year run in period order with no gap: the first period
of the kind closed in a year may be any, after it a period is closed only after the one before it
(``check_next`` names the period to close first).  Reopening the last numbered period of a sequence
frees its number; reopening an earlier one keeps its number, which it prints again when closed
again.  An issued document is dated on its issue date, the date of the close in force.

A period that is not closed has no number (None), and its document prints none (征求意见稿).
What is closed comes from the period closes and reopenings of the set-up ledger (``report close``,
``report reopen``), read by ``issued``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from workflow import clock
from workflow.closed import CLOSED, REOPENED
from workflow.errors import BadInput, Refused
from workflow.periods import Period, parse_period
from workflow.tables import ledger as L

# period kind -> the report kind issued (and numbered) for it
NUMBERED = {"bimonth": "bulletin", "quarter": "dispatch", "half": "review", "year": "evaluation"}


@dataclass(frozen=True)
class Issue:
    """A period's issued document: its kind, number in the kind's sequence of the year, issue date."""

    kind: str
    year: int
    number: int
    issued_on: date


def numbered_kind(period: Period) -> str:
    """The report kind issued for ``period`` (bulletin for B periods, dispatch for quarters, ...)."""
    return NUMBERED[period.kind]


def _sequences(conn: Any) -> tuple[dict[tuple[str, int], list[str]], dict[str, date]]:
    """Replay the closes and reopenings: (kind, year) -> labels numbered in order, and the issue date
    (the day of the close in force) of every period closed now."""
    rows = conn.execute(select(L.c.kind, L.c.target, L.c.recorded_at)
                        .where(L.c.kind.in_((CLOSED, REOPENED))).order_by(L.c.seq))
    seqs: dict[tuple[str, int], list[str]] = {}
    dated: dict[str, date] = {}
    for kind, label, at in rows:
        try:
            period = parse_period(str(label))
        except BadInput:  # a label this rule cannot read takes no number
            continue
        seq = seqs.setdefault((numbered_kind(period), period.year), [])
        if kind == CLOSED:
            if label not in seq:
                seq.append(label)
            dated[label] = clock.local_date(at)
        else:
            dated.pop(label, None)
            if seq and seq[-1] == label:  # the last number is freed; an earlier one is kept
                seq.pop()
    return seqs, dated


def issued(conn: Any, label: str) -> Issue | None:
    """The issue of the period ``label`` (None while it is not closed)."""
    seqs, dated = _sequences(conn)
    if label not in dated:
        return None
    period = parse_period(label)
    kind = numbered_kind(period)
    return Issue(kind, period.year, seqs[(kind, period.year)].index(label) + 1, dated[label])


def number_of(conn: Any, kind: str, label: str) -> Issue | None:
    """The issue of a ``kind`` document of the period ``label``: None when the period is not closed,
    is a span, or ``kind`` is not the kind issued for it (a bulletin of a quarter has no number)."""
    if ".." in label:
        return None
    issue = issued(conn, label)
    return issue if issue is not None and issue.kind == kind else None


def check_next(conn: Any, period: Period) -> None:
    """Refuse (exit 3) to close ``period`` out of period order: after the first close of its kind in
    its year, the period to close is the one after the last numbered; a period numbered before (and
    reopened) may be closed again."""
    seqs, _ = _sequences(conn)
    kind = numbered_kind(period)
    seq = seqs.get((kind, period.year), [])
    if not seq or period.label in seq:
        return
    due = parse_period(seq[-1]).next()
    if period.label == due.label:
        return
    if period.start > due.start:
        raise Refused("close_period_first", [{"period": period.label, "first": due.label}],
                      label=period.label, first=due.label, kind=kind)
    raise Refused("period_before_issued", [{"period": period.label, "last": seq[-1]}],
                  label=period.label, last=seq[-1], kind=kind)


def issue_text(year: int, number: int | None, lang: str = "zh") -> str | None:
    """〔2026〕第5期 (Chinese) or No. 5 (2026) (English); None without a number."""
    if number is None:
        return None
    if (lang or "").lower().startswith("zh"):
        return f"〔{year}〕第{number}期"
    return f"No. {number} ({year})"
