"""One reading of the county shared by the reports of one document.

A report's document (`pipeline report dispatch --format docx`, docs/lights-and-reports.md) holds its
own report, the bulletin's figures and the evaluation's ranking, three reports of the same window.
Passed to each of them (``shared=``), a :class:`Reading` gives them one read transaction and
computes the parts they have in common once: the snapshots of a date, each window's flows, the
planned progress and a span's series.  Each part is what the report would compute alone
(tests/test_reports_shared.py compares every report's JSON with and without).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection, Engine

from workflow.lights import Thresholds
from workflow.reports.figures import _flows, _read
from workflow.reports.state import Snapshot, snapshots
from workflow.reports.windows import Window


class Reading:
    """A read connection and the parts computed on it, by what they were computed for."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._parts: dict[tuple, Any] = {}
        self._flows: dict[tuple, dict] = {}

    def once(self, key: tuple, make: Callable[[], Any]) -> Any:
        """``make()``, computed the first time ``key`` is asked for."""
        if key not in self._parts:
            self._parts[key] = make()
        return self._parts[key]

    def clear(self) -> None:
        """Forget the parts computed (their memory: a county's snapshots), once every report is."""
        self._parts.clear()
        self._flows.clear()

    def snapshots(self, as_of: date, t: Thresholds, unit: str | None, *, reasons: bool = True) -> list[Snapshot]:
        """`state.snapshots` of every project (of ``unit``); a list read with the lights' reasons also
        serves a caller that wants the colors alone (the colors are the same)."""
        key = ("snapshots", as_of, t, unit)
        had = self._parts.get(key)
        if had is None or (reasons and not had[0]):
            had = self._parts[key] = (reasons, snapshots(self.conn, as_of, t, unit=unit, reasons=reasons))
        return had[1]

    def flows(self, windows: Sequence[Window], unit: str | None) -> list[dict[str | None, dict]]:
        """`figures._flows` of ``windows``: the windows not read yet are read together (a window's
        flows do not depend on the other windows read with it)."""
        keys = [(w.start, w.end, unit) for w in windows]
        missing = [w for w, k in zip(windows, keys, strict=True) if k not in self._flows]
        missing = list({(w.start, w.end): w for w in missing}.values())
        if missing:
            for w, flows in zip(missing, _flows(self.conn, missing, unit), strict=True):
                self._flows[(w.start, w.end, unit)] = flows
        return [self._flows[k] for k in keys]


@contextmanager
def reading(engine: Engine, shared: Reading | None = None) -> Iterator[Reading]:
    """``shared``, or a reading of its own over one read transaction of ``engine``."""
    if shared is not None:
        yield shared
        return
    with _read(engine) as conn:
        yield Reading(conn)


@contextmanager
def shared_reading(engine: Engine) -> Iterator[Reading]:
    """A reading to pass to the reports of one document (``shared=``)."""
    with reading(engine) as r:
        yield r
