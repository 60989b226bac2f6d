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

import copy
import difflib
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

from workflow import clock, ledger, numbering, office, reports, settings
from workflow.access import ADMIN, require
from workflow.amounts import WAN, format_rate, format_score, format_units
from workflow.catalogue import Message, text
from workflow.closed import CLOSED, REOPENED, closed_periods
from workflow.db import is_sqlite, make_engine
from workflow.definition import default_definition
from workflow.encoding import canonical, event_json, wide_ints
from workflow.errors import BadInput, Conflict, Refused
from workflow.i18n import t as label
from workflow.lights import RED, YELLOW
from workflow.periods import parse_period, parse_span
from workflow.reports import notes
from workflow.reports.kinds import review_totals
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
            docs.setdefault(kind, {})[lang] = doc
    if "bulletin" in docs:  # each unit's own lists, for the bulletin document of one unit (``_only_unit``)
        for lang, lists in _unit_lists(engine, period, as_of, thresholds, listed).items():
            docs["bulletin"][lang][UNIT_LISTS] = lists
    return {kind: {lang: as_stored(doc) for lang, doc in by_lang.items()} for kind, by_lang in docs.items()}


# Where a close keeps, beside the county's bulletin, each unit's own red and yellow lists: the worst
# DOCUMENT_LIST_LIMIT + 1 of each colour of the unit, as a bulletin document of that unit lists them (the
# county's worst 31 may hold none of a unit's).  A few dozen projects a unit, whatever the county's size.
# A close stored before them has none: a unit's lists are then the county's lists' projects of the unit.
UNIT_LISTS = "unit_projects"


def _unit_lists(engine: Engine, period: Any, as_of: date | None, thresholds: Any, listed: int
                ) -> dict[str, dict[str, list[dict]]]:
    """{lang: {unit: the unit's worst ``listed`` red and the worst ``listed`` yellow projects}} on the
    bulletin's as-of date (the units with none left out), each list what ``reports.bulletin(...,
    unit=UNIT, problems=listed)`` gives: one reading of the county's snapshots, ranked per unit."""
    w = reports.make_window(period, as_of)
    out: dict[str, dict[str, list[dict]]] = {lang: {} for lang in LANGS}
    with reports.shared_reading(engine) as rd:
        by_unit: dict[str, list] = {}
        for s in rd.snapshots(w.as_of, thresholds, None, reasons=False):
            if s.unit is not None and s.light.color in (RED, YELLOW):
                by_unit.setdefault(s.unit, []).append(s)
        for lang in LANGS:
            for code, mine in sorted(by_unit.items()):
                # copies: the listed ones are worded in place, and each language ranks them afresh
                out[lang][code] = reports._problems(rd.conn, w.as_of, code, thresholds, lang,
                                                    [copy.copy(s) for s in mine], listed)[0]
    return out


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
        narrative = _narrative(engine, period)
        with engine.begin() as conn:  # the figures must be those of the history as it is when the close lands
            _may_close(conn, actor, period)
            if _mark(conn) == mark:
                stored = _store_close(conn, actor, period, docs, reason, narrative)
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


def _narrative(engine: Engine, period: Any) -> dict:
    """The narrative sections of the period's documents as they stand (``notes.for_close``), as of
    the reports' as-of date."""
    with engine.connect() as conn:
        return json.loads(canonical(notes.for_close(conn, period, reports.make_window(period).as_of)))


def _store_close(conn: Connection, actor: str, period: Any, docs: dict, reason: str | None,
                 narrative: dict) -> tuple:
    """The ``period_closed`` entry: the reports and their ``digest``, the narrative sections and the
    document settings in force (the stored values, ``office.stored_values``) as the close found them."""
    digest = hashlib.sha256(canonical(docs)).hexdigest()
    entry = ledger.append(conn, actor, CLOSED, period.label,
                          {"period": period.label, "start": period.start.isoformat(),
                           "end": period.end.isoformat(), "digest": digest, "reports": docs,
                           "narrative": narrative, "documents": office.stored_values(conn, clock.today())}, reason)
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
            narrative = _narrative(reader, period)
        finally:
            reader.dispose()
        return _store_close(conn, actor, period, docs, reason, narrative)


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
    lists = doc.pop(UNIT_LISTS, None)  # the close's own material, never printed
    doc["closed"] = True
    if kind == "bulletin" and not document:
        doc.pop("projects", None)
    return as_stored(doc if unit is None else _only_unit(doc, unit, lists))


