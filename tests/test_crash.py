"""Crash proof: SIGKILL bursts of real commands at random moments, 20 times, on both engines.

Each round starts three driver processes, each running a project's whole journey (submit, documents,
checks, approve, sign, capital that fires ``fund``, permits, break ground, investment, follow-up,
commission) as ``pipeline`` commands through ``cli.app.main`` — about twenty write transactions one
after another.  Drivers are forked from a process that has imported the program once (a fork
server), so each is a real process that dies by SIGKILL, without paying Python's start-up per
round.  A driver logs, unbuffered, when each command starts and ends and when a database
transaction begins, first writes, commits or rolls back.  The test kills each driver with SIGKILL at
a random moment: either a random delay after a random command finished, or a random delay after a
random write statement ran (so that many kills land inside an open write transaction).

After every round: SQLite's ``PRAGMA integrity_check`` and ``foreign_key_check`` pass; no partial
batch is visible and every chain verifies (``tests/invariants.py`` recomputes every hash; the audit
engine's own ``verify`` runs too when present); then the work is re-run to completion from what
history says was done, and every step is found exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import COORD, ROOT
from tests.invariants import store_problems

pytestmark = pytest.mark.slow

ROUNDS = 20
DRIVERS = 3

ZYGOTE = r'''
import json, os, signal, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Import everything a command needs once; every driver is forked from here, so a round costs the
# work and not the interpreter's start-up.  No database is opened before a fork.
from cli.app import main
import cli.commands, cli.render, workflow.service, workflow.db, workflow.audit, workflow.rules  # noqa
import workflow.io, workflow.machine, workflow.guards, workflow.lights, rich.console  # noqa
import sqlalchemy.dialects.sqlite, sqlalchemy.dialects.postgresql.psycopg, psycopg  # noqa
from workflow.definition import default_definition
default_definition()

state = {"fd": None, "wrote": False}

def mark(text):
    os.write(state["fd"], (text + "\n").encode())

@event.listens_for(Engine, "begin")
def _begin(conn):
    state["wrote"] = False
    mark(f"B {time.monotonic()}")

@event.listens_for(Engine, "before_cursor_execute")
def _stmt(conn, cursor, statement, parameters, context, executemany):
    if not state["wrote"] and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
        state["wrote"] = True
        mark(f"W {time.monotonic()}")

@event.listens_for(Engine, "commit")
def _commit(conn):
    mark(f"C {time.monotonic()}")

@event.listens_for(Engine, "rollback")
def _rollback(conn):
    mark(f"R {time.monotonic()}")

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # drivers are reaped as soon as they die
print("ready", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            state["fd"] = os.open(job["progress"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            mark("READY")
            for i, argv in enumerate(job["plan"]):
                mark(f"S {i}")
                rc = main(["--db", job["db"], "--as", "coord", *argv])
                mark(f"D {i} {rc}")
            mark("END")
        finally:
            os._exit(0)
    print(pid, flush=True)
'''


class Drivers:
    """A fork server for driver processes: each driver is a real process running ``pipeline``
    commands (``cli.app.main``) and logging its progress; the test SIGKILLs it."""

    def __init__(self, tmp_path: Path):
        script = tmp_path / "zygote.py"
        script.write_text(ZYGOTE, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PIPELINE_LANG": "en"}
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def start(self, progress: Path, db: str, plan: list[list[str]]) -> int:
        self.proc.stdin.write(json.dumps({"progress": str(progress), "db": db, "plan": plan}) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(30)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert not _alive(pid)


@pytest.fixture
def drivers(tmp_path):
    d = Drivers(tmp_path)
    yield d
    d.close()


def journey(code: str) -> list[tuple[list[str], tuple]]:
    """The steps of one project's journey and, for each, the history entry that shows it was done."""
    steps: list[tuple[list[str], tuple]] = [(["advance", code, "submit"], ("transition", "submit"))]
    steps.append((["doc", "add", code, "committee_decision", f"CD-{code}"], ("document", f"CD-{code}")))
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        steps.append((["check", code, item, "pass"], ("check", item)))
    steps.append((["advance", code, "approve"], ("transition", "approve")))
    steps.append((["doc", "add", code, "contract", f"HT-{code}"], ("document", f"HT-{code}")))
    steps.append((["advance", code, "sign"], ("transition", "sign")))
    steps.append((["capital", "add", code, "1000万", "--source", f"first-{code}"], ("capital", f"first-{code}")))
    steps.append((["capital", "add", code, "500万", "--source", f"second-{code}"], ("capital", f"second-{code}")))
    for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
        steps.append((["doc", "add", code, kind, f"{kind}-{code}"], ("document", f"{kind}-{code}")))
    steps.append((["advance", code, "break_ground"], ("transition", "break_ground")))
    steps.append((["investment", "add", code, "2000万"], ("investment", 2000_0000_00)))
    steps.append((["followup", "add", code, f"现场调度 {code}"], ("followup", f"现场调度 {code}")))
    steps.append((["doc", "add", code, "completion_acceptance", f"YS-{code}"], ("document", f"YS-{code}")))
    steps.append((["advance", code, "commission"], ("transition", "commission")))
    return steps


