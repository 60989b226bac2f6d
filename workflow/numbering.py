"""Issue numbers of the county's bulletins (〔2026〕第5期): sequential per year, given when a period is
closed.

A bulletin's number is its period's position among the periods of the same year closed so far, in
the order they were closed: the first period closed in 2026 is 〔2026〕第1期, the next 第2期, and so on.
A period that is not closed has no number yet (None), and the document prints none.

This module is the numbering rule only.  What is closed comes from the period closes (``report
close``), which are recorded by the closed-periods work; until they are, ``closed_periods`` finds
none and no bulletin carries a number.  Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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
    """The labels of ``year``'s closed periods in the order they were closed.

    The one place the closes feed the numbering: this branch has no period closes yet (they come
    with ``report close``), so it finds none; once closes are recorded, return their labels here
    (oldest close first) and every document prints its number."""
    return []
