"""The city database (docs/city.md): trusted county keys, bundles loaded after their checks, reports.

A bundle is kept only when every check holds (:mod:`workflow.bundle`): a trusted key of its county
signed it, every chain, link and replayed figure holds, the digest is the signed one, and the events
the city already holds for the county are a prefix of the bundle's (a county extends its history; it
never rewrites it).  Then, in one transaction: the new events are added, the county's projects and
monthly figures are replaced by the ones its replay gives, and the load is recorded in the city's
set-up ledger.  A refused bundle changes nothing.

The figures are computed by the county reports' own code (:mod:`workflow.reports`) on the replayed
scratch copy of the county: per calendar month, the flows of the month (signed, capital in place,
investment completed, by currency) and, where a report period ends, the state at the month's end (or
the bundle's as-of date in its last month: key projects, red and yellow lights).  A city report adds
the months of its period, so a county's figures in the city are its own bulletin's for that period.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import signal
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import chain, islice
from operator import itemgetter
from typing import Any, BinaryIO

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from workflow import bundle, clock, ledger, reports, settings
from workflow.access import ADMIN, require
from workflow.bundle import EVENT_COLUMNS, iter_months, signed_bytes
from workflow.catalogue import Message
from workflow.county import CODE_LIMIT, parse_public_key, public_text, signature_holds
from workflow.db import new_sqlite_file
from workflow.errors import BadInput, IntegrityFailure, NotAllowed, NotFound, PipelineError
from workflow.periods import KINDS, Period, make_period, parse_period, parse_span
from workflow.recorders import recorder
from workflow.reports import growth_rate, rank_in_order
from workflow.reports.state import FactsByDate, snapshots
from workflow.store import insert_many
from workflow.tables import city_county as CC
from workflow.tables import city_event as CE
from workflow.tables import city_figure as CF
from workflow.tables import city_key as CK
from workflow.tables import city_project as CP
from workflow.tables import city_replica as CR
from workflow.tables import event as E
from workflow.tables import ledger as LG
from workflow.tables import project as PR
from workflow.values import identifier
from workflow.values import reason as check_reason

TRUST_ADDED = "city_trust_added"
LOADED = "city_loaded"
# How a month's figures are computed, kept in each ``city_loaded`` entry: raised whenever a version
# computes them otherwise (2: the lights of each month-end with the thresholds in force that day).  A
# newer bundle of a county whose held months another way computed recomputes every month.
FIGURES_FORMAT = 2
RANK_BY = ("signed", "capital", "investment", "key")
CURRENCIES = ("CNY", "USD")


# --- trust -------------------------------------------------------------------------------------------


def trust_add(engine: Engine, actor: str, county: str, public_key: str, reason: str | None) -> dict:
    """Trust ``public_key`` for the county (admin); recorded in the city's set-up ledger."""
    county = identifier(county, "COUNTY", CODE_LIMIT)
    key = public_text(parse_public_key(public_key))
    # a reason as every set-up ledger entry takes it (several lines allowed, at most 4000 characters):
    # the key's row keeps the very text its ledger entry holds
    reason = check_reason(reason, Message("city_trust_needs_reason"), required_=True)
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "trust a county's key")
        # one county a key: a key trusted for two could sign bundles in the other county's name
        held = conn.execute(select(CK.c.county).where(CK.c.public_key == key).limit(1)).scalar()
        if held is not None:
            raise BadInput("key_is_already_trusted", [{"county": held}], county=held)
        conn.execute(insert(CK).values(county=county, public_key=key, reason=reason, added_by=actor,
                                       added_at=clock.utcnow()))
        entry = ledger.append(conn, actor, TRUST_ADDED, county, {"public_key": key}, reason)
    return {"county": county, "public_key": key, "ledger": entry}


def trusted(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(CK.c.county, CK.c.public_key, CK.c.reason, CK.c.added_by).order_by(CK.c.county, CK.c.id)
        ).mappings()]


# --- figures from a checked county -------------------------------------------------------------------


@dataclass(frozen=True)
class _Month:
    label: str
    start: date
    end: date


STATE_KEYS = ("projects_by_stage", "key_projects", "over_100m", "red", "yellow")


@cache
def _state_months() -> frozenset[int]:
    """The calendar months a report period of some kind ends in (Feb, Mar, Apr, Jun, Aug, Sep, Oct,
    Dec): the only month-ends, besides a bundle's as-of date, whose state a city report reads."""
    ends = set()
    for kind in KINDS:
        for index in range(1, 13):
            try:
                ends.add(make_period(kind, 2000, index).end.month)
            except ValueError:
                break
    return frozenset(ends)


def monthly_figures(engine: Engine, as_of: date, since: date | None = None) -> list[tuple[str, date, dict]]:
    """(YYYY-MM, as-of, figures) of every month from the first effective date (or ``since``'s month,
    if later) to ``as_of``: the totals of ``reports.bulletin`` for the month cut at its end (or at
    ``as_of``), with the same code.  The state at the cut (``STATE_KEYS``: stages, key projects,
    lights) is computed, and stored, only where a report period ends and in ``as_of``'s month, the
    only states a city report reads (:func:`_period_figures`); other months hold their flows alone."""

    out: list[tuple[str, date, dict]] = []
    with reports._read(engine) as conn:
        first = conn.execute(select(func.min(E.c.effective_on))).scalar()
        if first is None:
            return out
        first = reports._as_date(first)
        if first is None or first > as_of:
            return out
        lights = settings.InForceByDate(conn, settings.LIGHT_PREFIX)  # the thresholds in force at each month-end
        if since is not None and since > first:
            first = since
        windows: list[Any] = [reports.Window(_Month(label, start, end), min(end, as_of))  # type: ignore[arg-type]
                              for label, start, end in iter_months(first, as_of)]
        flows = reports._flows(conn, windows, None)  # every month's flows in one statement per kind
        ends = _state_months()
        facts = FactsByDate(conn)  # the states at the month-ends in one pass over the history
        for w, flow in zip(windows, flows, strict=True):
            t = lights.thresholds(w.as_of)  # as the county's report of the month-end takes them
            state = w.as_of == as_of or w.as_of.month in ends
            snaps = snapshots(conn, w.as_of, t, reasons=False, facts=facts) if state else []
            figs = reports._figures_by_unit(conn, w, None, t, snaps=snaps, flows=flow)
            f = reports.figures_json(reports._sum_figures(figs.values()))
            if not state:
                f = {k: v for k, v in f.items() if k not in STATE_KEYS}
            out.append((w.period.label, w.as_of, f))
    return out


