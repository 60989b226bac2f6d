"""Closed periods (关账): a period's reports frozen in the set-up ledger, and late entries (补录).

``report close PERIOD`` (admin) computes every report of the period (bulletin, dispatch, review,
evaluation; English and Chinese; for the whole county, as of the period's end, with the stored
warning thresholds) and appends them as one ``period_closed`` entry of the ledger
(``workflow.ledger``): hashed and chained, so ``audit verify`` proves the frozen figures unchanged.
Afterwards ``report <kind> --period PERIOD`` prints the frozen document, in every format.
``report reopen PERIOD --reason`` appends ``period_reopened``; a period is closed while its latest
entry is a close.

A write whose event's effective date falls inside a closed period is refused (Refused, exit 3, naming
the period) unless it runs inside :func:`late` with a reason: the event's payload then carries
``"late": {"period", "reason"}`` (补录).  The check is in the transaction kernel
(``store.Txn.emit``), so the command line, import, the demo and the Python API obey it alike.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from datetime import date
from typing import Any

from rfc8785 import IntegerDomainError
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from workflow import clock, ledger, numbering, reports, settings
from workflow.access import ADMIN, require
from workflow.amounts import WAN, format_units
from workflow.catalogue import Message
from workflow.closed import CLOSED, REOPENED, closed_periods
from workflow.db import is_sqlite, make_engine
from workflow.encoding import canonical, event_json, wide_ints
from workflow.errors import BadInput, Conflict, Refused
from workflow.i18n import t as label
from workflow.periods import parse_period, parse_span
from workflow.tables import event as E
from workflow.tables import ledger as L
from workflow.tables import project as P
from workflow.tables import setting as ST
from workflow.values import reason as check_reason
from workflow.words import REPORT_KINDS, report_kinds

LANGS = ("en", "zh")
def _period(text: str, lang: str, *, span: bool = False):
    """A single period (what may be closed), or with ``span`` also a span of periods (what a report
    may ask for: a span is never closed as a whole, its periods are)."""
    return parse_span(text, lang=lang) if span else parse_period(text, lang=lang)


def _compute(engine: Engine, period, as_of: date | None = None) -> dict:
    """Every report of ``period`` in both languages: {kind: {lang: doc}} (a kind the period does not
    have, e.g. an evaluation of a quarter if refused, is left out)."""
    listed = reports.DOCUMENT_LIST_LIMIT + 1  # a bulletin document's red and yellow lists ("… N more")
    with engine.connect() as conn:  # the thresholds in force on the reports' as-of date
        thresholds = settings.light_thresholds(conn, as_of=reports.make_window(period, as_of).as_of)
    docs: dict[str, dict] = {}
    for kind in REPORT_KINDS:
        for lang in LANGS:
            try:
                if kind == "evaluation":
                    doc = reports.evaluation(engine, period, as_of=as_of, lang=lang)
                else:
                    extra = {"problems": listed} if kind == "bulletin" else {}
                    doc = getattr(reports, kind)(engine, period, as_of=as_of, thresholds=thresholds, lang=lang,
                                                 **extra)
            except BadInput:
                continue
            docs.setdefault(kind, {})[lang] = as_stored(doc)
    return docs


def as_stored(doc: dict) -> dict:
    """A report as a close stores it: JSON values only, keys in canonical (sorted) order.  The JSON a
    report prints is this form, open or closed, so a closed period prints the bytes it printed before
    the close (docs/lights-and-reports.md); no layout reads a report's key order.  A total past
    ±(2**53 - 1) minor units is written as a string of digits (``encoding.wide_ints``)."""
    try:
        return json.loads(canonical(doc))
    except IntegerDomainError:
        return json.loads(canonical(wide_ints(doc)))


def close(engine: Engine, actor: str, period_text: str, *, reason: str | None = None, lang: str = "en") -> dict:
    """Freeze ``period`` (admin): its reports stored in the ledger.  The period must have ended."""
    period = _period(period_text, lang)
    today = clock.today()
    if period.end >= today:
        raise Refused("period_has_not_ended",
                      [{"period": period.label, "end": period.end.isoformat()}], label=period.label, end=period.end)
    stored = None
    for attempt in range(CLOSE_ATTEMPTS):
        if attempt == CLOSE_ATTEMPTS - 1 and is_sqlite(engine):
            stored = _close_in_turn(engine, actor, period, reason)
            break
        with engine.connect() as conn:
            _may_close(conn, actor, period)
            mark = _mark(conn)
        docs = _compute(engine, period)
        with engine.begin() as conn:  # the figures must be those of the history as it is when the close lands
            _may_close(conn, actor, period)
            if _mark(conn) == mark:
                stored = _store_close(conn, actor, period, docs, reason)
        if stored is not None:
            break
        if attempt < CLOSE_ATTEMPTS - 1:  # entries arrived meanwhile: again, after a short random pause
            time.sleep(random.uniform(0, CLOSE_PAUSE * 2**attempt))
    if stored is None:
        raise Conflict("entries_were_recorded_while", label=period.label, attempts=CLOSE_ATTEMPTS)
    entry, issue, digest, docs = stored
    out = {"period": period.label, "closed": True, "seq": entry["seq"], "digest": digest,
           "reports": sorted(docs), "hash": entry["hash"]}
    if issue is not None:
        out["issue"] = {"report": issue.kind, "year": issue.year, "number": issue.number,
                        "issued_on": issue.issued_on.isoformat()}
    return out


# A close takes the figures, then stores them if nothing was recorded meanwhile.  Entries arriving all
# the time could starve it: it tries ``CLOSE_ATTEMPTS`` times (random pauses growing from
# ``CLOSE_PAUSE`` seconds between), and on SQLite the last attempt takes its turn as a writer first
# (writers wait behind it, as behind any write, up to PIPELINE_BUSY_TIMEOUT) and computes the figures
# while holding it, so it always lands.  On PostgreSQL the attempts are bounded: past them, exit 5.
CLOSE_ATTEMPTS = 4
CLOSE_PAUSE = 0.05


def _may_close(conn: Connection, actor: str, period: Any) -> None:
    require(conn, actor, ADMIN, "close periods")
    if period.label in closed_periods(conn):
        raise Refused("period_is_already_closed", [{"period": period.label}], label=period.label)
    numbering.check_next(conn, period)  # in period order: its kind's number follows the last one


def _store_close(conn: Connection, actor: str, period: Any, docs: dict, reason: str | None) -> tuple:
    digest = hashlib.sha256(canonical(docs)).hexdigest()
    entry = ledger.append(conn, actor, CLOSED, period.label,
                          {"period": period.label, "start": period.start.isoformat(),
                           "end": period.end.isoformat(), "digest": digest, "reports": docs}, reason)
    return entry, numbering.issued(conn, period.label), digest, docs


def _close_in_turn(engine: Engine, actor: str, period: Any, reason: str | None) -> tuple:
    """SQLite: the close as one writer among others — its write transaction first (BEGIN IMMEDIATE on
    the write engine; a first write otherwise), then the figures read through a reading engine while
    no other writer can commit, then the entry."""
    with engine.begin() as conn:
        # A write that changes nothing takes the write lock on a deferred transaction (a no-op after
        # BEGIN IMMEDIATE): this transaction is the writer now.
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num WHERE 0")
        _may_close(conn, actor, period)
        reader = make_engine(engine.url.render_as_string(hide_password=False), write=False)
        try:
            docs = _compute(reader, period)
        finally:
            reader.dispose()
        return _store_close(conn, actor, period, docs, reason)


def _mark(conn: Connection) -> tuple:
    """What a close must see unchanged between taking the figures and storing them: the events, the
    settings, and the set-up ledger's head (every change of targets, units, people, rules …)."""
    return (conn.execute(select(func.count(), func.max(E.c.id))).one(),
            tuple(conn.execute(select(ST.c.key, ST.c.entry, ST.c.value).order_by(ST.c.key, ST.c.entry)).all()),
            conn.execute(select(func.max(L.c.seq))).scalar())


