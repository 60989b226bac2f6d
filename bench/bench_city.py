"""The city's load path at scale (docs/city.md, "Past one machine"): ``city load`` of many county
bundles against a raw read-and-hash floor measured in the same run, a month's new bundle of one
county, ``city report ranking`` over every county, and the load's peak memory.

- load: ``pipeline city load`` of every county's bundle (one command, start-up included) into a city
  that trusts their keys, in events per second, against the floor: a plain script that reads the
  same bundles' event rows with ``sqlite3`` in ``(project, seq)`` order and hashes each event's
  canonical bytes (the RFC 8785 event document of docs/audit.md, the least any verifying load must
  do).  Goal: at least 0.35 of the floor's rate, and the whole load within 60 s at the full size.
  Before the ratio counts, the floor recomputed every stored hash (equal) and the city holds every
  county and every event of every bundle.  The floor and the load are taken in turn
  ``LOAD_ROUNDS`` times, and the round whose ratio is the median is the row (its ``rounds``:
  every round's floor, load and ratio): a machine shared with other work changes speed from one
  minute to the next, and a load on both cores more than a floor on one.
- month: a month's new bundle of one county (a few dozen follow-ups recorded after its first export)
  loaded into the city that holds every county, against a full first load of the same county into an
  empty city; goal within 2 s.
- months: the month's bundles of four counties in one ``city load`` with ``--workers 2`` against the
  same with ``--workers 1`` (one by one); no goal, docs/city.md's province month rests on it.
- ranking: ``pipeline city report ranking --period LAST-YEAR --json`` over every county, against
  ``pipeline city board --json`` (the same counties, no period arithmetic); goal within 2 s.  The
  ranking is checked first: every county ranked, with the same figures (their histories are equal),
  so all ranked first.
- deep: one county at a province's depth (10 000 projects, some 145 000 events at the full size): its
  first load into an empty city against reading and hashing its bundle, its month's bundle (follow-ups
  on one open project in twenty: only those projects replayed) against that first load, and the two
  loads' peak memory; no goal, the figures docs/city.md's province sizes rest on.
- steps: where one county's first load goes, in one process (median of three rounds, each step on
  its own, against reading and hashing that county's bundle, median of three too): reading the file;
  the checks (every project replayed into a scratch county, the checkpoint code over it); the
  monthly figures; the compressed copy; the whole of a worker's part (``city.prepare``: the three
  and the bundle read); the loading process's part (storing it into a city that trusts the county).
  No goal of their own: the load's 0.35 of the floor on two cores allows the whole per county at
  most 2 / 0.35 = 5.7 times the floor's time (docs/city.md, "Left to do").
- memory: the peak of the load's memory together with its worker processes (``city load
  --workers``, 2 here): the largest sum of their proportional set sizes (PSS: a page shared by the
  forked workers and the main process is split among them), sampled every 50 ms; goal 200 MiB.  The
  row also gives ``upper_bound_mib``: the main process's peak (VmHWM) plus twice the largest
  worker's, as if nothing were shared.  It is measured in a second load of the same bundles into an
  empty city, not in the timed one: reading three processes' ``smaps_rollup`` every 50 ms took some
  10 % of the two cores the timed load runs on.  Every timed load runs unsampled.

One county is written through the engine's batch path (``bench_report.generate``: real commands,
real hashes, every guard checked); every other county is a copy of its database given its own code,
name and signing key through the engine (``county.set_identity``, ``county.init_key``) and exported
by ``bundle.export`` (each bundle is a real signed export of a real county history, checked on
export), in a pool of two processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bench.common import PIPELINE, PYTHON, ROOT, init_db, row, time_command

NAME = "city"
LOAD_ROUNDS = 3  # the rounds of the floor and the load taken in turn (the median ratio's kept)
SIZES = {"tiny": (2, 30), "small": (3, 100), "full": (100, 1_000)}
# One county at a province's depth (docs/city.md, "Past one machine": some 150 events a project there,
# ten times a city county's), as projects of the generator's shape (15 events each): its first load
# and its month's bundle.
DEEP = {"tiny": 40, "small": 300, "full": 10_000}
DEEP_CODE = 900  # its county number (C900), apart from the city's
RATE_GOAL = 0.35
LOAD_SECONDS = 60.0
MONTH_SECONDS = 2.0
RANKING_SECONDS = 2.0
MIB = 200.0
WORKERS = 2  # ``city load --workers``, given to every timed load
MONTHS = 4  # the counties of the month of several counties

_RSS_TIMED = r"""
import contextlib, os, sys, time
t0 = time.perf_counter()
from cli.app import main
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    code = main(sys.argv[1:])
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
import resource
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB: the largest worker's peak
print(code, hwm / 1024, child / 1024, time.perf_counter() - t0)
"""


def _county(args: tuple[Path, Path, int]) -> tuple[str, str, int]:
    """County ``k``: a copy of the generated database with its own identity and key, exported."""
    base, workdir, k = args
    from workflow import bundle, county
    from workflow.db import make_engine

    db = workdir / f"county{k:03d}.db"
    shutil.copy(base, db)
    engine = make_engine(f"sqlite:///{db}")
    code = f"C{k:03d}"
    county.set_identity(engine, "bench", code, f"第{k}县")
    key = workdir / f"{code}.pem"
    public = county.init_key(key)["public_key"]
    out = workdir / f"{code}.bundle"
    doc = bundle.export(engine, out, actor="bench", key_file=key)
    engine.dispose()
    return str(out), public, int(doc["counts"]["events"])


def _month_bundle(workdir: Path, k: int = 0) -> str:
    """County ``k`` a month on: follow-ups on one open project in twenty, then a new export."""
    from sqlalchemy import select

    from workflow import bulk
    from workflow.bundle import export
    from workflow.clock import today
    from workflow.db import make_engine
    from workflow.service import Service
    from workflow.tables import project as P

    engine = make_engine(f"sqlite:///{workdir / f'county{k:03d}.db'}")
    with engine.connect() as conn:
        codes = [c for (c,) in conn.execute(select(P.c.code).where(
            P.c.stage.not_in(("production", "rejected", "withdrawn"))).order_by(P.c.code))]
    chosen = codes[::20] or codes[:1]
    Service(engine, "bench").bulk_apply([bulk.Op(c, "followup", today(), {"note": "月度跟进"}) for c in chosen])
    out = workdir / f"C{k:03d}-month.bundle"
    export(engine, out, actor="bench", key_file=workdir / f"C{k:03d}.pem")
    engine.dispose()
    return str(out)


def floor(bundles: list[str]) -> tuple[float, int, int]:
    """Read every bundle's events in (project, seq) order with sqlite3 and hash each event's canonical
    bytes; (seconds, events, hashes that differ from the stored ones)."""
    from json.encoder import encode_basestring as enc  # the C string encoder canonical JSON uses

    template = ('{"actor":%s,"effective_on":%s,"from":%s,"kind":%s,"payload":%s,"prev_hash":%s,"project":%s,'
                '"reason":%s,"recorded_at":%s,"seq":%d,"to":%s,"trigger":%s}')
    sha = hashlib.sha256
    t0 = time.perf_counter()
    n = bad = 0
    for path in bundles:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for code, seq, kind, trig, frm, to, eff, rec, actor, reason, payload, prev, h in con.execute(
                'SELECT project_code, seq, kind, "trigger", from_stage, to_stage, effective_on, recorded_at, '
                "actor, reason, payload, prev_hash, hash FROM event ORDER BY project_id, seq"):
            doc = template % (enc(actor), enc(eff), "null" if frm is None else enc(frm), enc(kind), payload,
                              enc(prev), enc(code), "null" if reason is None else enc(reason), enc(rec), seq,
                              "null" if to is None else enc(to), "null" if trig is None else enc(trig))
            if sha(doc.encode("utf-8")).hexdigest() != h:
                bad += 1
            n += 1
        con.close()
    return time.perf_counter() - t0, n, bad


def _pss_mib(pid: int) -> float:
    """The proportional set size of process ``pid`` and its children (shared pages split among the
    processes sharing them, so the sum is the memory they take together), 0 once it is gone."""
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for p in (pid, *map(int, children)):
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return 0.0
    return total / 1024


def _timed_load(args: list[str], env: dict) -> float:
    """Wall seconds of one ``pipeline`` command in a fresh interpreter, nothing else running beside it."""
    return _load(args, env, sampled=False)[0]


def _peak_load(args: list[str], env: dict) -> tuple[float, float]:
    """(peak MiB, upper bound MiB) of one ``pipeline`` command in a fresh interpreter.  The peak is the
    largest total proportional set size of the process and its worker processes, sampled every 50 ms;
    the upper bound adds the main process's peak (VmHWM) and, for each worker, the largest worker's
    peak (forked workers share pages with the main process, counted in both)."""
    return _load(args, env, sampled=True)[1:]


def _load(args: list[str], env: dict, *, sampled: bool) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    with subprocess.Popen([PYTHON, "-c", _RSS_TIMED, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}) as proc:
        peak = 0.0
        while sampled and proc.poll() is None and time.perf_counter() - t0 < 7200:
            peak = max(peak, _pss_mib(proc.pid))
            time.sleep(0.05)
        out, err = proc.communicate(timeout=7200)
    wall = time.perf_counter() - t0
    code, mib, child_mib, _inner = out.split()[-4:]
    if code != "0":
        raise RuntimeError(f"city bench: {args[:3]} exited {code}: {err[-2000:]}")
    bound = float(mib) + WORKERS * float(child_mib)
    if not float(child_mib):  # no worker: the one process's own peak, exact
        return wall, max(peak, float(mib)), bound
    return wall, peak or bound, bound


def _held(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        return (con.execute("SELECT count(*) FROM city_county").fetchone()[0],
                con.execute("SELECT count(*) FROM city_event").fetchone()[0])
    finally:
        con.close()


def run(size: str, workdir: Path) -> list[dict]:
    from workflow import city
    from workflow.db import make_engine

    n_counties, n_projects = SIZES[size]
    base = workdir / "base.db"
    from bench.bench_report import generate

    generate(init_db(base), n_projects)
    with ProcessPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(_county, [(base, workdir, k) for k in range(n_counties)]))
    bundles = [b for b, _, _ in made]
    total = sum(n for _, _, n in made)
    month = _month_bundle(workdir)

    empty = workdir / "city-empty.db"
    city.new_city_file(f"sqlite:///{empty}")  # as `city init` makes a city
    engine = make_engine(init_db(empty))
    for k, (_, public, _) in enumerate(made):
        city.trust_add(engine, "bench", f"C{k:03d}", public, "bench")
    engine.dispose()

    def env_for(db: Path) -> dict:
        return {"PIPELINE_DB": f"sqlite:///{db}", "PIPELINE_USER": "bench", "PIPELINE_LANG": "en", "PAGER": "cat",
                "PIPELINE_WORKERS": str(WORKERS)}

    # The floor first (it also proves every stored hash), then the whole load; LOAD_ROUNDS times in
    # turn, the round of the median ratio kept.
    full = workdir / "city.db"
    rounds = []
    for _ in range(LOAD_ROUNDS):
        floor_s, floor_n, bad = floor(bundles)
        if bad or floor_n != total:
            raise AssertionError(f"city bench: the floor read {floor_n} of {total} events, {bad} hashes differ")
        for leftover in (full, Path(f"{full}-wal"), Path(f"{full}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(empty, full)
        load_s = _timed_load(["city", "load", *bundles], env_for(full))
        if _held(full) != (n_counties, total):
            raise AssertionError(f"city bench: the city holds {_held(full)}, not {(n_counties, total)}")
        rounds.append({"floor_s": floor_s, "load_s": load_s, "ratio": floor_s / load_s})
    kept = sorted(rounds, key=lambda x: x["ratio"])[len(rounds) // 2]
    floor_s, load_s = kept["floor_s"], kept["load_s"]
    sampled = workdir / "city-memory.db"  # the same load again, its memory sampled
    shutil.copy(empty, sampled)
    mib, bound = _peak_load(["city", "load", *bundles], env_for(sampled))
    if _held(sampled) != (n_counties, total):
        raise AssertionError(f"city bench: the sampled load holds {_held(sampled)}, not {(n_counties, total)}")
    sampled.unlink()
    rows = []
    ratios = ", ".join(f"{x['ratio']:.2f}" for x in rounds)
    taken = f" (the median of {len(rounds)} rounds, each the floor then the load; their ratios {ratios})"
    r = row(f"city load of {n_counties} counties × {n_projects:,} projects ({total:,} events), events/s "
            f"vs reading and hashing the bundles{taken}", total / load_s, floor_n / floor_s, "events/s",
            f"≥ {RATE_GOAL:g}× and ≤ {LOAD_SECONDS:g} s", higher_is_better=True, limit=RATE_GOAL, equal=True)
    r["seconds"] = load_s
    r["rounds"] = rounds
    r["met"] = bool(r["met"]) and load_s <= LOAD_SECONDS if size == "full" else None  # start-up dominates
    rows.append(r)
    r = row(f"city load of {n_counties} counties, peak memory (main + {WORKERS} workers, PSS)", mib, MIB, "MiB",
            f"≤ {MIB:g} MiB", limit=1.0,
            equal=True)
    r["upper_bound_mib"] = bound  # the peaks added: what the processes could take with nothing shared
    rows.append(r)

    # A month's new bundle of one county, into the city that holds every county; against a first load.
    after = workdir / "city-month.db"
    shutil.copy(full, after)
    month_s = _timed_load(["city", "load", month], env_for(after))
    first = workdir / "city-first.db"
    shutil.copy(empty, first)
    first_s = _timed_load(["city", "load", bundles[0]], env_for(first))
    new_events = _held(after)[1] - total
    if new_events <= 0:
        raise AssertionError("city bench: the month's bundle added no event")
    r = row(f"city load of one county's month ({new_events} new events) vs its first load", month_s, first_s, "s",
            f"≤ {MONTH_SECONDS:g} s", limit=99, equal=True)
    r["met"] = month_s <= MONTH_SECONDS if size == "full" else None
    rows.append(r)
    rows.append(_months(workdir, full, n_counties, month, env_for))

    # The ranking over every county.
    period = str(date.today().year - 1)
    env = env_for(full)
    out = subprocess.run([PIPELINE, "city", "report", "ranking", "--period", period, "--json"], capture_output=True,
                         text=True, env={**os.environ, **env}, check=True).stdout
    ranked = json.loads(out)["counties"]
    figures = {json.dumps(c["figures"], sort_keys=True) for c in ranked}
    if len(ranked) != n_counties or len(figures) != 1 or not json.loads(figures.pop())["signed"]:
        raise AssertionError(f"city bench: the ranking lists {len(ranked)} counties with differing or empty figures")
    if {c["rank"] for c in ranked} != {1}:  # equal figures share a rank
        raise AssertionError("city bench: counties with equal figures are not all ranked first")
    ours = time_command([PIPELINE, "city", "report", "ranking", "--period", period, "--json"], repeat=3, env=env)
    base_s = time_command([PIPELINE, "city", "board", "--json"], repeat=3, env=env)
    r = row(f"city report ranking over {n_counties} counties vs city board", ours, base_s, "s",
            f"≤ {RANKING_SECONDS:g} s", limit=99, equal=True)
    r["met"] = ours <= RANKING_SECONDS if size == "full" else None
    rows.append(r)
    rows.extend(_deep(size, workdir, env_for))
    rows.extend(_steps(bundles[0], empty))
    return rows


STEP_ROUNDS = 3


def _steps(path: str, empty: Path) -> list[dict]:
    """Where one county's first load goes: each step of it timed on its own in this process (median
    of ``STEP_ROUNDS``), against reading and hashing the same bundle (``floor``, median too); no goal."""
    import io
    import statistics
    import tempfile

    from workflow import bundle, city
    from workflow.db import make_engine

    taken: dict[str, list[float]] = {}

    @contextmanager
    def timed(step: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        taken.setdefault(step, []).append(time.perf_counter() - t0)

    floors = []
    for _ in range(STEP_ROUNDS):
        seconds, events, bad = floor([path])
        if bad:
            raise AssertionError(f"city bench: {bad} hashes of {path} differ")
        floors.append(seconds)
        with timed("read"):
            b = bundle.read(path)
        t0 = time.perf_counter()
        with bundle.checked(b, actor="bench") as result:
            taken.setdefault("checks", []).append(time.perf_counter() - t0)
            with timed("figures"):
                months = city.monthly_figures(result.engine, b.as_of)
            with timed("copy"):
                result.write_replica(io.BytesIO())
        with tempfile.TemporaryDirectory(prefix="bench-city-steps-") as tmp:
            with timed("worker"):
                prepared = city.prepare(path, "bench", str(Path(tmp) / "replica"))
            assert prepared is not None  # a first load: nothing to extend
            db = Path(tmp) / "city.db"
            shutil.copy(empty, db)
            engine = make_engine(f"sqlite:///{db}")
            try:
                with timed("store"):
                    city._store_prepared(engine, "bench", path, prepared)
            finally:
                engine.dispose()
            if _held(db) != (1, events) or not months:
                raise AssertionError(f"city bench: the steps' city holds {_held(db)}, not (1, {events})")
    base = statistics.median(floors)
    budget = WORKERS / RATE_GOAL  # the floor's time a county may take at the goal's rate, every worker busy
    names = {"read": "reading the bundle (the file, its rows, their forms)",
             "checks": "the checks (every project replayed into a scratch county, the checkpoint code over it)",
             "figures": "the monthly figures (the reports' code, the state at the report month-ends)",
             "copy": "the compressed copy of the scratch county",
             "worker": "a worker's whole part (city.prepare: the four above)",
             "store": "the loading process's part (storing the checked bundle)"}
    rows = []
    for step, text in names.items():
        r = row(f"city load of one county, step: {text}, vs reading and hashing its bundle",
                statistics.median(taken[step]) * 1000, base * 1000, "ms",
                f"no goal (the whole load's {RATE_GOAL:g}× on {WORKERS} cores: worker + store ≤ {budget:.1f}×)",
                limit=1e9, equal=True)
        r.update(met=None, step=step)
        rows.append(r)
    return rows


def _months(workdir: Path, full: Path, n_counties: int, month: str, env_for: Callable[[Path], dict]) -> dict:
    """A month of several counties: their month's bundles in one ``city load`` into the city that
    holds every county, with the workers against one by one (``--workers 1``); both cities then hold
    the same.  bench/page.py estimates a province's month from it."""
    k = min(MONTHS, n_counties)
    months = [month, *(_month_bundle(workdir, j) for j in range(1, k))]
    seconds, held = {}, set()
    for workers in (WORKERS, 1):
        db = workdir / f"city-months-{workers}.db"
        shutil.copy(full, db)
        env = {**env_for(db), "PIPELINE_WORKERS": str(workers)}
        seconds[workers] = _timed_load(["city", "load", *months], env)
        held.add(_held(db))
    if len(held) != 1:
        raise AssertionError(f"city bench: the month's loads hold {held}")
    r = row(f"city load of {k} counties' months, --workers {WORKERS} vs one by one", seconds[WORKERS], seconds[1],
            "s", "no goal: docs/city.md", limit=1e9, equal=True)
    r.update(met=None, deep="months")
    return r


