"""Year to date (累计), the same period of the previous year (同比) and the previous period (环比): the
flow figures of a report period beside those it is compared with (docs/lights-and-reports.md, "Year to
date, 同比 and 环比").

For a period inside a year (a bimonthly bulletin period, a quarter, a half, or the year itself) cut at
its as-of date ``end``: the period; the previous period (环比, cut as the report's ``previous``); the
year to date, 1 January to ``end``; and the same two a year earlier, to the same day (29 February
becomes the 28th).  The figures are flows as the reports count them (``figures._flows``): projects
signed, the agreed investment (协议总投资, CNY) of those signed, capital in place in CNY and in USD
(foreign capital, 利用外资) and investment completed in CNY, each currency apart.  Snapshot figures
(stages, lights) describe the as-of date and have no year to date.  A span has no comparison (its
``series`` compares its periods).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from workflow.periods import Period, Span
from workflow.reports.figures import _flows
from workflow.reports.planned import growth_rate
from workflow.reports.windows import Window, previous_window

COMPARE_METRICS: tuple[str, ...] = ("signed", "agreed", "capital", "foreign", "investment")
WINDOWS: tuple[str, ...] = ("period", "previous", "year_to_date", "same_period_last_year",
                            "year_to_date_last_year")
# a change: (figures of, against)
CHANGES: dict[str, tuple[str, str]] = {
    "month_on_month": ("period", "previous"),  # 环比
    "year_on_year": ("period", "same_period_last_year"),  # 同比 of the period
    "year_to_date_on_year": ("year_to_date", "year_to_date_last_year"),  # 同比 of the year to date
}


def year_earlier(d: date) -> date:
    """The same day a year earlier; 29 February -> 28 February."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def _range(label: str, start: date, end: date) -> Window:
    """A window over [start, end] (a range that is no report period: the year to date)."""
    return Window(Period(label, "year", start, end), end)


def windows(w: Window) -> dict[str, Window] | None:
    """The windows a report of ``w`` is compared with, by name (``WINDOWS``); None for a span or a
    period in the year 1."""
    if isinstance(w.period, Span) or w.period.year < 2:
        return None
    end, year = w.end, w.period.year
    ly_start, ly_end = year_earlier(w.start), year_earlier(end)
    return {"period": w, "previous": previous_window(w),
            "year_to_date": _range(f"{year}-YTD", date(year, 1, 1), end),
            "same_period_last_year": Window(Period(f"{year - 1}{w.period.label[4:]}", w.period.kind, ly_start,
                                                   year_earlier(w.period.end)), ly_end),
            "year_to_date_last_year": _range(f"{year - 1}-YTD", date(year - 1, 1, 1), ly_end)}


def _figures(flows: dict[str | None, dict], units: set[str | None] | None) -> dict[str, int]:
    out = dict.fromkeys(COMPARE_METRICS, 0)
    for u, flow in flows.items():
        if units is not None and u not in units:
            continue
        out["signed"] += flow["signed"]
        out["agreed"] += flow["signed_investment"]
        out["capital"] += flow["capital"].get("CNY", 0)
        out["foreign"] += flow["capital"].get("USD", 0)
        out["investment"] += flow["investment"].get("CNY", 0)
    return out


# metric -> (the report's figure, its currency; None: a count)
METRIC_FIGURES: dict[str, tuple[str, str | None]] = {
    "signed": ("signed", None), "agreed": ("signed_investment", "CNY"), "capital": ("capital_in_place", "CNY"),
    "foreign": ("capital_in_place", "USD"), "investment": ("investment_completed", "CNY")}


def _changes(figs: dict[str, dict[str, int]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per change (``CHANGES``) and metric: the difference and the rate (None when the figure it is
    compared with is 0)."""
    return {name: {m: {"change": figs[a][m] - figs[b][m], "rate": growth_rate(figs[a][m], figs[b][m])}
                   for m in COMPARE_METRICS}
            for name, (a, b) in CHANGES.items()}


def _figures_json(fig: dict[str, int]) -> dict[str, Any]:
    """The figures as the report's other figures are written: a count, and amounts as lists of
    ``{"amount_minor", "currency"}`` (so ``report diff`` shows them in 万 of their currency)."""
    out: dict[str, Any] = {"signed": fig["signed"]}
    for m in COMPARE_METRICS[1:]:
        name, cur = METRIC_FIGURES[m]
        out.setdefault(name, []).append({"amount_minor": fig[m], "currency": cur})
    return out


def _changes_json(changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"signed": changes["signed"]}
    for m in COMPARE_METRICS[1:]:
        name, cur = METRIC_FIGURES[m]
        out.setdefault(name, []).append({"amount_minor": changes[m]["change"], "currency": cur,
                                         "rate": changes[m]["rate"]})
    return out


def _block_json(figs: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {**{n: _figures_json(figs[n]) for n in WINDOWS},
            "changes": {k: _changes_json(v) for k, v in _changes(figs).items()}}


def figures_of(doc: dict) -> dict[str, int]:
    """The figures of one window of a comparison (``{"signed", "signed_investment", ...}``) as
    ``{metric: count or minor units}`` (``COMPARE_METRICS``): what a renderer or a sentence reads."""
    out = {}
    for m in COMPARE_METRICS:
        name, cur = METRIC_FIGURES[m]
        out[m] = doc[name] if cur is None else sum(x["amount_minor"] for x in doc[name] if x["currency"] == cur)
    return out


def changes_of(doc: dict) -> dict[str, dict[str, Any]]:
    """The changes of a comparison's ``changes[name]`` as ``{metric: {"change", "rate"}}``."""
    out = {}
    for m in COMPARE_METRICS:
        name, cur = METRIC_FIGURES[m]
        if cur is None:
            out[m] = doc[name]
        else:
            x = next(x for x in doc[name] if x["currency"] == cur)
            out[m] = {"change": x["amount_minor"], "rate": x["rate"]}
    return out


def comparison(conn: Connection, w: Window, unit: str | None, units: list[tuple[str | None, str | None]],
               flows: list[dict[str | None, dict]] | None = None) -> dict | None:
    """The comparison of ``w`` (None for a span): each window's dates and figures in total and per
    unit, and the changes.  ``flows``: the flows of ``windows(w)`` in ``WINDOWS`` order when the
    caller has read them already (one read for the report's own figures and these)."""
    wins = windows(w)
    if wins is None:
        return None
    if flows is None:
        flows = _flows(conn, list(wins.values()), unit)
    by_name = dict(zip(WINDOWS, flows, strict=True))
    known = {code for code, _ in units}
    totals = {name: _figures(by_name[name], known) for name in WINDOWS}
    rows = [{"unit": code, "unit_name": name, **_block_json({n: _figures(by_name[n], {code}) for n in WINDOWS})}
            for code, name in units]
    return {"year": w.period.year,
            "windows": {n: {"label": x.period.label, "start": x.start.isoformat(), "end": x.end.isoformat()}
                        for n, x in wins.items()},
            "totals": _block_json(totals), "units": rows}