def reopen(engine: Engine, actor: str, period_text: str, *, reason: str | None, lang: str = "en") -> dict:
    why = check_reason(reason, Message("reason_is_required_say"), required_=True)
    period = _period(period_text, lang)
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "reopen periods")
        if period.label not in closed_periods(conn):
            raise Refused("period_is_not_closed_label", [{"period": period.label}], label=period.label)
        entry = ledger.append(conn, actor, REOPENED, period.label, {"period": period.label}, why)
    return {"period": period.label, "closed": False, "seq": entry["seq"], "hash": entry["hash"]}


def _close_entry(conn: Connection, label: str) -> dict | None:
    info = closed_periods(conn).get(label)
    if info is None:
        return None
    payload = conn.execute(select(L.c.payload).where(L.c.seq == info["seq"])).scalar_one()
    return json.loads(payload)


def frozen(engine: Engine, kind: str, period_text: str, *, lang: str = "en", unit: str | None = None,
           document: bool = False) -> dict | None:
    """The frozen ``kind`` report of a closed period (None when the period is open, or a span).  A
    bulletin keeps the red and yellow lists of its document only for a ``document`` (as a live
    bulletin computes them only for one)."""
    period = _period(period_text, lang, span=True)
    with engine.connect() as conn:
        entry = _close_entry(conn, period.label)
    if entry is None:
        return None
    docs = entry["reports"].get(kind)
    if not docs:
        raise BadInput("period_has_no_report", label=period.label, kind=kind)
    doc = docs["zh" if lang.startswith("zh") else "en"]
    doc["closed"] = True
    if kind == "bulletin" and not document:
        doc.pop("projects", None)
    return as_stored(doc if unit is None else _only_unit(doc, unit))


