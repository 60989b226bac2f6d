"""Throughput with many writers on PostgreSQL: 1, 4 and 8 concurrent writer processes, each advancing
its own projects (hold / resume, one transition per transaction) through the service layer, against
raw psycopg writers doing the same transaction shape (SELECT … FOR UPDATE, hashed event INSERT,
compare-and-set UPDATE of the project, COMMIT) with the same number of processes.

The server: ``PIPELINE_BENCH_PG`` (a superuser URL of a running PostgreSQL, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``), or else a throwaway cluster started for the run
(``tests/pg.py``; fsync and synchronous commit ON, so commits are durable as in production).
Writers run as the ``coord`` login (the database's coordinator group), as a coordinator would.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import time
from datetime import date
from pathlib import Path

from bench.common import row

NAME = "writers"
WRITERS = (1, 4, 8)
PER_WRITER = {"tiny": 10, "small": 150, "full": 600}  # transitions each writer makes
PROJECTS_PER_WRITER = 2
GOAL = 0.3  # of raw psycopg at the same number of writers


class _Server:
    def __init__(self):
        from sqlalchemy.engine import make_url

        self.cluster = None
        given = os.environ.get("PIPELINE_BENCH_PG")
        if given:
            self.base = make_url(given.replace("postgresql://", "postgresql+psycopg://", 1))
        else:
            from tests.pg import PgCluster

            self.cluster = PgCluster(durable=True).start()
            self.base = make_url(self.cluster.url())

    def url(self, database: str, user: str | None = None) -> str:
        u = self.base.set(database=database)
        if user:
            u = u.set(username=user, password=None)
        return u.render_as_string(hide_password=False)

    def admin_sql(self, sql: str) -> None:
        from sqlalchemy import create_engine

        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def _prepare(server: _Server, name: str, n_projects: int) -> tuple[str, list[str]]:
    """A migrated database with roles, a coordinator and ``n_projects`` projects; (coord URL, codes)."""
    from sqlalchemy import create_engine

    from workflow import db as dbm
    from workflow import pgroles
    from workflow.service import Service

    server.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.admin_sql(f"CREATE DATABASE {name}")
    owner = create_engine(server.url(name))
    dbm.upgrade(owner)
    su = dbm.session_actor(owner, "")
    svc = Service(owner, su)
    svc.bootstrap_admin(su)
    svc.add_user("coord", "coordinator")
    pgroles.ensure_roles(owner)
    svc.add_unit("XH", "新华镇")
    owner.dispose()
    url = server.url(name, "coord")
    engine = dbm.make_engine(url)
    coord = Service(engine, "coord")
    codes = [coord.add_project(name=f"风电 {i}", investor="博士慧风电有限公司", industry="energy",
                               investment_minor=80_000_000_00, unit="XH").project.code for i in range(n_projects)]
    engine.dispose()
    return url, codes


def _ours_worker(url: str, codes: list[str], n: int, barrier, out) -> None:
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(url)
    svc = Service(engine, "coord")
    held = {c: svc.get_project(c)["stage"] == "on_hold" for c in codes}  # connect and warm up first
    on = date.today()
    barrier.wait()
    t0 = time.perf_counter()
    for i in range(n):
        code = codes[i % len(codes)]
        if held[code]:
            svc.advance(code, "resume", on=on)
        else:
            svc.advance(code, "hold", on=on, reason="等待指标")
        held[code] = not held[code]
    out.put(time.perf_counter() - t0)
    engine.dispose()


def _raw_worker(url: str, codes: list[str], n: int, barrier, out) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port, dbname=u.database, user=u.username, password=u.password)
    today = date.today()
    barrier.wait()
    t0 = time.perf_counter()
    for i in range(n):
        code = codes[i % len(codes)]
        with conn.transaction():
            pid, stage, held, version, seq, prev = conn.execute(
                "SELECT id, stage, held_from, version, head_seq, head_hash FROM project WHERE code = %s "
                "FOR UPDATE", (code,)).fetchone()
            if stage == "on_hold":
                to, trig, new_held, reason = held, "resume", None, None
            else:
                to, trig, new_held, reason = "on_hold", "hold", stage, "等待指标"
            now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
            doc = {"project": code, "seq": seq + 1, "kind": "transition", "trigger": trig, "from": stage, "to": to,
                   "effective_on": today.isoformat(), "recorded_at": now, "actor": "coord", "reason": reason,
                   "payload": {}, "prev_hash": prev}
            h = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                               .encode()).hexdigest()
            conn.execute(
                "INSERT INTO event (project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, "
                "recorded_at, actor, reason, payload, prev_hash, hash) "
                "VALUES (%s, %s, 'transition', %s, %s, %s, %s, now(), 'coord', %s, '{}', %s, %s)",
                (pid, seq + 1, trig, stage, to, today, reason, prev, h))
            cur = conn.execute(
                "UPDATE project SET stage = %s, held_from = %s, stage_since = %s, last_transition_on = %s, "
                "version = %s, head_seq = %s, head_hash = %s WHERE id = %s AND version = %s",
                (to, new_held, today, today, version + 1, seq + 1, h, pid, version))
            assert cur.rowcount == 1
    out.put(time.perf_counter() - t0)
    conn.close()


def _throughput(worker, url: str, codes: list[str], writers: int, n: int) -> float:
    """Transitions per second of ``writers`` processes, each on its own projects."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(writers + 1)
    out = ctx.Queue()
    procs = []
    for w in range(writers):
        mine = codes[w * PROJECTS_PER_WRITER:(w + 1) * PROJECTS_PER_WRITER]
        procs.append(ctx.Process(target=worker, args=(url, mine, n, barrier, out)))
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    t0 = time.perf_counter()
    for p in procs:
        p.join(timeout=600)
        if p.exitcode != 0:
            raise RuntimeError(f"a writer process failed (exit {p.exitcode})")
    elapsed = time.perf_counter() - t0
    for _ in procs:
        out.get(timeout=10)
    return writers * n / elapsed


