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
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import delete, func, insert, inspect, select, update
from sqlalchemy.engine import Engine

from workflow import bundle, clock, ledger, reports, settings
from workflow.access import ADMIN, require
from workflow.bundle import EVENT_COLUMNS, iter_months, signed_bytes
from workflow.county import CODE_LIMIT, parse_public_key, public_text, signature_holds
from workflow.errors import BadInput, IntegrityFailure, NotAllowed, NotFound, PipelineError
from workflow.periods import KINDS, Period, make_period, parse_span
from workflow.reports import growth_rate
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
from workflow.values import identifier, required

TRUST_ADDED = "city_trust_added"
LOADED = "city_loaded"
RANK_BY = ("signed", "capital", "investment", "key")
CURRENCIES = ("CNY", "USD")
_STORE_CHUNK = 2000  # events converted and inserted at a time (memory)
_CITY_EVENT = ("county", *EVENT_COLUMNS)  # the columns of ``city_event`` a bundle's event fills


# --- trust -------------------------------------------------------------------------------------------


def trust_add(engine: Engine, actor: str, county: str, public_key: str, reason: str | None) -> dict:
    """Trust ``public_key`` for the county (admin); recorded in the city's set-up ledger."""
    county = identifier(county, "COUNTY", CODE_LIMIT)
    key = public_text(parse_public_key(public_key))
    reason = required(reason, "--reason")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "trust a county's key")
        if conn.execute(select(CK.c.id).where(CK.c.county == county, CK.c.public_key == key)).first():
            raise BadInput("key_is_already_trusted", [{"county": county}], county=county)
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
        t = settings.light_thresholds(conn)
        if since is not None and since > first:
            first = since
        windows: list[Any] = [reports.Window(_Month(label, start, end), min(end, as_of))  # type: ignore[arg-type]
                              for label, start, end in iter_months(first, as_of)]
        flows = reports._flows(conn, windows, None)  # every month's flows in one statement per kind
        ends = _state_months()
        facts = FactsByDate(conn)  # the states at the month-ends in one pass over the history
        for w, flow in zip(windows, flows, strict=True):
            state = w.as_of == as_of or w.as_of.month in ends
            snaps = snapshots(conn, w.as_of, t, reasons=False, facts=facts) if state else []
            figs = reports._figures_by_unit(conn, w, None, t, snaps=snaps, flows=flow)
            f = reports.figures_json(reports._sum_figures(figs.values()))
            if not state:
                f = {k: v for k, v in f.items() if k not in STATE_KEYS}
            out.append((w.period.label, w.as_of, f))
    return out