def _only_unit(doc: dict, unit: str) -> dict:
    """A frozen county report narrowed to one unit: rows of other units dropped (bulletin totals
    become the unit's own figures)."""
    out = dict(doc)
    out["unit"] = unit
    for key, value in doc.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "unit" in value[0]:
            out[key] = [v for v in value if v.get("unit") == unit]
    if doc.get("report") == "bulletin":
        rows = out.get("units") or []
        if rows:
            out["totals"] = {k: v for k, v in rows[0].items() if k not in ("unit", "unit_name", "previous", "change")}
            out["previous"], out["change"] = rows[0]["previous"], rows[0]["change"]
    if doc.get("comparison"):  # the year to date, 同比 and 环比: the unit's own (workflow/reports/compare.py)
        mine = [u for u in doc["comparison"]["units"] if u.get("unit") == unit]
        out["comparison"] = {**doc["comparison"], "units": mine,
                             "totals": {k: v for k, v in mine[0].items() if k not in ("unit", "unit_name")}
                             if mine else doc["comparison"]["totals"]}
    return out


def diff(engine: Engine, kind: str, period_text: str, *, lang: str = "en", readable: bool = False) -> dict:
    """What the entries since the close (late entries, corrections) would change in the frozen
    ``kind`` report: every figure whose live value differs, as {"path", "frozen", "now"} (JSON paths,
    amounts in minor units); with ``readable`` each change also has its ``line`` as a clerk reads it
    (``readable_line``)."""
    kind = report_kinds().parse(kind, "--report")
    period = _period(period_text, lang)
    with engine.connect() as conn:
        entry = _close_entry(conn, period.label)
    if entry is None:
        raise Refused("period_is_not_closed", [{"period": period.label}], label=period.label)
    docs = entry["reports"].get(kind)
    if not docs:
        raise BadInput("period_has_no_report", label=period.label, kind=kind)
    key = "zh" if lang.startswith("zh") else "en"
    live = _compute_one(engine, kind, period, lang=key)
    old = _flat(docs[key])
    # figures a report gained after the close (the year to date of a period closed before it existed)
    # are not changes of what was frozen
    new = {p: v for p, v in _flat(live).items()
           if _STEP.match(p).group(0) in docs[key] and not gained(p, old)}  # type: ignore[union-attr]
    changes = [{"path": p, "frozen": old.get(p), "now": new.get(p)} for p in sorted(set(old) | set(new))
               if old.get(p) != new.get(p)]
    if readable:
        names = {**_names(live), **_names(docs[key])}
        for c in changes:
            c["line"] = readable_line(c, names, key)
    return {"period": period.label, "report": kind, "changes": changes}


# The rows of a report that are not a unit's or a project's, and the unit an amount is shown in (the
# report's tables: 万 of the currency).
_ROW_LABELS = {"totals": "row_total", "change": "row_change", "previous": "row_previous"}
_IN_WAN = {"CNY": ("10k CNY", "万元"), "USD": ("10k USD", "万美元")}
_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
# Figures a report gained after periods may have been closed: the evaluation's 履约 deduction (its count
# and points per unit, and its rule under ``scoring``).  A close from before them lacks every one of them,
# which is no change of what was frozen (``diff``) and no invented figure (``audit verify``); a later
# close has them all, compared like any figure.
GAINED = frozenset({"performance_shortfalls", "performance_deduction"})


def _names_gained(path: str) -> bool:
    return any(name in GAINED for name, _ in _STEP.findall(path))


def gained(path: str, frozen: dict[str, Any]) -> bool:
    """Is ``path`` (of a live report, ``_flat``) a figure the report gained after the close of
    ``frozen`` (the frozen report, flat): a ``GAINED`` one, and the close has none of them?"""
    return path not in frozen and _names_gained(path) and not any(_names_gained(p) for p in frozen)