def frozen_narrative(engine: Engine, period_text: str, *, unit: str | None = None, lang: str = "en"
                     ) -> list[dict] | None:
    """The narrative sections (``notes.sections``' form) of a closed period as its close stored them,
    for the county or ``unit``; None when the period is open, or its close is older than the stored
    narrative (the sections are then computed as of the period's end, as before)."""
    period = _period(period_text, lang, span=True)
    with engine.connect() as conn:
        entry = _close_entry(conn, period.label)
    if entry is None or "narrative" not in entry:
        return None
    return notes.from_close(entry["narrative"], unit, lang)


def frozen_office(conn: Connection, label: str) -> office.Office | None:
    """The document settings (issuer, mark, 文号 prefixes, titles …) stored by the close of ``label``;
    None when the period is open, or its close is older than the stored settings (then the settings in
    force on the issue date, as of the close's ledger entry: ``office.read_before``)."""
    entry = _close_entry(conn, label)
    if entry is None:
        return None
    if "documents" in entry:
        return office.from_values(entry["documents"])
    info = closed_periods(conn)[label]
    issue = numbering.issued(conn, label)
    return office.read_before(conn, issue.issued_on if issue else clock.today(), info["seq"])


def _only_unit(doc: dict, unit: str, lists: dict[str, list[dict]] | None = None) -> dict:
    """A frozen county report narrowed to one unit, as the report of that unit printed it before the
    close (docs/lights-and-reports.md, "Closed periods"): rows of other units dropped, at the top and
    in the dispatch's 督办 part; the totals the unit's own (a bulletin's from its row and its 协议总投资
    from its comparison row, a dispatch's red and yellow from its row, a review's summed over its
    projects); a bulletin document's red and yellow lists the unit's own (``lists``: the close's
    ``UNIT_LISTS``; a close stored before them: the county's lists' projects of the unit)."""
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
        if "projects" in doc and lists is not None:
            out["projects"] = lists.get(unit, [])
        mine = [u for u in (doc.get("comparison") or {}).get("units", []) if u.get("unit") == unit]
        if mine and "signed_investment" in doc:  # the period's 协议总投资 of the unit (workflow/reports/compare.py)
            agreed = [m for m in mine[0]["period"]["signed_investment"] if m["currency"] == "CNY"]
            out["signed_investment"] = {"amount_minor": agreed[0]["amount_minor"] if agreed else 0, "currency": "CNY"}
    if doc.get("report") == "dispatch":
        rows = out.get("units") or []
        out["totals"] = {c: rows[0][c] if rows else 0 for c in doc.get("totals", {})}
        if doc.get("supervision"):  # the unit's problems: open ones in its row, those closed out in the period
            sup = doc["supervision"]
            open_rows = [r for r in sup.get("units", []) if r.get("unit") == unit]
            closed = [p for p in sup.get("closed_problems", []) if p.get("owner_unit") == unit]
            out["supervision"] = {**sup, "units": open_rows, "open": sum(r["open"] for r in open_rows),
                                  "closed_problems": closed, "closed": len(closed)}
    if doc.get("report") == "review" and "totals" in doc:
        out["totals"] = review_totals(out.get("projects") or [])
    if doc.get("progress"):  # 序时进度: the unit's row, its totals and categories (workflow/reports/planned.py)
        mine = [u for u in doc["progress"]["units"] if u.get("unit") == unit]
        row = mine[0] if mine else {}
        out["progress"] = {**doc["progress"], "units": mine,
                           "totals": {k: v for k, v in row.items() if k not in ("unit", "unit_name", "categories")}
                           if mine else doc["progress"]["totals"],
                           # a close stored before the units' categories were: none rather than the county's
                           "categories": row.get("categories", [])}
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
    docs = {k: {n: v for n, v in d.items() if n != UNIT_LISTS} for k, d in docs.items()}  # the county's report
    key = "zh" if lang.startswith("zh") else "en"
    live = _compute_one(engine, kind, period, lang=key)
    old = _flat(docs[key])
    # figures a report gained after the close (the year to date of a period closed before it existed)
    # are not changes of what was frozen
    new = {p: v for p, v in _flat(live).items()
           if _STEP.match(p).group(0) in docs[key] and not gained(p, old)}  # type: ignore[union-attr]
    changes = [{"path": p, "frozen": old.get(p), "now": new.get(p)} for p in sorted(set(old) | set(new))
               if old.get(p) != new.get(p)]
    told = _narrative_changes(engine, entry, kind, period, live, key)
    out = {"period": period.label, "report": kind, "changes": changes + [c for c, _ in told]}
    if readable:
        out["lines"] = readable_lines(changes, docs[key], live, key) + [line for _, line in told]
    return out