def run(size: str, workdir: Path) -> list[dict]:
    n = PER_WRITER[size]
    server = _Server()
    rows = []
    figures = {}
    try:
        total = max(WRITERS) * PROJECTS_PER_WRITER
        ours_url, ours_codes = _prepare(server, "bench_writers_ours", total)
        raw_url, raw_codes = _prepare(server, "bench_writers_raw", total)
        for writers in WRITERS:
            ours = _throughput(_ours_worker, ours_url, ours_codes, writers, n)
            raw = _throughput(_raw_worker, raw_url, raw_codes, writers, n)
            figures[writers] = (ours, raw)
            rows.append(row(f"{writers} writer{'s' if writers > 1 else ''} on PostgreSQL, transitions/s", ours, raw,
                            "tx/s", f"≥ {GOAL} of raw psycopg", higher_is_better=True, limit=GOAL))
        one, most = figures[1], figures[max(WRITERS)]
        rows.append(row(f"{max(WRITERS)} writers vs 1 writer, % of the 1-writer rate (raw's as baseline)",
                        100 * most[0] / one[0], 100 * most[1] / one[1], "%", "≥ 0.5 of raw's scaling",
                        higher_is_better=True, limit=0.5))
        _check(server, ours_url, ours_codes)
        check_equal(ours_url, raw_url)
        for r in rows:
            r["equal"] = True
    finally:
        for name in ("bench_writers_ours", "bench_writers_raw"):
            try:
                server.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception:  # the server may be gone already
                pass
        server.close()
    return rows


def transitions_of(url: str) -> list[tuple]:
    """Every transition a database holds, by project and sequence (code, seq, trigger, from, to)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT p.code, e.seq, e.\"trigger\", e.from_stage, e.to_stage FROM event e "
                "JOIN project p ON p.id = e.project_id WHERE e.kind = 'transition' ORDER BY p.code, e.seq"))]
    finally:
        engine.dispose()


def check_equal(ours_url: str, raw_url: str) -> None:
    """Ours and the raw writers wrote the same transitions, project by project, in the same order."""
    ours, raw = transitions_of(ours_url), transitions_of(raw_url)
    if ours != raw:
        raise AssertionError(f"writers bench: ours wrote {len(ours)} transitions, raw psycopg {len(raw)}, "
                             "or other ones")


def _check(server: _Server, url: str, codes: list[str]) -> None:
    """Every writer's work is in history and the chains are whole (a benchmark that loses writes
    measures nothing)."""
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(url)
    try:
        svc = Service(engine, "coord")
        for code in codes:
            events = svc.history(code)["events"]
            assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False)), code
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), code
    finally:
        engine.dispose()
