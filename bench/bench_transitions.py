"""Single transitions through the service layer, one transaction each, against raw sqlite3 doing the
same writes (project update + hashed event insert) per transaction.

Before the row is reported both databases are checked to hold the same transitions (trigger, from,
to, in order) and the same final stage; the row's ``equal`` is True once they do."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import date
from pathlib import Path

from bench.common import init_db, row

NAME = "transitions"
SIZES = {"tiny": 50, "small": 500, "full": 3000}


def _ours(path: Path, n: int) -> float:
    from workflow.db import make_engine
    from workflow.service import Service

    url = init_db(path)
    engine = make_engine(url)
    svc = Service(engine, "bench")
    code = svc.add_project(name="博士慧风电", investor="博士慧风电有限公司", industry="energy",
                           investment_minor=80_000_000_00, unit="XH").project.code
    on = date.today()
    t0 = time.perf_counter()
    for i in range(n):
        if i % 2 == 0:
            svc.advance(code, "hold", on=on, reason="等待指标")
        else:
            svc.advance(code, "resume", on=on)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return n / elapsed


def _raw(path: Path, n: int) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE project (id INTEGER PRIMARY KEY, code TEXT, stage TEXT, stage_since TEXT, "
                "version INTEGER, head_seq INTEGER, head_hash TEXT)")
    con.execute("CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER, seq INTEGER, "
                "kind TEXT, trigger TEXT, from_stage TEXT, to_stage TEXT, effective_on TEXT, recorded_at TEXT, "
                "actor TEXT, reason TEXT, payload TEXT, prev_hash TEXT, hash TEXT, UNIQUE (project_id, seq))")
    con.execute("INSERT INTO project VALUES (1, 'P-0001', 'lead', '2026-01-01', 1, 0, ?)", ("0" * 64,))
    prev, stage, version = "0" * 64, "lead", 1
    today = date.today().isoformat()
    t0 = time.perf_counter()
    for i in range(n):
        to, trig = ("on_hold", "hold") if i % 2 == 0 else ("lead", "resume")
        seq = i + 1
        doc = {"project": "P-0001", "seq": seq, "kind": "transition", "trigger": trig, "from": stage, "to": to,
               "effective_on": today, "recorded_at": "2026-01-01T00:00:00.000000Z", "actor": "bench",
               "reason": "x", "payload": {}, "prev_hash": prev}
        h = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                           .encode()).hexdigest()
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO event (project_id, seq, kind, trigger, from_stage, to_stage, effective_on, "
                    "recorded_at, actor, reason, payload, prev_hash, hash) VALUES (1,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (seq, "transition", trig, stage, to, today, doc["recorded_at"], "bench", "x", "{}", prev, h))
        cur = con.execute("UPDATE project SET stage=?, stage_since=?, version=?, head_seq=?, head_hash=? "
                          "WHERE id=1 AND version=?", (to, today, version + 1, seq, h, version))
        assert cur.rowcount == 1
        con.execute("COMMIT")
        prev, stage, version = h, to, version + 1
    elapsed = time.perf_counter() - t0
    con.close()
    return n / elapsed


def written(path: Path) -> tuple[list[tuple], str]:
    """The transitions a database holds (trigger, from, to, in order) and its project's stage."""
    con = sqlite3.connect(path)
    try:
        moves = con.execute("SELECT trigger, from_stage, to_stage FROM event WHERE kind = 'transition' "
                            "ORDER BY seq").fetchall()
        stage = con.execute("SELECT stage FROM project").fetchone()[0]
    finally:
        con.close()
    return moves, stage


def check_equal(ours: Path, raw: Path) -> None:
    if written(ours) != written(raw):
        raise AssertionError("transitions bench: ours and raw sqlite3 wrote different transitions")


def run(size: str, workdir: Path) -> list[dict]:
    n = SIZES[size]
    ours = _ours(workdir / "ours.db", n)
    raw = _raw(workdir / "raw.db", n)
    check_equal(workdir / "ours.db", workdir / "raw.db")
    return [row("single transitions (SQLite, WAL), per second", ours, raw, "tx/s", "≥ 0.3 of raw",
                higher_is_better=True, limit=0.3, equal=True)]