# --- load ----------------------------------------------------------------------------------------------


# A city database made on SQLite has pages of 64 KiB (``city init``, :func:`new_city_file`), not
# SQLite's 4 KiB: a load writes a bundle's thousands of events, some 430 bytes each, into the
# write-ahead log and then into the file at its checkpoint, a page at a time; in sixteen times fewer
# pages the loading process's part of a load of 100 counties took about a quarter less CPU
# (docs/city.md, "The city database").
PAGE_SIZE = 65536


def new_city_file(url: str) -> bool:
    """Make a new SQLite city database's file in the city's pages (:data:`PAGE_SIZE`), before its schema
    is made; nothing for an existing database or another engine (``workflow.db.new_sqlite_file``)."""
    return new_sqlite_file(url, PAGE_SIZE)


def _check_trust(conn: Any, b: Any) -> None:
    keys = [k for (k,) in conn.execute(select(CK.c.public_key).where(CK.c.county == b.county))]
    if not keys:
        raise NotAllowed("county_no_key_of", [{"county": b.county}], county=b.county)
    if b.public_key not in keys:
        raise NotAllowed("county_bundle_is_signed", [{"county": b.county}], county=b.county, public_key=b.public_key)
    if signed_bytes(b.signed) != b.signed_text.encode("utf-8") or \
            not signature_holds(b.signed_text.encode("utf-8"), b.signature, b.public_key):
        raise IntegrityFailure("county_bundle_signature_does", [{"county": b.county}], county=b.county)


def _check_prefix(conn: Any, b: Any) -> int:
    """The number of events the city already holds for the county; IntegrityFailure naming the first
    stored event the bundle does not repeat unchanged (a rewritten or shortened history).

    Compares one event a project (:func:`_prefix_plan`, then :func:`_heads_hold`): the head the city
    holds (``city_project.head_seq``) must be in the bundle with the same id and hash, the bundle's
    events up to those heads must be as many as the city holds and come before every newer one.  The
    bundle's chains are verified before anything is kept (:func:`workflow.bundle.checked`) and each
    hash covers its ``prev_hash``, so an equal head means an equal chain up to it.  Anything else
    falls back to reading every stored event, which names the first one that differs."""
    held = conn.execute(select(CC.c.events).where(CC.c.code == b.county)).scalar()
    if not held:
        return _scan_prefix(conn, b)
    plan = _prefix_plan(b, _heads(conn, b.county), held)
    if plan is None or not _heads_hold(conn, b.county, plan):
        return _scan_prefix(conn, b)
    return held


def _heads(conn: Any, county: str) -> dict[str, int]:
    """project code -> the seq of the newest event the city holds of it (its head)."""
    return dict(conn.execute(select(CP.c.code, CP.c.head_seq).where(CP.c.county == county)).all())


def _prefix_plan(b: Any, heads: dict[str, int], held: int) -> dict[int, tuple[str, int, str, int]] | None:
    """The part of the prefix check that needs only the bundle and the city's heads (``heads``,
    ``held`` events): the bundle's events up to the heads are ``held`` in number, every project of
    ``heads`` has its head in the bundle, and every newer event comes after them (by id).  Returns
    the bundle's head events (id -> (code, seq, hash, project id)) for :func:`_heads_hold` to find in
    the city, or None where the bundle is not laid out that way."""
    old, last_old, first_new, at_head = 0, -1, None, {}
    for e in b.events:
        head = heads.get(e[2])
        if head is not None and e[3] <= head:
            old += 1
            last_old = max(last_old, e[0])
            if e[3] == head:
                at_head[e[0]] = (e[2], e[3], e[14], e[1])
        elif first_new is None or e[0] < first_new:
            first_new = e[0]
    if old != held or len(at_head) != len(heads) or (first_new is not None and first_new < last_old):
        return None
    return at_head


def _heads_hold(conn: Any, county: str, at_head: dict[int, tuple[str, int, str, int]]) -> bool:
    """Whether the city holds each of ``at_head``'s events (id -> (code, seq, hash, project id)) as it is
    there (a project id is not hashed: it is compared, as every held event's is by :func:`_scan_prefix`)."""
    wanted = dict(at_head)
    ids = sorted(wanted)
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        for eid, code, seq, digest, pid in conn.execute(select(
                CE.c.id, CE.c.project_code, CE.c.seq, CE.c.hash, CE.c.project_id).where(
                CE.c.county == county, CE.c.id.in_(chunk))):
            if wanted.pop(eid) != (code, seq, digest, pid):
                return False
    return not wanted  # none the city does not hold under that id