def _marker(event: dict) -> tuple | None:
    p = event["payload"]
    return {
        "transition": lambda: ("transition", event["trigger"]),
        "document": lambda: ("document", p.get("number")),
        "check": lambda: ("check", p.get("item")),
        "capital": lambda: ("capital", p.get("source")),
        "investment": lambda: ("investment", p.get("amount_minor")),
        "followup": lambda: ("followup", p.get("note")),
    }.get(event["kind"], lambda: None)()


def _done(cli, code) -> Counter:
    """What history shows as done for ``code`` (read straight from the event table)."""
    from workflow.db import make_engine

    engine = make_engine(cli.url_for(COORD))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT e.kind, e.\"trigger\", e.payload FROM event e JOIN project p ON p.id = e.project_id "
                "WHERE p.code = :code ORDER BY e.seq"), {"code": code}).all()
    finally:
        engine.dispose()
    events = [{"kind": k, "trigger": t, "payload": json.loads(p)} for k, t, p in rows]
    return Counter(m for m in map(_marker, events) if m is not None)


def _kill_at_random(pid: int, progress: Path, reach: int, rng: random.Random) -> str:
    """SIGKILL driver ``pid`` at a random moment of its work (within its first ``reach`` commands);
    returns where it was when killed."""
    by_write = rng.random() < 0.5
    target = rng.randrange(reach)
    delay = rng.uniform(0, 0.004 if by_write else 0.03)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lines = progress.read_text().split("\n") if progress.exists() else []
        if "END" in lines or not _alive(pid):
            break
        seen = sum(1 for x in lines if x.startswith("W " if by_write else "D "))
        if seen > target:
            time.sleep(delay)
            break
        time.sleep(0.001)
    _kill(pid)
    return _where(progress.read_text().splitlines())


def _where(lines: list[str]) -> str:
    if lines and lines[-1] == "END":
        return "finished"
    state = "starting"
    for line in lines:
        tag = line.split(" ", 1)[0]
        if tag == "READY":
            state = "between commands"
        elif tag == "S":
            state = "in a command"
        elif tag == "D":
            state = "between commands"
        elif tag == "B" and state.startswith("in"):
            state = "in a transaction"
        elif tag == "W":
            state = "in a write transaction"
        elif tag == "C":
            state = "committing"
        elif tag == "R":
            state = "in a command"
    return state


def _stamp(lines: list[str], tag: str) -> float | None:
    """The time (``time.monotonic``, shared by all processes) of the last ``tag`` line."""
    for line in reversed(lines):
        if line.startswith(tag + " "):
            return float(line.split(" ", 1)[1])
    return None


def _store_is_sound(any_cli, url: str, rnd: int) -> None:
    """After a kill: the file passes its checks, the store is consistent, every chain verifies."""
    from workflow.db import make_engine

    if any_cli.engine_kind == "sqlite":
        _sqlite_checks(any_cli.db)
    engine = make_engine(url)
    try:
        assert store_problems(engine) == [], f"round {rnd}"
        _audit_verify(engine)
    finally:
        engine.dispose()


def _sqlite_checks(path: str) -> None:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def _audit_verify(engine) -> None:
    from workflow import audit

    if hasattr(audit, "verify"):  # the audit engine's own verification, once it exists
        report = audit.verify(engine)
        assert report["ok"], report["failures"][:5]


def _expected(code: str) -> list[tuple]:
    return [m for _, m in journey(code)] + [("transition", "fund")]  # fund is fired by the first capital


def test_sigkill_bursts_of_commands(any_cli, tmp_path, drivers):
    from workflow.db import make_engine

    rng = random.Random(int(os.environ.get("PIPELINE_CRASH_SEED", "20261128")))
    url = any_cli.url_for(COORD)
    where: Counter = Counter()
    slots: list[str | None] = [None] * DRIVERS
    projects: list[str] = []
    for rnd in range(ROUNDS):
        procs = []
        for i in range(DRIVERS):
            done = _done(any_cli, slots[i]) if slots[i] else None
            if done is None or sorted(done) == sorted(_expected(slots[i])):
                slots[i] = any_cli("project", "add", "--name", f"round {rnd} slot {i}", "--investor", "利源达公司",
                                   "--industry", "energy", "--investment", "5600万", "--unit", "XH",
                                   json=True, ok=True).json["code"]
                projects.append(slots[i])
                done = Counter()
            # re-run what history does not show as done, as the user would after a crash
            plan = [argv for argv, marker in journey(slots[i]) if marker not in done]
            progress = tmp_path / f"progress-{rnd}-{i}"
            procs.append((drivers.start(progress, url, plan), progress, min(len(plan), 3)))
        for pid, progress, reach in procs:
            where[_kill_at_random(pid, progress, reach, rng)] += 1

        # after the crash: the store is sound, nothing half-written, every chain verifies
        _store_is_sound(any_cli, url, rnd)
        for code in slots:
            done = _done(any_cli, code)
            assert set(done.values()) <= {1}, (code, done)  # nothing was done twice

    # the work can be re-run to completion
    for code in projects:
        done = _done(any_cli, code)
        for argv, marker in journey(code):
            if marker not in done:
                any_cli(*argv, ok=True)
        done = _done(any_cli, code)
        assert sorted(done) == sorted(_expected(code)) and set(done.values()) == {1}
        view = any_cli("project", "show", code, json=True, ok=True).json
        assert view["stage"] == "production"
        assert view["capital_in_place"] == [{"amount_minor": 1500_0000_00, "currency": "CNY"}]
    engine = make_engine(url)
    try:
        assert store_problems(engine) == []
        _audit_verify(engine)
    finally:
        engine.dispose()
    if any_cli.engine_kind == "sqlite":
        _sqlite_checks(any_cli.db)
    total = ROUNDS * DRIVERS
    print(f"{any_cli.engine_kind}: {ROUNDS} rounds, {total} kills: {dict(where)}; {len(projects)} projects "
          f"re-run to production")
    # the kills really land inside the work, not only before or after it
    assert where["in a write transaction"] + where["committing"] >= 3, dict(where)


