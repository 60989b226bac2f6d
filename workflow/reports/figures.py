"""Flows and figures: what happened inside a window, the figures of a window, by unit."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache, partial
from typing import Any

from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.engine import Connection, Engine

from workflow.errors import NotFound
from workflow.lights import RED, YELLOW, Thresholds
from workflow.reports.state import Snapshot, each_snapshot
from workflow.reports.windows import CURRENCIES, LOST_STAGES, OVER_100M_MINOR, Window, paused_stages, stage_keys
from workflow.tables import capital_arrival as CAP
from workflow.tables import event as E
from workflow.tables import investment_completed as INV
from workflow.tables import project as P
from workflow.tables import unit as U

# --- sums across projects ----------------------------------------------------------------------

# A sum across projects can pass the 64-bit integer of SQLite (and of PostgreSQL's bigint): an amount
# is at most MAX_MINOR, about 2^63 / 1000.  So the database sums each amount's high part
# (amount / SPLIT, truncated) and its low part (amount % SPLIT) apart — each sum stays far inside
# 64 bits for any number of rows a county holds — and Python joins them exactly (a = (a / d) * d +
# a % d for truncating division on both engines, negative amounts included).
SPLIT = 10**9


def wide_sum(value):
    """The two SQL sums whose :func:`joined` value is ``SUM(value)`` without overflow."""
    return func.sum(value.op("/")(SPLIT)), func.sum(value.op("%")(SPLIT))


def joined(high, low) -> int | None:
    """``high * SPLIT + low`` (the sums :func:`wide_sum` made), None when there were no rows."""
    if high is None and low is None:
        return None
    return int(high or 0) * SPLIT + int(low or 0)


# --- flows: what happened inside a window -------------------------------------------------------


def uncorrected():
    """The event (of the enclosing query over `event`) was not undone by an admin's correction.

    Only a project's latest stage change can be corrected, and the correction is itself a stage
    change; so a stage change was corrected exactly when the next stage change after it is a
    correction.  (Correcting the correction again is not followed: the original stays undone.)"""
    nxt = E.alias("next_change")
    next_kind = (select(nxt.c.kind)
                 .where(nxt.c.project_id == E.c.project_id, nxt.c.seq > E.c.seq, nxt.c.to_stage.is_not(None))
                 .order_by(nxt.c.seq).limit(1).scalar_subquery())
    # no next change ('') or one that is not a correction: the look-up is written (and run) once
    return func.coalesce(next_kind, "") != "correction"


def _first_signing():
    """(project_id, first date it was signed): transitions into `signed` not from a paused stage and
    not corrected."""
    # Grouped by ``project_id + 0``, the same value: grouped by the column itself, SQLite walks the
    # (project_id, seq) index and reads the event row of every index entry out of order, where one
    # scan of the table in order, then a sort of the few signings, costs less.
    project = E.c.project_id + 0
    return (select(project.label("project_id"), func.min(E.c.effective_on).label("on"))
            .where(E.c.kind == "transition", E.c.to_stage == "signed",
                   E.c.from_stage.not_in(paused_stages() or ["-"]), uncorrected())
            .group_by(project).subquery("first_signing"))


def _flows(conn: Connection, windows: Sequence[Window], unit: str | None) -> list[dict[str | None, dict]]:
    """For each of ``windows``: unit -> {"signed": n, "signed_investment": CNY minor of the planned
    investment of those first signed, "capital": {currency: minor}, "investment": {currency: minor}}.

    One statement per kind of flow for every window at once: its rows over the windows' whole range,
    summed by unit (and currency) and effective date; a window's figures are then the rows whose date
    lies in [start, end] (:func:`_in_windows`), so the first signings are found once however many
    windows are asked, and the statements do not grow with the number of windows."""
    if not windows:
        return []
    outs: list[dict[str | None, dict]] = [
        defaultdict(lambda: {"signed": 0, "signed_investment": 0, "capital": {}, "investment": {}})
        for _ in windows]
    params: dict[str, Any] = {"low": min(w.start for w in windows), "high": max(w.end for w in windows)}
    if unit is not None:
        params["unit"] = unit
    signings_stmt, *arrivals_stmts = _flow_statements(unit is not None)
    signings = (((r[0],), r[1], r[2], r[3], r[4]) for r in conn.execute(signings_stmt, params).all())
    for out, signed in zip(outs, _in_windows(signings, windows), strict=True):
        for (u,), (n, total) in signed.items():
            out[u]["signed"] = n
            out[u]["signed_investment"] = total
    for label, q in zip(("capital", "investment"), arrivals_stmts, strict=True):
        arrivals = (((r[0], r[1]), r[2], r[3], r[4], r[5]) for r in conn.execute(q, params).all())
        for out, amounts in zip(outs, _in_windows(arrivals, windows), strict=True):
            for (u, cur), (_, total) in amounts.items():
                out[u][label][cur] = total
    return outs


@cache
def _flow_statements(by_unit: bool) -> tuple[Any, ...]:
    """The statements of :func:`_flows` (first signings, capital, investment): rows dated between
    the bound ``low`` and ``high``, of the bound ``unit`` where ``by_unit``.  Built once: nothing
    else goes into them (the paused stages are the shipped definition's)."""
    low, high = bindparam("low", type_=Date()), bindparam("high", type_=Date())
    unit_filter = [P.c.unit_code == bindparam("unit")] if by_unit else []
    first = _first_signing()
    # wide_sum even for one day's rows: a day may hold any number of amounts at the limit
    signings = (select(P.c.unit_code, first.c.on, func.count(), *wide_sum(P.c.planned_investment_minor))
                .select_from(first.join(P, P.c.id == first.c.project_id))
                .where(first.c.on >= low, first.c.on <= high, *unit_filter)
                .group_by(P.c.unit_code, first.c.on)
                .order_by(P.c.unit_code, first.c.on))
    arrivals = []
    for table in (CAP, INV):
        on = table.c.effective_on
        arrivals.append(select(P.c.unit_code, table.c.currency, on, func.count(), *wide_sum(table.c.amount_minor))
                        .select_from(table.join(P, P.c.id == table.c.project_id))
                        .where(on >= low, on <= high, *unit_filter)
                        .group_by(P.c.unit_code, table.c.currency, on)
                        .order_by(P.c.unit_code, table.c.currency, on))
    return (signings, *arrivals)


def _in_windows(rows: Iterable[tuple[tuple[Any, ...], date, int, Any, Any]], windows: Sequence[Window]
                ) -> list[dict[tuple, tuple[int, int]]]:
    """For each of ``windows``: key -> (rows, exact total) of the ``rows`` (key, date, rows, and the
    :func:`wide_sum` parts of their total, ordered by key then date) whose date lies in the window's
    [start, end]; only keys with such rows, in the rows' order.  Each key's running counts and totals
    by date make a window's figures the difference of two of them (found by bisection)."""
    running: dict[tuple, tuple[list[date], list[int], list[int]]] = {}
    for key, on, n, high, low in rows:
        dates, counts, totals = running.setdefault(key, ([], [0], [0]))
        dates.append(on)
        counts.append(counts[-1] + int(n))
        totals.append(totals[-1] + (joined(high, low) or 0))
    out: list[dict[tuple, tuple[int, int]]] = []
    for start, end in [(w.start, w.end) for w in windows]:
        got: dict[tuple, tuple[int, int]] = {}
        for key, (dates, counts, totals) in running.items():
            i, j = bisect_left(dates, start), bisect_right(dates, end)
            if j > i:
                got[key] = (counts[j] - counts[i], totals[j] - totals[i])
        out.append(got)
    return out


# --- figures ------------------------------------------------------------------------------------


def _zero_figures(stages: list[str] | None = None) -> dict:
    """Figures of nothing; ``stages``: ``stage_keys()`` read once by the caller."""
    return {"projects_by_stage": dict.fromkeys(stage_keys() if stages is None else stages, 0), "signed": 0,
            "capital_in_place": dict.fromkeys(CURRENCIES, 0),
            "investment_completed": dict.fromkeys(CURRENCIES, 0),
            "key_projects": 0, "over_100m": 0, "red": 0, "yellow": 0}


def _add_money(into: dict, amounts: dict) -> None:
    for cur, v in amounts.items():
        into[cur] = into.get(cur, 0) + v


def _figures_by_unit(conn: Connection, w: Window, unit: str | None, thresholds: Thresholds,
                     snaps: list[Snapshot] | None = None, flows: dict[str | None, dict] | None = None
                     ) -> dict[str | None, dict]:
    figs: dict[str | None, dict] = defaultdict(partial(_zero_figures, stage_keys()))
    each = snaps if snaps is not None else each_snapshot(conn, w.as_of, thresholds, unit=unit, reasons=False)
    for s in each:
        f = figs[s.unit]
        stage = s.stage
        by_stage = f["projects_by_stage"]
        by_stage[stage] = by_stage.get(stage, 0) + 1
        if stage not in LOST_STAGES:
            if s.key:
                f["key_projects"] += 1
            if s.planned_minor >= OVER_100M_MINOR:
                f["over_100m"] += 1
        color = s.light.color
        if color == RED:
            f["red"] += 1
        elif color == YELLOW:
            f["yellow"] += 1
    if flows is None:
        flows = _flows(conn, [w], unit)[0]
    for u, flow in flows.items():
        f = figs[u]
        f["signed"] = flow["signed"]
        _add_money(f["capital_in_place"], flow["capital"])
        _add_money(f["investment_completed"], flow["investment"])
    return figs


def _sum_figures(items: Iterable[dict]) -> dict:
    total = _zero_figures()
    by_stage = total["projects_by_stage"]
    for f in items:
        for k, v in f["projects_by_stage"].items():
            by_stage[k] = by_stage.get(k, 0) + v
        for k in ("signed", "key_projects", "over_100m", "red", "yellow"):
            total[k] += f[k]
        _add_money(total["capital_in_place"], f["capital_in_place"])
        _add_money(total["investment_completed"], f["investment_completed"])
    return total


def _change(now: dict, before: dict) -> dict:
    out = {"projects_by_stage": {k: now["projects_by_stage"].get(k, 0) - before["projects_by_stage"].get(k, 0)
                                 for k in now["projects_by_stage"]}}
    for k in ("signed", "key_projects", "over_100m", "red", "yellow"):
        out[k] = now[k] - before[k]
    for k in ("capital_in_place", "investment_completed"):
        out[k] = {c: now[k].get(c, 0) - before[k].get(c, 0) for c in now[k]}
    return out


def money_list(amounts: dict) -> list[dict]:
    """{currency: minor} -> [{"amount_minor", "currency"}], CNY then USD then the rest."""
    order = {c: i for i, c in enumerate(CURRENCIES)}
    return [{"amount_minor": int(v), "currency": c}
            for c, v in sorted(amounts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))]