def _scan_prefix(conn: Any, b: Any) -> int:
    """:func:`_check_prefix` by reading every event the city holds for the county, in id order."""
    stored = conn.execute(select(CE.c.id, CE.c.project_code, CE.c.seq, CE.c.hash, CE.c.project_id)
                          .where(CE.c.county == b.county).order_by(CE.c.id)).all()
    for i, (eid, code, seq, digest, pid) in enumerate(stored):
        new = b.events[i] if i < len(b.events) else None
        if new is None or new[0] != eid or new[14] != digest or new[1] != pid:
            what = Message("cityload_held_event_missing" if new is None else "cityload_held_event_differs")
            raise IntegrityFailure(
                "county_bundle_refused_nothing_was",
                [{"county": b.county, "code": code, "seq": seq,
                  "id": eid}], county=b.county, code=code, seq=seq, eid=eid, what=what)
    return len(stored)


def _refigure_from(conn: Any, b: Any, new: list[tuple]) -> date | None:
    """The first day whose month's figures a newer bundle of a county the city holds can change
    (None: every month, as on a first load): :func:`_refigure_since` with the county's head and its
    held events as the city keeps them."""
    head = conn.execute(select(CC.c.as_of, CC.c.signed, CC.c.ledger_entries)
                        .where(CC.c.code == b.county)).first()
    if head is None:
        return None

    def held_on(code: str, seq: int) -> date | None:
        found = conn.execute(select(CE.c.effective_on).where(
            CE.c.county == b.county, CE.c.project_code == code, CE.c.seq == seq)).scalar()
        return None if found is None else _day(found)

    return _refigure_since(b, new, _day(head[0]), head[1], head[2], held_on,
                           _figures_format(_newest_load(conn, b.county)[1]))


def _figures_format(payload: Any) -> int | None:
    """The ``FIGURES_FORMAT`` a ``city_loaded`` entry's months were computed by (None: before it was kept)."""
    try:
        found = json.loads(payload).get("figures") if payload else None
    except (ValueError, TypeError, AttributeError):
        return None
    return found if isinstance(found, int) else None


def _refigure_since(b: Any, new: list[tuple], held_as_of: date, held_signed: str, held_ledger: int,
                    held_on: Callable[[str, int], date | None], held_figures: int | None) -> date | None:
    """The first day whose month's figures ``new`` (a newer bundle's events after the held ones) can
    change, given the held bundle's as-of date, signed document and ledger count, and ``held_on``
    (the effective date of a held event, by project code and seq; None when the city holds no such
    event).  A month's figures are computed from the events effective up to its end, so the months
    before the earliest new event's effective date (or the date of an amount a new correction
    corrects) keep their figures, and so does every month before the held bundle's as-of date, unless
    the figures' other inputs changed: the directory (units, rules, settings, thresholds) or the set-up
    ledger, or the as-of date moved back, or the held months were computed another way
    (``held_figures``, :data:`FIGURES_FORMAT`).  None: every month."""
    if json.loads(held_signed).get("directory") != b.signed.get("directory") or held_ledger != len(b.ledger) \
            or b.as_of < held_as_of or held_figures != FIGURES_FORMAT:
        return None
    since = held_as_of.replace(day=1)
    on, payload = EVENT_COLUMNS.index("effective_on"), EVENT_COLUMNS.index("payload")
    corrected: set[tuple[str, int]] = set()
    for e in new:
        since = min(since, date.fromisoformat(str(e[on])[:10]))
        if e[4] == "correction":
            try:
                target = json.loads(e[payload]).get("corrects")
            except (TypeError, ValueError, AttributeError):
                return None  # the replay refused it already; never guess
            corrected.add((e[2], target))
    for code, target in corrected:
        if not isinstance(target, int):
            return None
        found = held_on(code, target)
        if found is None:  # the corrected event is new too: its date is already counted
            continue
        since = min(since, found)
    return since.replace(day=1)


def load(engine: Engine, actor: str, path: Any) -> dict:
    """Check one bundle and keep it (see the module docstring); returns what was loaded.  A newer
    bundle of a county the city holds recomputes only the months its new events can change
    (:func:`_refigure_from`)."""

    return _one_bundle(_load, engine, actor, path)


def _load(engine: Engine, actor: str, path: Any) -> dict:
    b = bundle.read(path)
    with engine.connect() as conn:
        require(conn, actor, ADMIN, "load county bundles")
        entry = _newest_load(conn, b.county)[0]  # read first: a load of the county kept after it is seen
        _check_trust(conn, b)
        held = _check_prefix(conn, b)
        since = _refigure_from(conn, b, b.events[held:])
        base = _held_replica(conn, b.county, held) if held and since is not None else None
        digest = conn.execute(select(CC.c.digest).where(CC.c.code == b.county)).scalar() if held else None
    copy = io.BytesIO()
    done = _figured(b, actor, base, since, copy, (digest, held) if digest else None)
    assert done is not None  # refused, not left: there is no one else to leave it to

    def unchanged(conn: Any) -> bool:  # no other load of this county kept in between (each writes an entry)
        return _newest_load(conn, b.county)[0] == entry

    # a newer bundle's new events (a month's: few) are stored as rows, a whole history is copied from the
    # file; let go before storing (memory): the rows of every event, the held copy
    new = b.events[held:] if held else None
    b.events, base = [], None
    return _store(engine, actor, path, b, held, since, done, copy.getvalue(), unchanged, new)


@dataclass
class _Figured:
    """What the checks of a bundle give the city: its monthly figures and project rows, and the
    SHA-256 of its replayed copy as written."""

    figures: list[tuple[str, date, dict]]
    projects: list[dict]
    replica_sha256: str
    replayed: int  # the projects replayed (all of them, unless the checks began from the held copy)