def _narrative_changes(engine: Engine, entry: dict, kind: str, period: Any, live: dict, lang: str
                       ) -> list[tuple[dict, str]]:
    """The lines of the narrative sections (the county's, in ``lang``) that differ between the close and
    now, as (change, readable line): ``{"path": "narrative.SECTION[N]", "frozen", "now"}`` (N: the
    line's place, 0 first; a line only on one side has None on the other).  Nothing for an evaluation
    or a close that did not store them."""
    if kind == "evaluation" or "narrative" not in entry:
        return []
    was = {s["section"]: s for s in notes.from_close(entry["narrative"], None, lang)}
    with engine.connect() as conn:
        now = {s["section"]: s for s in notes.sections(conn, period, date.fromisoformat(live["as_of"]), None, lang)}
    out = []
    for sec in notes.SECTIONS:
        old_lines = was[sec]["lines"] if sec in was else []
        new_lines = now[sec]["lines"] if sec in now else []
        title = (now.get(sec) or was.get(sec) or {}).get("title", "")
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            for k in range(max(i2 - i1, j2 - j1)):
                a = old_lines[i1 + k] if i1 + k < i2 else None
                b = new_lines[j1 + k] if j1 + k < j2 else None
                change = {"path": f"narrative.{sec}[{i1 + k if a is not None else j1 + k}]", "frozen": a, "now": b}
                out.append((change, f"{title} {a or '—'} → {b or '—'}"))
    return out


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

    def walk(value: Any) -> None:  # every row, at the top or nested (the review's units: its comparison's)
        if isinstance(value, list):
            for row in value:
                if isinstance(row, dict) and row.get("code") and row.get("name"):
                    out.setdefault(str(row["code"]), f"{row['code']} {row['name']}")
                elif isinstance(row, dict) and row.get("unit") and row.get("unit_name"):
                    out.setdefault(str(row["unit"]), str(row["unit_name"]))
        for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else []:
            if isinstance(item, dict | list):
                walk(item)

    walk(doc)
    return out


# How `report diff` reads a path (docs/lights-and-reports.md, "pipeline report diff"): the words of the
# steps that name a part of the report (a section, a row) and a figure's label and kind (how its value
# reads: "wan" an amount in 万 of its currency, "rate" a percentage, "score" two decimals, "light",
# "stage", "bool", "int", "text").
_PART_WORDS = {"totals": "row_total", "change": "row_change", "previous": "row_previous",
               "comparison": "sec_year_to_date", "period": "row_this_period", "year_to_date": "row_ytd",
               "same_period_last_year": "row_same_period_ly", "year_to_date_last_year": "row_ytd_ly",
               "thresholds": "threshold", "supervision": "problems_open"}
_CHANGE_WORDS = {"month_on_month": ("row_mom_change", "row_mom_rate"),
                 "year_on_year": ("row_yoy_change", "row_yoy_rate"),
                 "year_to_date_on_year": ("row_ytd_yoy_change", "row_ytd_yoy_rate")}
_FIGURES: dict[str, tuple[str, str]] = {
    "signed": ("col_signed", "int"), "signed_investment": ("signed_investment", "wan"),
    "capital_in_place": ("capital_in_place", "wan"), "investment_completed": ("investment_completed", "wan"),
    "planned_investment": ("planned_investment", "wan"), "year_plan": ("col_year_plan", "wan"),
    "completed": ("col_year_done", "wan"), "key_projects": ("col_key_projects", "int"),
    "over_100m": ("col_over_100m", "int"), "red": ("col_red", "int"), "yellow": ("col_yellow", "int"),
    "projects": ("col_projects", "int"), "plan_rate": ("col_plan_rate", "rate"), "points": ("col_points", "score"),
    "planned_starts": ("col_planned_starts", "int"), "started": ("col_actual_starts", "int"),
    "start_rate": ("col_start_rate", "rate"), "time_progress": ("col_time_progress", "percent"),
    "rank": ("col_rank", "int"), "score": ("col_score", "score"), "rate": ("col_rate", "rate"),
    "target": ("col_target", "int"), "actual": ("col_actual", "int"),
    "problems_escalated": ("col_problems_escalated", "int"), "problem_deduction": ("col_problem_deduction", "int"),
    "performance_shortfalls": ("col_performance_shortfalls", "int"),
    "performance_deduction": ("col_performance_deduction", "int"),
    "light": ("light", "light"), "stage": ("stage", "stage"), "key": ("key", "bool"),
    "stage_since": ("stage_since", "text"), "construction_on": ("col_construction_on", "text"),
    "production_on": ("col_production_on", "text"), "name": ("name", "text"), "unit_name": ("unit", "text"),
    "construction": ("construction", "stage_count"), "production": ("production", "stage_count")}
