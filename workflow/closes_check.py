"""The frozen figures of every close in force recomputed (docs/audit.md, "Closed periods"): ``audit
verify`` rebuilds history as it stood when each such ``period_closed`` entry was appended (the
events up to its ``after_event``, replayed into a scratch database: ``workflow.history_db``),
computes the period's reports there as the close did (``workflow.closing``) and compares them with
the frozen ones, figure by figure.  A close carrying invented figures — even correctly hashed and chained — is a failure
naming the period, the report and the figure.

What history does not fix is not compared: names and titles (a unit renamed later), and the rows of a
unit added after the close (its figures are zero: no history before the close names it).  A close since
reopened is not recomputed (its figures are printed nowhere; the ledger chain still covers it).  The
cost is one replay of the history before each close in force (closes with the same place in the write
order share it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from workflow import closing, history_db
from workflow.catalogue import Message
from workflow.closed import CLOSED, closed_periods
from workflow.encoding import canonical
from workflow.periods import parse_period
from workflow.snapshot import snapshot_connection
from workflow.tables import event as E
from workflow.tables import ledger as L

_NAMES = ("name", "unit_name", "title", "person_name", "leader_name", "addressee")


def _ignored(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last in _NAMES or last.endswith("_name")


def _no_figure(value: Any) -> bool:
    """A leaf that is no figure, or a zero one (a row of a unit added after the close)."""
    return isinstance(value, bool) or not isinstance(value, int | float) or value == 0


def check(engine: Any, add: Callable[..., None], limit: int = 20) -> int:
    """Recompute every close's reports; each difference goes to ``add(code, seq, problem, table,
    field, expected, found)``.  Returns the number of differences."""
    with snapshot_connection(engine) as conn:
        closes = []
        try:
            in_force: set[int] | None = {info["seq"] for info in closed_periods(conn).values()}
        except (ValueError, KeyError, TypeError):  # a close that cannot be read: every close is looked at
            in_force = None
        for seq, label, payload, after, at in conn.execute(
                select(L.c.seq, L.c.target, L.c.payload, L.c.after_event, L.c.recorded_at)
                .where(L.c.kind == CLOSED).order_by(L.c.seq)):
            if in_force is not None and seq not in in_force:
                continue  # reopened since: its figures are printed nowhere
            if after is None:  # before entries had a place in the write order: by its time
                after = conn.execute(select(func.coalesce(func.max(E.c.id), 0))
                                     .where(E.c.recorded_at <= at)).scalar_one()
            closes.append((seq, label, payload, int(after)))
        conn.rollback()
    n = 0
    by_place: dict[int, list[tuple]] = {}
    for c in closes:
        by_place.setdefault(c[3], []).append(c)
    for upto, entries in sorted(by_place.items()):
        with history_db.history_database(engine, upto=upto) as scratch:
            for seq, label, payload, _after in entries:
                try:
                    frozen = json.loads(payload) if isinstance(payload, str) else payload
                    reports = frozen["reports"]
                    period = parse_period(str(frozen.get("period", label)))
                except Exception as exc:  # noqa: BLE001 - an entry that is no close the program wrote
                    add("ledger", seq, Message("close_unreadable", label=label, text=str(exc)), "ledger", "payload")
                    n += 1
                    continue
                if frozen.get("digest") != hashlib.sha256(canonical(reports)).hexdigest():
                    add("ledger", seq, Message("close_digest_differs", label=label), "ledger", "digest")
                    n += 1
                try:
                    again = closing.compute(scratch, period)
                except Exception as exc:  # noqa: BLE001 - named as a failure, never a traceback
                    add("ledger", seq, Message("close_unreadable", label=label, text=str(exc)), "ledger", "reports")
                    n += 1
                    continue
                n += _compare(add, seq, label, reports, again, limit)
    return n


def _compare(add: Callable[..., None], seq: int, label: str, frozen: dict, again: dict, limit: int) -> int:
    n = 0
    for kind in sorted(set(frozen) | set(again)):
        for lang in sorted(set(frozen.get(kind, {})) | set(again.get(kind, {}))):
            old = closing.flat(frozen.get(kind, {}).get(lang, {}))
            new = closing.flat(again.get(kind, {}).get(lang, {}))
            for path in sorted(set(old) | set(new)):
                if _ignored(path):
                    continue
                was, now = old.get(path), new.get(path)
                if was == now or (path not in old and _no_figure(now)) or closing.gained(path, old):
                    continue
                if n < limit:
                    add("ledger", seq, Message("close_figure_differs", label=label, kind=kind, lang=lang, path=path,
                                               frozen=json.dumps(was, ensure_ascii=False),
                                               history=json.dumps(now, ensure_ascii=False)),
                        "ledger", f"{kind}.{lang}.{path}", now, was)
                n += 1
    return n