def _figured(b: Any, actor: str, base: bundle.Replica | None, since: date | None, out: BinaryIO,
             extends: tuple[str, int] | None = None, *, leave: bool = False) -> _Figured | None:
    """Check ``b`` (on the held copy ``base``, if any), compute its months from ``since``'s (None: every
    month) and write its replayed copy, compressed, to ``out``.  ``extends``: the held bundle's digest
    and events, which ``b``'s history must pass through (:class:`workflow.bundle.checked`), else it is
    refused, or with ``leave`` None (a worker leaves it to the loading process, whose prefix check
    names a held event that differs before this refusal says the set-up ledger does)."""
    with bundle.checked(b, actor=actor, base=base, extends=extends) as result:
        if extends is not None and result.extends_at != extends[1]:
            if leave:
                return None
            raise bundle.not_extending(b, extends)
        figures = monthly_figures(result.engine, b.as_of, since)
        projects = _project_rows(result.engine)
        sha = result.write_replica(out)  # the last use of the scratch copy
    return _Figured(figures, projects, sha, result.replayed)


# --- the replayed copy the city keeps of each county ---------------------------------------------------


def _newest_load(conn: Any, county: str) -> tuple[int, Any]:
    """(seq, payload) of the county's newest ``city_loaded`` ledger entry; (0, None) for none (a
    county the city holds no event of: its head is only ever written with such an entry)."""
    row = conn.execute(select(LG.c.seq, LG.c.payload).where(LG.c.kind == LOADED, LG.c.target == county)
                       .order_by(LG.c.seq.desc()).limit(1)).first()
    return (int(row[0]), row[1]) if row is not None else (0, None)


def _held_replica(conn: Any, county: str, held: int) -> bundle.Replica | None:
    """The replayed copy of ``county`` the city keeps, when it can be trusted to be the one the
    newest load of the county made: its SHA-256 is the one that load's ``city_loaded`` ledger entry
    holds, it was made with this schema and format (``bundle.REPLICA_MADE_BY``) and of the ``held``
    events.  Else None: the newer bundle is then replayed whole, as a first load is (nothing is
    refused for a replica)."""
    row = conn.execute(select(CR.c.sha256, CR.c.schema_revision, CR.c.events, CR.c.content)
                       .where(CR.c.county == county)).first()
    if row is None or row[1] != bundle.REPLICA_MADE_BY or row[2] != held:
        return None
    entry = _newest_load(conn, county)[1]
    try:
        recorded = json.loads(entry).get("replica") if entry else None
    except (ValueError, TypeError, AttributeError):
        return None
    content = bytes(row[3])
    if recorded != row[0] or hashlib.sha256(content).hexdigest() != recorded:
        return None
    return bundle.Replica(content, held)