# --- load ----------------------------------------------------------------------------------------------


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

    Compares one event a project: the head the city holds (``city_project.head_seq``) must be in the
    bundle with the same id and hash, the bundle's events up to those heads must be as many as the
    city holds and come before every newer one.  The bundle's chains are verified before anything is
    kept (:func:`workflow.bundle.checked`) and each hash covers its ``prev_hash``, so an equal head
    means an equal chain up to it.  Anything else falls back to reading every stored event, which
    names the first one that differs."""
    held = conn.execute(select(CC.c.events).where(CC.c.code == b.county)).scalar()
    if not held:
        return _scan_prefix(conn, b)
    heads = dict(conn.execute(select(CP.c.code, CP.c.head_seq).where(CP.c.county == b.county)).all())
    old, last_old, first_new, at_head = 0, -1, None, {}
    for e in b.events:
        head = heads.get(e[2])
        if head is not None and e[3] <= head:
            old += 1
            last_old = max(last_old, e[0])
            if e[3] == head:
                at_head[e[0]] = (e[2], e[3], e[14])
        elif first_new is None or e[0] < first_new:
            first_new = e[0]
    if old != held or len(at_head) != len(heads) or (first_new is not None and first_new < last_old):
        return _scan_prefix(conn, b)
    ids = sorted(at_head)
    for k in range(0, len(ids), 500):
        chunk = ids[k:k + 500]
        for eid, code, seq, digest in conn.execute(select(CE.c.id, CE.c.project_code, CE.c.seq, CE.c.hash).where(
                CE.c.county == b.county, CE.c.id.in_(chunk))):
            if at_head.pop(eid) != (code, seq, digest):
                return _scan_prefix(conn, b)
    if at_head:  # a head the city does not hold under that id
        return _scan_prefix(conn, b)
    return old


def _scan_prefix(conn: Any, b: Any) -> int:
    """:func:`_check_prefix` by reading every event the city holds for the county, in id order."""
    stored = conn.execute(select(CE.c.id, CE.c.project_code, CE.c.seq, CE.c.hash)
                          .where(CE.c.county == b.county).order_by(CE.c.id)).all()
    for i, (eid, code, seq, digest) in enumerate(stored):
        new = b.events[i] if i < len(b.events) else None
        if new is None or new[0] != eid or new[14] != digest:
            what = "is missing from the bundle" if new is None else "differs from the one the city holds"
            raise IntegrityFailure(
                "county_bundle_refused_nothing_was",
                [{"county": b.county, "code": code, "seq": seq,
                  "id": eid}], county=b.county, code=code, seq=seq, eid=eid, what=what)
    return len(stored)


def _refigure_from(conn: Any, b: Any, new: list[tuple]) -> date | None:
    """The first day whose month's figures a newer bundle of a county the city holds can change
    (None: every month, as on a first load).  A month's figures are computed from the events
    effective up to its end, so the months before the earliest new event's effective date (or the
    date of an amount a new correction corrects) keep their figures, and so does every month before
    the held bundle's as-of date, unless the figures' other inputs changed: the directory (units,
    rules, settings, thresholds) or the set-up ledger, or the as-of date moved back."""
    head = conn.execute(select(CC.c.as_of, CC.c.signed, CC.c.ledger_entries)
                        .where(CC.c.code == b.county)).first()
    if head is None:
        return None
    held_as_of, held_signed, held_ledger = _day(head[0]), json.loads(head[1]), head[2]
    if held_signed.get("directory") != b.signed.get("directory") or held_ledger != len(b.ledger) \
            or b.as_of < held_as_of:
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
        found = conn.execute(select(CE.c.effective_on).where(
            CE.c.county == b.county, CE.c.project_code == code, CE.c.seq == target)).scalar()
        if found is None:  # the corrected event is new too: its date is already counted
            continue
        since = min(since, _day(found))
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
        _check_trust(conn, b)
        held = _check_prefix(conn, b)
        since = _refigure_from(conn, b, b.events[held:])
        base = _held_replica(conn, b.county, held) if held and since is not None else None
    with bundle.checked(b, actor=actor, base=base) as result:
        figures = monthly_figures(result.engine, b.as_of, since)
        projects = _project_rows(result.engine)
        replica = _replica_of(result)
    new = b.events[held:]
    chunks = (new[k:k + _STORE_CHUNK] for k in range(0, len(new), _STORE_CHUNK))
    return _store(engine, actor, path, b, held, since, figures, projects, replica, chunks, len(b.events))


# --- the replayed copy the city keeps of each county ---------------------------------------------------


@dataclass
class _Replica:
    """A county's replayed copy as stored in ``city_replica``: zlib-compressed scratch database bytes."""

    content: bytes
    sha256: str
    replayed: int  # the projects the load that made it replayed


def _replica_of(result: Any) -> _Replica:
    """The checked scratch copy to keep (the last use of ``result``'s engine)."""
    buffer = io.BytesIO()
    sha = result.write_replica(buffer)
    return _Replica(buffer.getvalue(), sha, result.replayed)


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
    entry = conn.execute(select(LG.c.payload).where(LG.c.kind == LOADED, LG.c.target == county)
                         .order_by(LG.c.seq.desc()).limit(1)).scalar()
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