_METRIC_WORDS = {"signed": "col_signed", "capital": "capital_in_place", "foreign": "foreign_capital",
                 "investment": "investment_completed"}
# leaves that name a row rather than measure it (the row's name says them), and the machine's own keys
_SILENT = frozenset({"unit", "code", "login", "currency", "metric", "category", "en", "zh", "color"})
# lists whose items are rows of a report (a unit's, a project's, a category's): a row only on one side
# of the comparison is one line
_ROW_LISTS = frozenset({"units", "projects", "categories"})
_IN_UNITS = re.compile(r"\s*[（(][^（()）]*(?:万|10k)[^（()）]*[）)]$")


def _word(key: str, lang: str) -> str:
    """A label without the unit it carries in a table's header (到位资金（万元） -> 到位资金)."""
    return _IN_UNITS.sub("", label(key, lang))


def _stage_word(key: str, lang: str) -> str:
    try:
        return default_definition().stage_label(key, lang)
    except Exception:  # noqa: BLE001 - a stage of another workflow version: its key
        return key


def _rows(flat: dict[str, Any]) -> set[str]:
    """The rows (path prefixes ending in a row list's item) of a flat report."""
    out = set()
    for path in flat:
        prefix = ""
        for name, key in _STEP.findall(path):
            prefix += f"[{key}]" if key else (f".{name}" if prefix else name)
            if key and prefix.rsplit("[", 1)[0].rsplit(".", 1)[-1] in _ROW_LISTS:
                out.add(prefix)
    return out


def _row_of(path: str, rows: set[str]) -> str | None:
    """The innermost row of ``path`` among ``rows``."""
    best = None
    for i, ch in enumerate(path):
        if ch == "]" and path[:i + 1] in rows:
            best = path[:i + 1]
    return best


def _reasons(doc: dict, code: str, lang: str) -> str:
    """A listed project's warning reasons in ``lang`` (``reasons_detail``), joined as its list shows them."""
    zh = lang.startswith("zh")
    for p in doc.get("projects") or []:
        if p.get("code") == code:
            return ("；" if zh else "; ").join(r["zh" if zh else "en"] for r in p.get("reasons_detail") or [])
    return ""


def readable_lines(changes: list[dict], frozen: dict, live: dict, lang: str) -> list[str]:
    """The changes of ``diff`` as a clerk reads them, one line each (a row that a report gained or lost
    — a project off the red list — one line for the row; a project's warning reasons one line)."""
    names = {**_names(live), **_names(frozen)}
    old, new = _flat(frozen), _flat(live)
    old_rows, new_rows = _rows(old), _rows(new)
    lines: list[str] = []
    seen: set[str] = set()

    def add(line: str) -> None:
        if line not in seen:
            seen.add(line)
            lines.append(line)

    for c in changes:
        row = _row_of(c["path"], old_rows | new_rows)
        if row is not None and (row not in old_rows or row not in new_rows):
            gone = row not in new_rows
            doc = frozen if gone else live
            light = next((v for p, v in _flat(doc).items() if p == row + ".light"), None)
            what = " ".join(_path_words(row, names, lang))
            if light:
                shade = label(light, lang)
                what = f"{what}（{shade}）" if lang.startswith("zh") else f"{what} ({shade})"
            add(text(Message("diff_row_dropped" if gone else "diff_row_added", row=what), lang))
            continue
        if ".reasons" in c["path"] and row is not None and row.startswith("projects["):
            code = row[len("projects["):-1]
            add(f"{names.get(code, code)} {label('col_reasons', lang)} "
                f"{_reasons(frozen, code, lang) or '—'} → {_reasons(live, code, lang) or '—'}")
            continue
        line = readable_line(c, names, lang, old, new)
        if line is not None:
            add(line)
    return lines


def _path_words(path: str, names: dict[str, str], lang: str) -> list[str]:
    """The words of the parts of ``path`` (sections and rows), its figure left out."""
    words: list[str] = []
    parent = ""
    for name, key in _STEP.findall(path):
        if key:
            if key in names:
                words.append(names[key])
            elif parent == "categories":
                words.append(label(f"cat_{key}", lang))
            continue
        parent = name
        if name in _PART_WORDS:
            words.append(label(_PART_WORDS[name], lang))
        elif name == "progress":
            words.append(label("sec_progress", lang))
    return words


