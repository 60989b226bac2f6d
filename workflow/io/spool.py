"""What a check keeps: the spool of checked good rows, the result (``Checked``), row identities for duplicates."""

from __future__ import annotations

import io
import marshal
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from hashlib import blake2b
from typing import Any

from workflow.commands.projects import project_identity

# --- checking ------------------------------------------------------------------------------------

# A checked row, as the spool holds it: its line, then the columns of ``Service.import_projects``
# (dates as day numbers, ``date.toordinal``).
_SLOTS = ("name", "investor", "origin", "industry", "category", "investment", "unit", "key", "plan_sign",
          "plan_fund", "plan_break_ground", "plan_commission", "registered_on", "year_plan")
_SLOT = {key: i + 1 for i, key in enumerate(_SLOTS)}
_DATE_SLOTS = tuple(_SLOT[k] for k in ("plan_sign", "plan_fund", "plan_break_ground", "plan_commission",
                                       "registered_on"))
_SPOOL_BATCH = 2000  # rows written to the spool at a time


class Spool:
    """Checked rows on a temporary file (in memory while small), read back in order as often as
    needed: the rows pass 1 found good are what pass 2 writes, without holding them all or reading
    and checking the file again.  Rows are tuples of numbers, text, booleans and None (``marshal``)."""

    def __init__(self, batch: int = _SPOOL_BATCH):
        self._file = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        self._batch: list[tuple] = []
        self._size = batch
        self.count = 0

    def add(self, row: tuple) -> None:
        self._batch.append(row)
        self.count += 1
        if len(self._batch) >= self._size:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            blob = marshal.dumps(self._batch)
            self._file.seek(0, io.SEEK_END)
            self._file.write(len(blob).to_bytes(8, "little"))
            self._file.write(blob)
            self._batch = []

    def __iter__(self) -> Iterator[tuple]:
        self._flush()
        at = 0
        while True:  # the file may be read again (and appended to) while this reads: keep a position
            self._file.seek(at)
            size = self._file.read(8)
            if not size:
                return
            blob = self._file.read(int.from_bytes(size, "little"))
            at = self._file.tell()
            yield from marshal.loads(blob)

    def close(self) -> None:
        self._file.close()
        self._batch = []


@dataclass
class Checked:
    """What a check of every row found: every problem, and the rows ready for
    ``Service.import_projects`` (on a spool: ``rows()`` reads them back; none is held here)."""

    problems: list[dict]
    columns: dict[str, str]  # key -> the header as written
    ignored: list[str]
    rows_seen: int
    count: int  # rows without a problem
    spool: Spool = field(repr=False)

    def rows(self) -> Iterator[dict]:
        """The good rows in file order, as ``Service.import_projects`` takes them (empty when the
        file has a problem: such a file is refused whole)."""
        return map(_service_row, self.spool)

    def numbered(self) -> Iterator[tuple[int, dict]]:
        """``(line, row)`` for each good row."""
        for r in self.spool:
            yield r[0], _service_row(r)

    def lines_of(self, numbers: Iterable[int]) -> dict[int, int]:
        """The file lines of good rows by their number (1 = the first good row)."""
        wanted = set(numbers)
        found: dict[int, int] = {}
        if wanted:
            for n, r in enumerate(self.spool, 1):
                if n in wanted:
                    found[n] = r[0]
                    if len(found) == len(wanted):
                        break
        return found

    def close(self) -> None:
        self.spool.close()

    def __enter__(self) -> Checked:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def identity_digest(ident: tuple) -> int:
    """A 128-bit digest of a project's ``project_identity`` (its folded name and investor): how an import
    recognises a project it saw already without keeping its texts (two identities sharing a digest:
    about n²/2¹²⁹)."""
    return int.from_bytes(blake2b(repr(ident).encode("utf-8", "surrogatepass"), digest_size=16).digest(), "little")


class Identities:
    """The ``project_identity`` of many projects as a set of their ``identity_digest`` (under 80 bytes a
    project, none of its texts).  ``rows()`` yields ``(code, name, investor, ...)`` of every project a
    new one may duplicate (those not in a final stage: ``commands.projects.open_projects``), oldest
    first; it is read once here, and again by ``codes`` for the projects an import found repeated."""

    def __init__(self, rows: Callable[[], Iterable[Sequence[Any]]]):
        self._rows = rows
        with _reading(rows()) as it:
            self.digests = {identity_digest(project_identity(r[1], r[2])) for r in it}

    def codes(self, digests: Iterable[int]) -> dict[int, str]:
        """The code of the first project with each of ``digests`` (those found)."""
        wanted = set(digests) & self.digests
        found: dict[int, str] = {}
        if wanted:
            with _reading(self._rows()) as it:
                for r in it:
                    code, d = r[0], identity_digest(project_identity(r[1], r[2]))
                    if d in wanted and d not in found:
                        found[d] = code
                        if len(found) == len(wanted):
                            break
        return found


@contextmanager
def _reading(rows: Iterable) -> Iterator[Iterator]:
    """An iterator over ``rows``, closed afterwards if it can be (a generator holding a connection)."""
    it = iter(rows)
    try:
        yield it
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


KEY_THRESHOLD_MINOR = 100_000_000 * 100  # workflow.service.KEY_THRESHOLD_MINOR (a test checks they agree)


def _spooled(out: list) -> tuple:
    """A checked row as the spool keeps it (``_SLOTS``): dates as day numbers; a key designation that
    the threshold gives anyway is left to the threshold, as `project add` does."""
    for s in _DATE_SLOTS:
        day = out[s]
        if day is not None:
            out[s] = day.toordinal()
    key = out[_KEY_SLOT]
    if key is not None and key == ((out[_INVESTMENT_SLOT] or 0) >= KEY_THRESHOLD_MINOR):
        out[_KEY_SLOT] = None
    return tuple(out)


_KEY_SLOT, _INVESTMENT_SLOT = _SLOT["key"], _SLOT["investment"]
_day = date.fromordinal


def _service_row(r: tuple) -> dict:
    """A spooled row as ``Service.import_projects`` takes it."""
    (_, name, investor, origin, industry, category, investment, unit, key, sign, fund, ground, commission, on,
     year_plan) = r
    plan = {}
    if sign is not None:
        plan["sign"] = _day(sign)
    if fund is not None:
        plan["fund"] = _day(fund)
    if ground is not None:
        plan["break_ground"] = _day(ground)
    if commission is not None:
        plan["commission"] = _day(commission)
    return {"name": name, "investor": investor, "industry": industry, "investment_minor": investment or 0,
            "unit": unit, "origin": origin, "category": category, "key": key, "plan": plan,
            "on": None if on is None else _day(on), **({"year_plan": dict(year_plan)} if year_plan else {})}