def _store(engine: Engine, actor: str, path: Any, b: Any, held: int, since: date | None,
           figures: list[tuple[str, date, dict]], projects: list[dict], replica: _Replica,
           new: Iterable[list[tuple]], events: int) -> dict:
    """Keep a checked bundle in one transaction: its new events (``new``, the bundle's events after
    the ``held`` ones, a chunk at a time; ``events`` in all), projects, changed months, head and
    replayed copy."""
    added = 0
    with engine.begin() as conn:
        # another load of this county came in between
        if (_check_prefix(conn, b) if held else _held_events(conn, b.county)) != held:
            raise IntegrityFailure("county_another_bundle_of", county=b.county)
        for chunk in new:  # the engine's recorder's fast path, a chunk at a time
            rows = bundle.typed_events(CE, chunk, EVENT_COLUMNS)
            insert_many(conn, CE, [(b.county, *r) for r in rows], keys=_CITY_EVENT)
            added += len(chunk)
        conn.execute(delete(CP).where(CP.c.county == b.county))
        if projects:
            conn.execute(insert(CP), [{"county": b.county, **p} for p in projects])
        stale = delete(CF).where(CF.c.county == b.county)
        if since is not None:
            stale = stale.where(CF.c.month >= f"{since.year:04d}-{since.month:02d}")
        conn.execute(stale)
        if figures:
            conn.execute(insert(CF), [{"county": b.county, "month": m, "as_of": on,
                                       "figures": json.dumps(f, sort_keys=True, ensure_ascii=False)}
                                      for m, on, f in figures])
        head = {"name": b.name, "digest": b.digest, "as_of": b.as_of, "events": events,
                "projects": len(projects), "ledger_entries": len(b.ledger), "public_key": b.public_key,
                "signed": b.signed_text, "signature": b.signature, "loaded_at": clock.utcnow(), "loaded_by": actor}
        if conn.execute(select(CC.c.code).where(CC.c.code == b.county)).first():
            conn.execute(update(CC).where(CC.c.code == b.county).values(**head))
        else:
            conn.execute(insert(CC).values(code=b.county, **head))
        kept = {"sha256": replica.sha256, "schema_revision": bundle.REPLICA_MADE_BY, "events": events,
                "content": replica.content}
        if conn.execute(select(CR.c.county).where(CR.c.county == b.county)).first():
            conn.execute(update(CR).where(CR.c.county == b.county).values(**kept))
        else:
            conn.execute(insert(CR).values(county=b.county, **kept))
        entry = ledger.append(conn, actor, LOADED, b.county,
                              {"digest": b.digest, "as_of": b.as_of.isoformat(), "events": events,
                               "new_events": added, "replica": replica.sha256})
    return {"file": str(path), "county": b.county, "name": b.name, "digest": b.digest, "as_of": b.as_of.isoformat(),
            "events": events, "new_events": added, "projects": len(projects),
            "projects_replayed": replica.replayed, "months_computed": len(figures), "ledger": entry}


# --- many bundles: checked in worker processes, kept in order by this one ------------------------------


DEFAULT_WORKERS = 2


@dataclass
class Prepared:
    """What a worker found of a bundle: the SHA-256 of the bytes it read and checked, and the figures
    and project rows their replay gives.  Nothing of the city's; the events are not sent back: the
    main process reads them again from the file and keeps them only if the file's hash is this one."""

    sha256: str
    county: str
    figures: list[tuple[str, date, dict]]
    projects: list[dict]
    replica_file: str  # the replayed copy, compressed, in the load's folder (read, then removed, on store)
    replica_sha256: str
    replayed: int


def prepare(path: Any, actor: str, replica_file: str) -> Prepared:
    """Read, check and figure a bundle of a county the city does not hold yet (in a worker process):
    the steps of :func:`load` that need no city database; the replayed copy is written to
    ``replica_file`` (not sent back whole: the loading process reads one copy at a time, memory).
    Raises as :func:`load` does."""
    return _one_bundle(_prepare, path, actor, replica_file)


def _prepare(path: Any, actor: str, replica_file: str) -> Prepared:
    b = bundle.read(path)
    with bundle.checked(b, actor=actor) as result:
        figures = monthly_figures(result.engine, b.as_of)
        projects = _project_rows(result.engine)
        with open(replica_file, "xb") as out:
            sha = result.write_replica(out)
    return Prepared(b.sha256, b.county, figures, projects, replica_file, sha, result.replayed)