def _one_bundle(work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)``, one bundle's reading, checks, figures or storing, with the cyclic garbage
    collector paused, and a collection once it has returned.  A bundle's work allocates its rows by
    the ten thousand, all alive until it ends; each automatic collection on the way would walk them
    again for nothing (some 5 to 10 per cent of its CPU time).  What the bundle leaves is freed as
    before: by reference counting as it goes, and its cycles (the scratch copy's engine and pool) by
    the collection after ``work``'s frame is gone, so memory stays that of one bundle.  That collection
    is of the youngest generation alone: with the collector paused, everything the bundle allocated is
    still there (a full collection would also walk every object the process holds: some 0.04 to
    0.07 s a bundle for nothing)."""
    if not gc.isenabled():
        return work(*args)
    gc.disable()
    try:
        return work(*args)
    finally:
        gc.enable()
        gc.collect(0)


_PROJECT_COLUMNS = ("code", "name", "investor", "unit_code", "stage", "key", "planned_investment_minor",
                    "registered_on", "head_seq")


def _project_rows(scratch: Engine) -> list[dict]:
    """The ``city_project`` columns of the replayed project rows of a checked scratch copy, by id (the
    county column is added on store)."""
    with scratch.connect() as conn:
        rows = conn.execute(select(*(PR.c[c] for c in _PROJECT_COLUMNS)).order_by(PR.c.id)).all()
    return [{**dict(zip(_PROJECT_COLUMNS, r, strict=True)), "key": bool(r[5])} for r in rows]


def _store(engine: Engine, actor: str, path: Any, b: Any, held: int, since: date | None, done: _Figured,
           replica: bytes, unchanged: Callable[[Any], bool], new: list[tuple] | None = None) -> dict:
    """Keep a checked bundle in one transaction: its new events (the bundle's events after the ``held``
    ones: ``new``, as rows, or else copied from its file: :func:`workflow.bundle.insert_events`),
    projects, changed months, head and replayed copy (``replica``, compressed), if
    ``unchanged(conn)``: the city still holds of the county what the checks were made against (else
    refused: another load of it came in between).  Loads take turns from that check on (the ledger's
    lock: the write transaction on SQLite)."""
    figures, projects, events = done.figures, done.projects, b.stored
    with engine.begin() as conn:
        recorder(conn).serialize(conn, ledger.LEDGER_LOCK)
        if not unchanged(conn):
            raise IntegrityFailure("county_another_bundle_of", county=b.county)
        if new is None:
            added = bundle.insert_events(conn, CE, b, EVENT_COLUMNS, after=held, const={"county": b.county})
        else:
            insert_many(conn, CE, [(b.county, *r) for r in bundle.typed_events(CE, new, EVENT_COLUMNS)],
                        keys=("county", *EVENT_COLUMNS))
            added = len(new)
        conn.execute(delete(CP).where(CP.c.county == b.county))
        values = itemgetter(*_PROJECT_COLUMNS)
        insert_many(conn, CP, [(b.county, *values(p)) for p in projects], keys=("county", *_PROJECT_COLUMNS))
        stale = delete(CF).where(CF.c.county == b.county)
        if since is not None:
            stale = stale.where(CF.c.month >= f"{since.year:04d}-{since.month:02d}")
        conn.execute(stale)
        insert_many(conn, CF, [(b.county, m, on, json.dumps(f, sort_keys=True, ensure_ascii=False))
                               for m, on, f in figures], keys=("county", "month", "as_of", "figures"))
        head = {"name": b.name, "digest": b.digest, "as_of": b.as_of, "events": events,
                "projects": len(projects), "ledger_entries": len(b.ledger), "public_key": b.public_key,
                "signed": b.signed_text, "signature": b.signature, "loaded_at": clock.utcnow(), "loaded_by": actor}
        if conn.execute(select(CC.c.code).where(CC.c.code == b.county)).first():
            conn.execute(update(CC).where(CC.c.code == b.county).values(**head))
        else:
            conn.execute(insert(CC).values(code=b.county, **head))
        kept = {"sha256": done.replica_sha256, "schema_revision": bundle.REPLICA_MADE_BY, "events": events,
                "content": replica}
        if conn.execute(select(CR.c.county).where(CR.c.county == b.county)).first():
            conn.execute(update(CR).where(CR.c.county == b.county).values(**kept))
        else:
            conn.execute(insert(CR).values(county=b.county, **kept))
        entry = ledger.append(conn, actor, LOADED, b.county,
                              {"digest": b.digest, "as_of": b.as_of.isoformat(), "events": events,
                               "new_events": added, "replica": done.replica_sha256, "figures": FIGURES_FORMAT})
    return {"file": str(path), "county": b.county, "name": b.name, "digest": b.digest, "as_of": b.as_of.isoformat(),
            "events": events, "new_events": added, "projects": len(projects),
            "projects_replayed": done.replayed, "months_computed": len(figures), "ledger": entry}


# --- many bundles: checked in worker processes, kept in order by this one ------------------------------


DEFAULT_WORKERS = 2


@dataclass
class Held:
    """What the city holds of a county, for a worker that checks a newer bundle of it without the city
    database: read by the loading process as of the county's newest ``city_loaded`` ledger entry
    (``entry``), which the bundle is kept against only if it is still the newest then."""

    county: str
    entry: int
    events: int
    heads: dict[str, int]  # project code -> the seq of its newest event the city holds
    as_of: date
    signed: str  # the held bundle's signed document
    ledger_entries: int
    replica_file: str | None  # the held replayed copy, compressed, in the load's folder (None: not usable)
    replica_sha256: str | None
    figures: int | None = None  # the FIGURES_FORMAT the held months were computed by

    def replica(self) -> bundle.Replica | None:
        """The held copy from its file, removed once read; None when the file is not the copy handed
        over (changed in the load's folder): the bundle is then replayed whole, as without a copy."""
        if self.replica_file is None:
            return None
        with open(self.replica_file, "rb") as f:
            content = f.read()
        os.unlink(self.replica_file)
        if hashlib.sha256(content).hexdigest() != self.replica_sha256:
            return None
        return bundle.Replica(content, self.events)


@dataclass
class Prepared:
    """What a worker found of a bundle: the SHA-256 of the bytes it read and checked, and the figures
    and project rows their replay gives.  Nothing of the city's; the events are not sent back: the
    main process reads them again from the file and keeps them only if the file's hash is this one.
    For a newer bundle of a county the city holds, what it was checked against: ``entry`` (the
    county's newest ``city_loaded`` ledger entry then; 0 for a first load), the ``held`` events and
    the bundle's events at the city's heads (id -> (code, seq, hash, project id)), which the city must
    still hold as they are."""

    sha256: str
    county: str
    done: _Figured
    replica_file: str  # the replayed copy, compressed, in the load's folder (read, then removed, on store)
    held: int = 0
    since: date | None = None
    entry: int = 0
    at_head: dict[int, tuple[str, int, str, int]] = field(default_factory=dict)

    @property
    def projects(self) -> list[dict]:
        return self.done.projects


def prepare(path: Any, actor: str, replica_file: str, held: Held | None = None,
            county: str | None = None) -> Prepared | None:
    """Read, check and figure a bundle (in a worker process): the steps of :func:`load` that need no
    city database, for a county the city does not hold yet, or (``held``) a newer bundle of one it
    does, on the copy it keeps; the replayed copy is written to ``replica_file`` (not sent back whole:
    the loading process reads one copy at a time, memory).  Raises as :func:`load` does; None when a
    newer bundle does not extend ``held`` as the prefix check expects, or when the bundle read is not
    of ``county`` (the county its head named when the load chose it: the file was replaced since);
    the loading process then loads it itself, as a load of it alone would (a refusal names the
    first event that differs)."""
    return _one_bundle(_prepare, path, actor, replica_file, held, county)


def _prepare(path: Any, actor: str, replica_file: str, held: Held | None, county: str | None) -> Prepared | None:
    b = bundle.read(path)
    if county is not None and b.county != county:
        return None
    if held is None:
        with open(replica_file, "xb") as out:
            done = _figured(b, actor, None, None, out)
        assert done is not None  # nothing to extend: never left
        return Prepared(b.sha256, b.county, done, replica_file)
    at_head = _prefix_plan(b, held.heads, held.events) if b.county == held.county else None
    if at_head is None:
        return None
    # the bundle's first events are the ones the city holds (the prefix check): their dates are the city's
    held_on = {(e[2], e[3]): e[EVENT_COLUMNS.index("effective_on")] for e in b.events[:held.events]}
    since = _refigure_since(b, b.events[held.events:], held.as_of, held.signed, held.ledger_entries,
                            lambda code, seq: _day(held_on[code, seq]) if (code, seq) in held_on else None,
                            held.figures)
    base = held.replica() if since is not None else None
    with open(replica_file, "xb") as out:
        done = _figured(b, actor, base, since, out, (json.loads(held.signed)["digest"], held.events), leave=True)
    if done is None:
        os.unlink(replica_file)
        return None
    return Prepared(b.sha256, b.county, done, replica_file, held.events, since, held.entry, at_head)


def _hand_over(engine: Engine, county: str, replica_file: str) -> Held | None:
    """What a worker needs of a county the city holds (:class:`Held`), its usable copy written to
    ``replica_file``; None when another load of the county came in while it was read."""
    with engine.connect() as conn:
        entry, payload = _newest_load(conn, county)
        head = conn.execute(select(CC.c.events, CC.c.as_of, CC.c.signed, CC.c.ledger_entries)
                            .where(CC.c.code == county)).first()
        if head is None or not entry:
            return None
        heads = _heads(conn, county)
        replica = _held_replica(conn, county, head[0])
        if _newest_load(conn, county)[0] != entry:
            return None
    sha = None
    if replica is not None:
        with open(replica_file, "xb") as out:
            out.write(replica.content)
        sha = hashlib.sha256(replica.content).hexdigest()
    return Held(county, entry, head[0], heads, _day(head[1]), head[2], head[3],
                replica_file if replica is not None else None, sha, _figures_format(payload))


def _store_prepared(engine: Engine, actor: str, path: Any, p: Prepared) -> dict:
    """Keep a bundle a worker checked: read it here again and keep it only if the bytes read are the
    ones the worker checked (SHA-256), a trusted key signed it, and the city holds of its county what
    the worker checked it against (no event, for a first load; else the same newest load, whose head
    events the bundle repeats).  A newer bundle whose head events differ is loaded here, as
    :func:`load` does (its refusal names the first event that differs)."""
    doc = _one_bundle(_keep_prepared, engine, actor, path, p)
    return doc if doc is not None else load(engine, actor, path)


def _keep_prepared(engine: Engine, actor: str, path: Any, p: Prepared) -> dict | None:
    b = bundle.read(path, events=False)  # its events left in the file's image, copied from it as stored (memory)
    if b.sha256 != p.sha256 or b.county != p.county:  # not the bytes the worker checked
        raise IntegrityFailure("cityload_file_changed", [{"county": p.county}], county=p.county, path=path)
    with open(p.replica_file, "rb") as f:
        content = f.read()
    os.unlink(p.replica_file)
    if hashlib.sha256(content).hexdigest() != p.done.replica_sha256:  # the load's own folder, changed meanwhile
        raise IntegrityFailure("cityload_file_changed", [{"county": p.county}], county=p.county,
                               path=p.replica_file)

    def unchanged(conn: Any) -> bool:
        return _newest_load(conn, b.county)[0] == p.entry

    with engine.connect() as conn:
        _check_trust(conn, b)
        if not unchanged(conn):
            raise IntegrityFailure("county_another_bundle_of", county=b.county)
        if p.entry and not _heads_hold(conn, b.county, p.at_head):
            return None
    return _store(engine, actor, path, b, p.held, p.since, p.done, content, unchanged)


def _for_workers(engine: Engine, actor: str, paths: list[Any]) -> Iterator[tuple[int, str, bool]]:
    """The bundles a worker may check, in the load's order: each one's position, its county's code and
    whether the city holds the county (as the load began): a well-formed head, signed by a key the city
    trusts, of a county no earlier file of the load names.  Every other bundle (a malformed or
    untrusted file, or a county's second bundle, which extends its first only once that is kept) is
    loaded by :func:`load` at its turn, so its refusal is the one a load of it alone gives.  The heads
    are read as the workers ask for bundles: the first ones are checked while the others' are read."""
    with engine.connect() as conn:
        require(conn, actor, ADMIN, "load county bundles")
        held = {c for (c,) in conn.execute(select(CC.c.code))}
    named: set[str] = set()
    for i, path in enumerate(paths):
        try:
            head = bundle.read_head(path)
        except PipelineError:
            continue
        if head.county in named:
            continue
        named.add(head.county)
        try:
            with engine.connect() as conn:
                _check_trust(conn, head)
        except PipelineError:
            continue
        yield i, head.county, head.county in held


def _leave_interrupts_to_the_loader() -> None:
    """A worker process ignores Ctrl-C (SIGINT, sent to the whole process group): the loading process
    alone is interrupted, drops the work not begun, waits for the bundles being checked and removes
    their files (docs/city.md, "Loading many bundles"); a worker interrupted on its own would print
    its traceback and leave its scratch copy behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def load_many(engine: Engine, actor: str, paths: list[Any], *, workers: int = DEFAULT_WORKERS,
              loaded: Callable[[dict], None] | None = None) -> list[dict]:
    """Load bundles in the order given, as :func:`load` of each in turn would (docs/city.md, "Loading
    many bundles"), with the bundles read, checked and figured by ``workers`` processes ahead of
    their turn: first loads of new counties, and newer bundles of counties the city holds (handed
    what the city holds of the county, :class:`Held`).  Every write to the city is made here, in
    order, one transaction a bundle; the first refused bundle stops the load: the ones before it are
    kept, it and the ones after it are not.  ``loaded`` is called with each bundle's result as soon
    as it is kept."""
    paths = list(paths)
    ahead = _for_workers(engine, actor, paths) if workers > 1 and len(paths) > 1 else iter(())
    first = list(islice(ahead, 2))  # workers only for two bundles or more
    out: list[dict] = []

    def keep(doc: dict) -> None:
        out.append(doc)
        if loaded is not None:
            loaded(doc)

    if len(first) < 2:
        for path in paths:
            keep(load(engine, actor, path))
        return out
    pending: dict[int, Future] = {}
    queue = chain(first, ahead)
    n = min(workers, len(paths))  # a forked pool starts all its processes at once: none without a bundle
    # Forked workers share this process's objects: frozen, no collection in a worker copies their pages.
    # A caller that had frozen objects (the command line freezes what its start-up loaded) keeps them
    # frozen, and what the load froze with them: gc unfreezes all or nothing, and unfreezing all would
    # have the process's exit walk its whole heap again (about 0.1 s of a `city load`).
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    pool = ProcessPoolExecutor(max_workers=n, initializer=_leave_interrupts_to_the_loader)
    copies = tempfile.TemporaryDirectory(prefix="pipeline-city-copies-")  # the replayed copies, both ways

    def hand_out() -> None:
        # one bundle a worker at a time, and one more waiting, for the first worker done to take at once
        # (a worker's result is its figures and project rows, never its events: memory)
        while len(pending) < n + 1 and (taken := next(queue, None)) is not None:
            nxt, county, holds = taken
            held = None
            if holds:  # a county the city holds: what the worker needs of it
                held = _hand_over(engine, county, os.path.join(copies.name, f"{nxt}.held.zlib"))
                if held is None:
                    continue  # loaded here at its turn
            pending[nxt] = pool.submit(prepare, paths[nxt], actor, os.path.join(copies.name, f"{nxt}.zlib"),
                                       held, county)

    try:
        hand_out()
        for i, path in enumerate(paths):
            prepared = pending.pop(i).result() if i in pending else None
            hand_out()  # the worker that checked it takes the next bundle while this one is stored
            keep(_store_prepared(engine, actor, path, prepared) if prepared is not None else load(engine, actor, path))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        copies.cleanup()
        if not frozen_before:
            gc.unfreeze()
    return out


# --- reports -------------------------------------------------------------------------------------------


def _counties(conn: Any) -> list[dict]:
    return [dict(r) for r in conn.execute(
        select(CC.c.code, CC.c.name, CC.c.digest, CC.c.as_of, CC.c.events).order_by(CC.c.code)).mappings()]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _money(f: dict, key: str) -> dict[str, int]:
    return {m["currency"]: int(m["amount_minor"]) for m in f[key]}


def _zero() -> dict[str, Any]:
    return {"signed": 0, "capital": dict.fromkeys(CURRENCIES, 0), "investment": dict.fromkeys(CURRENCIES, 0),
            "key": 0, "red": 0, "yellow": 0}


def _period_figures(months: dict[str, tuple[date, dict]], period: Any, as_of: date) -> dict:
    """A county's figures for ``period``: the months' flows added, the state at the period's end (or
    the as-of date, whichever is earlier).  A county whose as-of date lies before the period has not
    reported for it: zeros, its state too (never the state of an earlier date)."""
    out = _zero()
    if as_of < period.start:
        return out
    for label, (_on, f) in months.items():
        y, m = int(label[:4]), int(label[5:])
        if period.start <= date(y, m, 1) <= period.end:
            out["signed"] += f["signed"]
            for k, src in (("capital", "capital_in_place"), ("investment", "investment_completed")):
                for c, v in _money(f, src).items():
                    out[k][c] = out[k].get(c, 0) + v
    cut = min(period.end, as_of)
    state = months.get(f"{cut.year:04d}-{cut.month:02d}")
    if state is not None:
        out["key"], out["red"], out["yellow"] = state[1]["key_projects"], state[1]["red"], state[1]["yellow"]
    return out


def _months(conn: Any, county: str) -> dict[str, tuple[date, dict]]:
    return {m: (_day(on), json.loads(f)) for m, on, f in conn.execute(
        select(CF.c.month, CF.c.as_of, CF.c.figures).where(CF.c.county == county))}


def _metric(f: dict, by: str) -> int:
    return int(f["capital"]["CNY"] if by == "capital" else f["investment"]["CNY"] if by == "investment" else f[by])


def _one_period(period_text: str, lang: str) -> Period:
    """The one period a city report takes: a span, even a well-formed one, is refused as one, and so is
    a period that has not begun."""
    if isinstance(period_text, str) and ".." in unicodedata.normalize("NFKC", period_text):
        span = parse_span(period_text, lang=lang)
        if not isinstance(span, Period):  # 2026..2026 is the one period 2026
            raise BadInput("period_give_one_period", period_text=period_text)
        period = span
    else:
        period = parse_period(period_text, lang=lang)
    reports.make_window(period, lang=lang)  # a period that has not begun is refused, as by the county reports
    return period


def _year_to_date(period: Period) -> _Month:
    """1 January of the period's year to the period's end (累计)."""
    return _Month(f"{period.start.year:04d}-01..{period.label}", date(period.start.year, 1, 1), period.end)


def _growth(now: dict, before: dict, reported: bool = True) -> dict:
    """The growth of signed, capital and investment on ``before``; none where the county has not
    ``reported`` for the span (its as-of date lies before it: zeros, not a fall of 100%)."""
    return {k: growth_rate(_metric(now, k), _metric(before, k)) if reported else None
            for k in ("signed", "capital", "investment")}


def _total(figures: list[dict]) -> dict:
    into = _zero()
    for f in figures:
        for k, v in f.items():
            if isinstance(v, dict):
                for cur, n in v.items():
                    into[k][cur] = into[k].get(cur, 0) + n
            else:
                into[k] += v
    return into


def _rank(rows: list[dict], key: str, by: str, reported: Callable[[dict], bool]) -> None:
    """Sort ``rows`` by their ``key`` figures' ``by``, largest first (then by county code), and rank
    them; counties with equal figures share a rank (并列), as the county's evaluation ranks units.  A
    county that has not ``reported`` for the span (its as-of date lies before it) has no rank (None):
    its zeros are not a figure to rank; it is listed after the ranked counties, by code."""
    rows.sort(key=lambda r: (not reported(r), -_metric(r[key], by), r["county"]))
    ranked = [r for r in rows if reported(r)]
    rank_in_order(ranked, lambda r: _metric(r[key], by))
    for r in rows[len(ranked):]:
        r["rank"] = None


def _check_by(by: str) -> None:
    if by not in RANK_BY:
        raise BadInput("by_is_not_one", by=by, rank_by=list(RANK_BY))


def ranking(engine: Engine, period_text: str, *, by: str = "capital", lang: str = "en") -> dict:
    """Per county: the period's figures, the same period a year before, growth, and the rank by ``by``."""
    _check_by(by)
    period = _one_period(period_text, lang)
    before = period.year_before()
    rows = []
    with engine.connect() as conn:
        for c in _counties(conn):
            as_of = _day(c["as_of"])
            months = _months(conn, c["code"])
            now = _period_figures(months, period, as_of)
            prev = _period_figures(months, before, as_of)
            begun = as_of >= period.start
            rows.append({"county": c["code"], "name": c["name"], "as_of": as_of.isoformat(), "digest": c["digest"],
                         "begun": begun, "figures": now, "previous": prev, "growth": _growth(now, prev, begun)})
    _rank(rows, "figures", by, lambda r: r["begun"])
    # the total is compared with the year before of the counties that have reported for the period
    total, total_prev = _total([r["figures"] for r in rows]), _total([r["previous"] for r in rows if r["begun"]])
    return {"report": "city_ranking", "period": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "previous_period": before.label, "by": by, "counties": rows,
            "total": {"figures": total, "previous": total_prev, "growth": _growth(total, total_prev)}}


def bulletin(engine: Engine, period_text: str, *, by: str = "capital", lang: str = "en") -> dict:
    """The city's bulletin of a period: per county the period's own figures, the year to date (累计, 1
    January to the period's end), the same span of the previous year and the change on it (同比), ranked
    by the year to date; and the city's totals."""
    _check_by(by)
    period = _one_period(period_text, lang)
    ytd, ytd_before = _year_to_date(period), _year_to_date(period.year_before())
    rows, compared = [], []  # compared: the year before of the counties that have reported for the span
    with engine.connect() as conn:
        for c in _counties(conn):
            as_of = _day(c["as_of"])
            months = _months(conn, c["code"])
            now = _period_figures(months, ytd, as_of)
            prev = _period_figures(months, ytd_before, as_of)
            reported = as_of >= ytd.start
            if reported:
                compared.append(prev)
            rows.append({"county": c["code"], "name": c["name"], "as_of": as_of.isoformat(), "digest": c["digest"],
                         "begun": as_of >= period.start, "period_figures": _period_figures(months, period, as_of),
                         "year_to_date": now, "year_to_date_before": prev, "growth": _growth(now, prev, reported)})
    _rank(rows, "year_to_date", by, lambda r: _day(r["as_of"]) >= ytd.start)
    total = {k: _total([r[k] for r in rows]) for k in ("period_figures", "year_to_date")}
    total["year_to_date_before"] = _total(compared)
    total["growth"] = _growth(total["year_to_date"], total["year_to_date_before"])
    return {"report": "city_bulletin", "period": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "year_to_date": {"start": ytd.start.isoformat(), "end": ytd.end.isoformat()},
            "year_to_date_before": {"start": ytd_before.start.isoformat(), "end": ytd_before.end.isoformat()},
            "by": by, "counties": rows, "total": total}


def board(engine: Engine) -> dict:
    """Red and yellow lights per county, as of each county's bundle date."""
    rows = []
    with engine.connect() as conn:
        for c in _counties(conn):
            as_of = _day(c["as_of"])
            state = _months(conn, c["code"]).get(f"{as_of.year:04d}-{as_of.month:02d}")
            f = state[1] if state else {"red": 0, "yellow": 0, "key_projects": 0}
            rows.append({"county": c["code"], "name": c["name"], "as_of": as_of.isoformat(), "digest": c["digest"],
                         "red": f["red"], "yellow": f["yellow"]})
    return {"report": "city_board", "counties": rows,
            "total": {"red": sum(r["red"] for r in rows), "yellow": sum(r["yellow"] for r in rows)}}


def show(engine: Engine, county: str) -> dict:
    """A county's projects as its replay rebuilt them (read-only)."""
    with engine.connect() as conn:
        head = conn.execute(select(CC.c.code, CC.c.name, CC.c.digest, CC.c.as_of, CC.c.events)
                            .where(CC.c.code == county)).mappings().first()
        if head is None:
            known = [r[0] for r in conn.execute(select(CC.c.code).order_by(CC.c.code))]
            if known:
                raise NotFound("no_county_loaded", [{"county": county}], county=county, known=known)
            raise NotFound("no_county_in_city", [{"county": county}], county=county)
        projects = [dict(r) for r in conn.execute(
            select(CP.c.code, CP.c.name, CP.c.investor, CP.c.unit_code, CP.c.stage, CP.c.key,
                   CP.c.planned_investment_minor, CP.c.registered_on).where(CP.c.county == county)
            .order_by(CP.c.code)).mappings()]
    for p in projects:
        p["key"] = bool(p["key"])
        p["registered_on"] = _day(p["registered_on"]).isoformat()
    doc = dict(head)
    doc["as_of"] = _day(doc["as_of"]).isoformat()
    return {**doc, "projects": projects}