def figures_json(f: dict) -> dict:
    return {**f, "capital_in_place": money_list(f["capital_in_place"]),
            "investment_completed": money_list(f["investment_completed"])}


# --- units ----------------------------------------------------------------------------------------


def _units(conn: Connection, unit: str | None) -> list[tuple[str | None, str | None]]:
    """(code, name) of every unit, or of `unit` (refused when unknown)."""
    if unit is not None:
        name = conn.execute(select(U.c.name).where(U.c.code == unit)).scalar()
        if name is None:
            known = [r[0] for r in conn.execute(select(U.c.code).order_by(U.c.code).limit(20))]
            if known:
                raise NotFound("no_unit_known", [{"unit": unit}], unit=unit, known=known)
            raise NotFound("no_unit", [{"unit": unit}], unit=unit)
        return [(unit, name)]
    units: list[tuple[str | None, str | None]] = [tuple(r) for r in conn.execute(
        select(U.c.code, U.c.name).order_by(U.c.code))]
    if conn.execute(select(P.c.id).where(P.c.unit_code.is_(None)).limit(1)).first():
        units.append((None, None))
    return units


def _read(engine: Engine):
    """A connection whose statements all see the same data (one read transaction)."""
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def _thresholds(t: Thresholds | None) -> Thresholds:
    return t if t is not None else Thresholds()
