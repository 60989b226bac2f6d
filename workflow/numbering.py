"""Issue numbers of the county's bulletins (〔2026〕第5期): sequential per year, given when a period is
closed.

A bulletin's number is its period's position among the periods of the same year closed so far, in
the order they were closed: the first period closed in 2026 is 〔2026〕第1期, the next 第2期, and so on.
A period that is not closed has no number yet (None), and the document prints none.

This module is the numbering rule; what is closed comes from the period closes (``report close``),
read by ``closed_periods`` from the set-up ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from workflow.closed import CLOSED
from workflow.tables import ledger as L


def issue_number(label: str, year: int, closed: Sequence[str]) -> int | None:
    """The number of the bulletin of period ``label`` in ``year``: its 1-based position in
    ``closed`` (the labels of ``year``'s closed periods in closing order), or None when not closed."""
    seen: list[str] = []
    for c in closed:
        if c not in seen:  # a period reopened and closed again keeps its first number
            seen.append(c)
    return seen.index(label) + 1 if label in seen else None


def issue_text(year: int, number: int | None, lang: str = "zh") -> str | None:
    """〔2026〕第5期 (Chinese) or No. 5 (2026) (English); None without a number."""
    if number is None:
        return None
    if (lang or "").lower().startswith("zh"):
        return f"〔{year}〕第{number}期"
    return f"No. {number} ({year})"


def closed_periods(conn: Any, year: int) -> list[str]:
    """The labels of ``year``'s periods in the order they were first closed (``report close``, the
    ``period_closed`` entries of the set-up ledger, oldest first); a period reopened and closed
    again appears again and keeps its first number (``issue_number``)."""
    rows = conn.execute(select(L.c.target).where(L.c.kind == CLOSED).order_by(L.c.seq))
    return [label for (label,) in rows if str(label)[:4] == str(year)]