def _store_prepared(engine: Engine, actor: str, path: Any, p: Prepared) -> dict:
    """Keep a bundle a worker checked: read it here again and keep it only if the bytes read are the
    ones the worker checked (SHA-256), a trusted key signed it, and the city still holds no event of
    its county."""
    return _one_bundle(_keep_prepared, engine, actor, path, p)


def _keep_prepared(engine: Engine, actor: str, path: Any, p: Prepared) -> dict:
    with bundle.opened(path) as src:  # its events read a chunk at a time as they are stored (memory)
        b = src.bundle
        assert b is not None
        if b.sha256 != p.sha256 or b.county != p.county:
            raise IntegrityFailure("cityload_file_changed", [{"county": p.county}], county=p.county, path=path)
        with open(p.replica_file, "rb") as f:
            content = f.read()
        os.unlink(p.replica_file)
        if hashlib.sha256(content).hexdigest() != p.replica_sha256:  # the load's own folder, changed meanwhile
            raise IntegrityFailure("cityload_file_changed", [{"county": p.county}], county=p.county,
                                   path=p.replica_file)
        with engine.connect() as conn:
            _check_trust(conn, b)
            if _held_events(conn, b.county):
                raise IntegrityFailure("county_another_bundle_of", county=b.county)
        return _store(engine, actor, path, b, 0, None, p.figures, p.projects,
                      _Replica(content, p.replica_sha256, p.replayed), src.chunks(_STORE_CHUNK), src.count)


def _held_events(conn: Any, county: str) -> int:
    """The number of events the city holds for ``county`` (its head's count; 0 for a new county)."""
    return int(conn.execute(select(CC.c.events).where(CC.c.code == county)).scalar() or 0)


def _in_workers(engine: Engine, actor: str, paths: list[Any]) -> set[int]:
    """The positions of the bundles a worker may check: a well-formed head, signed by a key the city
    trusts, of a county the city does not hold and no other bundle of the load names.  Every other
    bundle is loaded by :func:`load` at its turn, so its refusal is the one a load of it alone gives."""
    heads: dict[int, Any] = {}
    with engine.connect() as conn:
        require(conn, actor, ADMIN, "load county bundles")
        held = {c for (c,) in conn.execute(select(CC.c.code))}
        for i, path in enumerate(paths):
            try:
                head = bundle.read_head(path)
                if head.county not in held:
                    _check_trust(conn, head)
                    heads[i] = head
            except PipelineError:
                continue
    named = Counter(h.county for h in heads.values())
    return {i for i, h in heads.items() if named[h.county] == 1}