def _names(doc: dict) -> dict[str, str]:
    """The name of every unit (``unit`` -> ``unit_name``) and project (``code`` -> "code name") a
    report lists, for the lines of ``readable_line``."""
    out: dict[str, str] = {}
    for value in doc.values():
        for row in value if isinstance(value, list) else []:
            if isinstance(row, dict) and row.get("code") and row.get("name"):
                out[str(row["code"])] = f"{row['code']} {row['name']}"
            elif isinstance(row, dict) and row.get("unit") and row.get("unit_name"):
                out[str(row["unit"])] = str(row["unit_name"])
    return out


def readable_line(change: dict, names: dict[str, str], lang: str) -> str:
    """A changed figure as a clerk reads it: the unit's (or project's) name, the figure's label in
    ``lang``, the frozen and the live value, amounts in 万 of their currency with the one amount
    formatter (``workflow.amounts``): ``县发改局 到位资金 1,210.00 → 2,710.00 万元``."""
    zh = lang.startswith("zh")
    words: list[str] = []
    currency = None
    for name, key in _STEP.findall(change["path"]):
        if key:
            if key in _IN_WAN:
                currency = key
            elif key in names:
                words.append(names[key])
            elif not key.isdigit():
                words.append(label(key, lang))
        elif name not in ("units", "projects", "amount_minor"):
            if name == "capital_in_place" and currency is None and "[USD]" in change["path"]:
                name = "foreign_capital"
            words.append(label(_ROW_LABELS.get(name, name), lang))
    amount = currency is not None and change["path"].endswith(".amount_minor")

    def shown(value: Any) -> str:
        if value is None:
            return "—"
        if amount and isinstance(value, int) and not isinstance(value, bool):
            return format_units(value, WAN)
        if isinstance(value, bool):
            return ("是" if value else "否") if zh else ("yes" if value else "no")
        return str(value)

    unit = f" {_IN_WAN[currency][1 if zh else 0]}" if amount and currency else ""
    return f"{' '.join(words)} {shown(change['frozen'])} → {shown(change['now'])}{unit}"


def _compute_one(engine: Engine, kind: str, period, lang: str) -> dict:
    with engine.connect() as conn:  # the thresholds in force on the reports' as-of date
        thresholds = settings.light_thresholds(conn, as_of=reports.make_window(period).as_of)
    if kind == "evaluation":
        doc = reports.evaluation(engine, period, lang=lang)
    else:  # a bulletin with the red and yellow lists a close stores (``_compute``)
        extra = {"problems": reports.DOCUMENT_LIST_LIMIT + 1} if kind == "bulletin" else {}
        doc = getattr(reports, kind)(engine, period, thresholds=thresholds, lang=lang, **extra)
    return json.loads(canonical(doc))


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    """Leaves of a JSON document by path; list items of projects keyed by their code, of units by
    the unit's code."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flat(v, f"{path}.{k}" if path else k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            name = str(i)
            if isinstance(v, dict):
                name = str(v.get("code") if "code" in v else v.get("unit") if "unit" in v else
                           v.get("currency") if "currency" in v else v.get("metric", i))
            out.update(_flat(v, f"{path}[{name}]"))
    else:
        out[path] = value
    return out


def adjustments(engine: Engine, period_text: str, *, lang: str = "en") -> list[dict]:
    """The late entries (补录) recorded during ``period`` (by their recorded date): the section
    "adjustments to closed periods" of an open period's report."""
    period = _period(period_text, lang, span=True)
    out = []
    with engine.connect() as conn:
        rows = conn.execute(select(E, P.c.code, P.c.unit_code).join(P, P.c.id == E.c.project_id)
                            .where(E.c.payload.like('%"late":%')).order_by(E.c.id)).mappings()
        for r in rows:
            e = event_json(r)
            marker = e["payload"].get("late")
            if not isinstance(marker, dict):
                continue
            recorded = clock.local_date(r["recorded_at"])
            if period.contains(recorded):
                p = e["payload"]
                out.append({"code": r["code"], "unit": r["unit_code"], "seq": e["seq"], "kind": e["kind"],
                            "effective_on": e["effective_on"], "recorded_on": recorded.isoformat(),
                            "closed_period": marker.get("period"), "reason": marker.get("reason"),
                            "amount_minor": p.get("amount_minor"), "currency": p.get("currency"),
                            "actor": e["actor"]})
    return out


# Public names for ``audit verify``, which recomputes every close's figures (workflow/closes_check.py).
compute = _compute
flat = _flat