IMPORT_ROUNDS = 10
IMPORT_ROWS = 2000


def _kill_import(pid: int, progress: Path, rng: random.Random, windows: list[float]) -> str:
    """SIGKILL the import at a random moment: while it reads and checks the file, or at a uniformly
    random point of its write transaction, from its first INSERT to its COMMIT (how long that takes
    is learnt from the rounds that got through)."""
    in_write = rng.random() < 0.85
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lines = progress.read_text().split("\n") if progress.exists() else []
        if "END" in lines or not _alive(pid):
            break
        if not in_write and "READY" in lines:
            time.sleep(rng.uniform(0, 0.5))
            break
        wrote = _stamp(lines, "W")
        if in_write and wrote is not None:
            window = sorted(windows)[len(windows) // 2] if windows else 0.1
            time.sleep(max(0.0, wrote + rng.uniform(0, window) - time.monotonic()))
            break
        time.sleep(0.001)
    _kill(pid)
    lines = progress.read_text().splitlines()
    wrote, committed = _stamp(lines, "W"), _stamp(lines, "C")
    if wrote is not None and committed is not None and committed > wrote:
        windows.append(committed - wrote)
    return _where(lines)


def _top_code(cli) -> str:
    from workflow.db import make_engine

    engine = make_engine(cli.url_for(COORD))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT code FROM project ORDER BY id DESC LIMIT 1").scalar()
    finally:
        engine.dispose()


def _count_projects(url: str) -> int:
    from workflow.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM project").scalar()
    finally:
        engine.dispose()


def test_sigkill_a_large_import(any_cli, tmp_path, drivers):
    """A 2,000-row ledger is imported in one transaction: killed at any moment, either every row
    is in or none is; re-running the import then completes it."""
    import csv

    from workflow.db import make_engine

    rng = random.Random(int(os.environ.get("PIPELINE_CRASH_SEED", "20261128")) + 1)
    url = any_cli.url_for(COORD)
    where: Counter = Counter()
    windows: list[float] = []
    imported_by_killed = 0
    for rnd in range(IMPORT_ROUNDS):
        ledger = tmp_path / f"ledger-{rnd}.csv"
        with open(ledger, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["项目名称", "投资方", "行业", "计划总投资", "责任单位"])
            for i in range(IMPORT_ROWS):
                w.writerow([f"第{rnd}批 项目 {i}", f"投资方 {rnd}-{i}", "energy", f"{1000 + i}万", "XH"])
        before = _count_projects(url)
        progress = tmp_path / f"import-{rnd}"
        pid = drivers.start(progress, url, [["import", str(ledger), "--json"]])
        where[_kill_import(pid, progress, rng, windows)] += 1
        _store_is_sound(any_cli, url, rnd)
        after = _count_projects(url)
        assert after - before in (0, IMPORT_ROWS), f"a partial import is visible: {after - before} rows"
        if after == before:  # re-run the import to completion
            res = any_cli("import", str(ledger), json=True, ok=True).json
            assert res["imported"] == IMPORT_ROWS
        else:
            imported_by_killed += 1
            assert any_cli("import", str(ledger), json=True).code == 2  # already there: refused as duplicates
        assert _count_projects(url) == before + IMPORT_ROWS
        assert _top_code(any_cli) == f"P-{before + IMPORT_ROWS:04d}"  # a killed import used no codes up
    engine = make_engine(url)
    try:
        assert store_problems(engine) == []
    finally:
        engine.dispose()
    print(f"{any_cli.engine_kind}: {IMPORT_ROUNDS} import kills: {dict(where)}; "
          f"{imported_by_killed} had committed before the kill")
    assert where["in a write transaction"] + where["committing"] >= 1, dict(where)