def readable_line(change: dict, names: dict[str, str], lang: str, frozen: dict[str, Any] | None = None,
                  now: dict[str, Any] | None = None) -> str | None:
    """A changed figure as a clerk reads it: the unit's (or project's) name, the figure's label in
    ``lang``, the frozen and the live value, amounts in 万 of their currency with the one amount
    formatter (``workflow.amounts``): ``县发改局 到位资金 1,210.00 → 2,710.00 万元``; rates as
    percentages, lights and stages by their labels.  ``frozen`` and ``now``: the flat reports (the
    currency of an amount not listed by currency).  None for a leaf that only names its row."""
    zh = lang.startswith("zh")
    steps = _STEP.findall(change["path"])
    words: list[str] = []
    currency: str | None = None
    figure: tuple[str, str] | None = None
    change_row: tuple[str, str] | None = None
    for i, (name, key) in enumerate(steps):
        last = i == len(steps) - 1
        parent = steps[i - 1][0] if i else ""
        if key:
            if key in _IN_WAN:
                currency = key
            elif key in names:
                words.append(names[key])
            elif parent == "categories":  # listed by place: the row's category names it
                where = change["path"][:change["path"].index(f"[{key}]") + len(key) + 2] + ".category"
                words.append(label(f"cat_{(now or {}).get(where) or (frozen or {}).get(where) or key}", lang))
            elif parent == "targets" and key in _METRIC_WORDS:
                words.append(_word(_METRIC_WORDS[key], lang))
            elif not key.isdigit() and parent not in ("reasons", "years"):
                words.append(key)
            continue
        if name == "rate" and change_row is not None:  # the change's rate: its row says so
            continue
        if name == "amount_minor":
            continue
        if name in _CHANGE_WORDS and i and steps[i - 1][0] == "changes":
            change_row = _CHANGE_WORDS[name]
            continue
        if name == "changes":
            continue
        if i and steps[i - 1][0] == "projects_by_stage":
            figure = (_stage_word(name, lang), "int")
            continue
        if name == "projects_by_stage":
            continue
        if i and steps[i - 1][0] == "actual" and name in _METRIC_WORDS:  # the evaluation's actuals
            words.append(_word(_METRIC_WORDS[name], lang))
            continue
        if name in _PART_WORDS and not last and not (name == "period" and i == 0):
            words.append(label(_PART_WORDS[name], lang))
            continue
        if name == "progress" and not last:
            words.append(label("sec_progress_category" if "categories" in change["path"] else "sec_progress", lang))
            continue
        if name in ("units", "projects", "categories", "targets", "lead_leader", "scoring"):
            if name == "lead_leader":
                words.append(label("lead_leader", lang))
            continue
        if name in _SILENT or (name == "title" and "lead_leader" not in change["path"]):
            return None
        if name == "title":
            figure = ("title", "text")
        elif name == "name" and "lead_leader" in change["path"]:
            figure = None
        elif name in _FIGURES:
            key_, kind = _FIGURES[name]
            if kind == "stage_count":
                figure = (_stage_word(key_, lang), "int")
            else:
                figure = (_word(key_, lang), kind)
        else:
            figure = (label(name, lang), "text")
    amount = change["path"].endswith(".amount_minor")
    if amount and currency is None:
        side = now if change["now"] is not None else frozen
        currency = (side or {}).get(change["path"][:-len("amount_minor")] + "currency")
    if currency == "USD" and figure is not None and figure[0] == _word("capital_in_place", lang):
        figure = (_word("foreign_capital", lang), "wan")
    kind = "wan" if amount else figure[1] if figure else "text"
    if change_row is not None:  # the changes of the comparison: its row says what changed, the figure which
        rate = change["path"].endswith(".rate")
        words.append(label(change_row[1 if rate else 0], lang))
        kind = "rate" if rate else kind
    if figure is not None and figure[0]:
        words.append(figure[0])
    if kind in ("int", "text") and isinstance(change["now"] if change["now"] is not None else change["frozen"],
                                               float):
        kind = "score"

    def shown(value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return label("yes" if value else "no", lang)
        if kind == "wan" and (isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())):
            return format_units(int(value), WAN)
        if kind == "rate" and isinstance(value, int | float):
            return format_rate(value)
        if kind == "percent" and isinstance(value, int | float):
            return f"{float(value):.1f}%"
        if kind == "score" and isinstance(value, int | float):
            return format_score(value)
        if kind == "light":
            return label(str(value), lang)
        if kind == "stage":
            return _stage_word(str(value), lang)
        return str(value)

    unit = f" {_IN_WAN[currency][1 if zh else 0]}" if kind == "wan" and currency in _IN_WAN else ""
    return f"{' '.join(w for w in words if w)} {shown(change['frozen'])} → {shown(change['now'])}{unit}"


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
