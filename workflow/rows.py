"""The project row as the write path holds it (workflow/store.py): typed columns and the values it
was read with."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any


@dataclass(slots=True, eq=False)
class ProjectRow:
    """One project row as the write path holds it: typed columns, and the values it was read with
    (``changes()`` is what a save writes)."""

    id: int
    code: str
    name: str
    investor: str | None
    origin: str | None
    industry: str | None
    category: str | None
    key: bool
    key_override: bool | None
    planned_investment_minor: int
    planned_currency: str
    unit_code: str | None
    plan_sign: date | None
    plan_fund: date | None
    plan_break_ground: date | None
    plan_commission: date | None
    stage: str
    stage_since: date
    held_from: str | None
    registered_on: date
    last_transition_on: date
    last_followup_on: date | None
    workflow_name: str
    workflow_version: int
    version: int
    head_seq: int
    head_hash: str
    created_at: datetime
    original: tuple[Any, ...] = field(default=(), repr=False)  # the column values as read or last saved
    new: bool = field(default=False, repr=False)
    events: int = field(default=0, repr=False)  # events appended in this transaction

    @classmethod
    def of(cls, mapping: Any, *, new: bool = False) -> ProjectRow:
        values = {c: mapping[c] for c in COLUMNS}
        return cls(**values, original=tuple(values.values()), new=new)

    def values(self) -> dict[str, Any]:
        return dict(zip(COLUMNS, COLUMN_VALUES(self), strict=True))

    def changes(self) -> dict[str, Any]:
        return {c: v for c, v, was in zip(COLUMNS, COLUMN_VALUES(self), self.original, strict=True) if v != was}

    @property
    def saved_version(self) -> int:
        """The version as read (or last saved): the compare-and-set's expected value."""
        return int(self.original[_VERSION])

    def saved(self) -> None:
        self.original = COLUMN_VALUES(self)
        self.events = 0


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ProjectRow) if f.name not in ("original", "new", "events"))
COLUMN_VALUES = attrgetter(*COLUMNS)
_VERSION = COLUMNS.index("version")