def load_many(engine: Engine, actor: str, paths: list[Any], *, workers: int = DEFAULT_WORKERS,
              loaded: Callable[[dict], None] | None = None) -> list[dict]:
    """Load bundles in the order given, as :func:`load` of each in turn would (docs/city.md, "Loading
    many bundles"), with the first loads of new counties read, checked and figured by ``workers``
    processes ahead of their turn.  Every write to the city is made here, in order, one transaction a
    bundle; the first refused bundle stops the load: the ones before it are kept, it and the ones after
    it are not.  ``loaded`` is called with each bundle's result as soon as it is kept."""
    paths = list(paths)
    ahead = sorted(_in_workers(engine, actor, paths)) if workers > 1 and len(paths) > 1 else []
    if len(ahead) < 2:
        ahead = []
    out: list[dict] = []

    def keep(doc: dict) -> None:
        out.append(doc)
        if loaded is not None:
            loaded(doc)

    if not ahead:
        for path in paths:
            keep(load(engine, actor, path))
        return out
    pending: dict[int, Future] = {}
    queue = iter(ahead)
    n = min(workers, len(ahead))
    gc.freeze()  # forked workers share this process's objects: no collection in them copies those pages
    pool = ProcessPoolExecutor(max_workers=n)
    copies = tempfile.TemporaryDirectory(prefix="pipeline-city-copies-")  # the workers' replayed copies
    try:
        for i, path in enumerate(paths):
            # one bundle a worker: a checked bundle waits here for its turn, never more than n (memory)
            while len(pending) < n and (nxt := next(queue, None)) is not None:
                pending[nxt] = pool.submit(prepare, paths[nxt], actor, os.path.join(copies.name, f"{nxt}.zlib"))
            if i in pending:
                keep(_store_prepared(engine, actor, path, pending.pop(i).result()))
            else:
                keep(load(engine, actor, path))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        copies.cleanup()
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
    the as-of date, whichever is earlier)."""
    out = _zero()
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
    period = parse_span(period_text, lang=lang)
    if not isinstance(period, Period):
        raise BadInput("period_give_one_period", period_text=period_text)
    return period


def _year_before(period: Period) -> Period:
    """The same period of the previous year."""
    index = 1 if period.kind == "year" else int(period.label.split("-")[1][1:])
    return make_period(period.kind, period.start.year - 1, index)


def _year_to_date(period: Period) -> _Month:
    """1 January of the period's year to the period's end (累计)."""
    return _Month(f"{period.start.year:04d}-01..{period.label}", date(period.start.year, 1, 1), period.end)


def _growth(now: dict, before: dict) -> dict:
    return {k: growth_rate(_metric(now, k), _metric(before, k)) for k in ("signed", "capital", "investment")}


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


def _rank(rows: list[dict], key: str, by: str) -> None:
    rows.sort(key=lambda r: (-_metric(r[key], by), r["county"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i


def _check_by(by: str) -> None:
    if by not in RANK_BY:
        raise BadInput("by_is_not_one", by=by, rank_by=list(RANK_BY))


def ranking(engine: Engine, period_text: str, *, by: str = "capital", lang: str = "en") -> dict:
    """Per county: the period's figures, the same period a year before, growth, and the rank by ``by``."""
    _check_by(by)
    period = _one_period(period_text, lang)
    before = _year_before(period)
    rows = []
    with engine.connect() as conn:
        for c in _counties(conn):
            as_of = _day(c["as_of"])
            months = _months(conn, c["code"])
            now = _period_figures(months, period, as_of)
            prev = _period_figures(months, before, as_of)
            rows.append({"county": c["code"], "name": c["name"], "as_of": as_of.isoformat(), "digest": c["digest"],
                         "begun": as_of >= period.start, "figures": now, "previous": prev,
                         "growth": _growth(now, prev)})
    _rank(rows, "figures", by)
    total, total_prev = _total([r["figures"] for r in rows]), _total([r["previous"] for r in rows])
    return {"report": "city_ranking", "period": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "previous_period": before.label, "by": by, "counties": rows,
            "total": {"figures": total, "previous": total_prev, "growth": _growth(total, total_prev)}}


def bulletin(engine: Engine, period_text: str, *, by: str = "capital", lang: str = "en") -> dict:
    """The city's bulletin of a period: per county the period's own figures, the year to date (累计, 1
    January to the period's end), the same span of the previous year and the change on it (同比), ranked
    by the year to date; and the city's totals."""
    _check_by(by)
    period = _one_period(period_text, lang)
    ytd, ytd_before = _year_to_date(period), _year_to_date(_year_before(period))
    rows = []
    with engine.connect() as conn:
        for c in _counties(conn):
            as_of = _day(c["as_of"])
            months = _months(conn, c["code"])
            now = _period_figures(months, ytd, as_of)
            prev = _period_figures(months, ytd_before, as_of)
            rows.append({"county": c["code"], "name": c["name"], "as_of": as_of.isoformat(), "digest": c["digest"],
                         "begun": as_of >= period.start, "period_figures": _period_figures(months, period, as_of),
                         "year_to_date": now, "year_to_date_before": prev, "growth": _growth(now, prev)})
    _rank(rows, "year_to_date", by)
    total = {k: _total([r[k] for r in rows]) for k in ("period_figures", "year_to_date", "year_to_date_before")}
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


def holds_counties(engine: Engine) -> bool:
    """Whether the database holds a city's loaded counties (docs/city.md)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(CC.name):
            return False
        return bool(conn.execute(select(func.count()).select_from(CC)).scalar())