def _deep(size: str, workdir: Path, env_for: Callable[[Path], dict]) -> list[dict]:
    """One county at a province's depth: its first load (against reading and hashing its bundle) and
    its month's bundle (against that first load), with their peak memory; no goal (docs/city.md)."""
    from bench.bench_report import generate
    from workflow import city
    from workflow.db import make_engine

    n = DEEP[size]
    base = workdir / "deep-base.db"
    generate(init_db(base), n)
    path, public, events = _county((base, workdir, DEEP_CODE))
    month = _month_bundle(workdir, DEEP_CODE)
    empty = workdir / "city-deep.db"
    city.new_city_file(f"sqlite:///{empty}")  # as `city init` makes a city
    engine = make_engine(init_db(empty))
    city.trust_add(engine, "bench", f"C{DEEP_CODE:03d}", public, "bench")
    engine.dispose()
    sampled = workdir / "city-deep-memory.db"  # the same two loads again, their memory sampled
    shutil.copy(empty, sampled)
    floor_s, floor_n, bad = floor([path])
    if bad or floor_n != events:
        raise AssertionError(f"city bench: the deep county's floor read {floor_n} of {events} events, {bad} differ")
    first_s = _timed_load(["city", "load", path], env_for(empty))
    month_s = _timed_load(["city", "load", month], env_for(empty))
    first_mib, _ = _peak_load(["city", "load", path], env_for(sampled))
    month_mib, _ = _peak_load(["city", "load", month], env_for(sampled))
    if _held(sampled) != _held(empty):
        raise AssertionError(f"city bench: the deep county's sampled loads hold {_held(sampled)}")
    added = _held(empty)[1] - events
    if _held(empty)[0] != 1 or added <= 0:
        raise AssertionError(f"city bench: the deep county's city holds {_held(empty)}")
    rows = []
    r = row(f"city load of one county at a province's depth ({n:,} projects, {events:,} events) vs reading and "
            f"hashing its bundle", first_s, floor_s, "s", "no goal: docs/city.md", limit=1e9, equal=True)
    r.update(met=None, deep="first")  # bench/page.py writes docs/city.md's province figures from these
    rows.append(r)
    r = row(f"city load of that county's month ({added} new events) vs its first load", month_s, first_s, "s",
            "no goal: docs/city.md", limit=1e9, equal=True)
    r.update(met=None, deep="month")
    rows.append(r)
    r = row("peak memory of that county's month load vs its first load", month_mib, first_mib, "MiB",
            "no goal: docs/city.md", limit=1e9, equal=True)
    r.update(met=None, deep="memory")
    rows.append(r)
    return rows


if __name__ == "__main__":  # python -m bench.bench_city [SIZE]: run alone, print the rows
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
        print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "small", Path(tmp)), indent=2,
                         ensure_ascii=False))
