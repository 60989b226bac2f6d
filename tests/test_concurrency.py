"""Concurrency proofs on both engines (two coordinators at once, exactly
one wins: docs/postgresql.md, "Locks and conflicts").

In the style of Camunda's concurrency tests and PostgreSQL's isolation tester, two sessions are
stepped through a fixed schedule: each session runs on its own thread and its own connection, and a
session can be paused right after it has locked the project row, so the other session's next step
happens at a known point.  Then a 16-process race over the real console script.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import COORD, run_pipeline
from tests.stages import to_signed
from workflow.errors import Conflict, NotFound, Refused

WAIT = 20  # seconds a step may take before the schedule is declared stuck


class Session:
    """One user session on its own engine and thread; ``pause_after_lock`` holds the row lock."""

    def __init__(self, url: str, name: str):
        from workflow.db import make_engine
        from workflow.service import Service

        self.name = name
        self.engine = make_engine(url)
        self.service = Service(self.engine, COORD)
        self.pause_after_lock = False
        self.locked = threading.Event()
        self.proceed = threading.Event()
        self.done = threading.Event()
        self.result = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def _pause(self) -> None:
        if self.pause_after_lock:
            self.locked.set()
            assert self.proceed.wait(WAIT), f"{self.name} was never released"

    def start(self, fn, *args, **kw) -> Session:
        def run():
            _RUNNING[threading.get_ident()] = self
            try:
                self.result = fn(self.service, *args, **kw)
            except BaseException as exc:  # noqa: B036 - reported to the test thread
                self.error = exc
            finally:
                self.done.set()

        self.thread = threading.Thread(target=run, name=self.name, daemon=True)
        self.thread.start()
        return self

    def join(self) -> None:
        assert self.done.wait(WAIT), f"{self.name} did not finish"
        self.thread.join(WAIT)

    def close(self) -> None:
        self.proceed.set()
        if self.thread is not None:
            self.thread.join(WAIT)
        self.engine.dispose()


_RUNNING: dict[int, Session] = {}  # thread -> the session it runs


def _stepped(method):
    """``method`` of the transaction kernel, pausing the calling session right after it (a row is
    locked, or a new project number taken) when that session asked to pause there."""

    def wrapper(self, *args, **kw):
        out = method(self, *args, **kw)
        session = _RUNNING.get(threading.get_ident())
        if session is not None:
            session._pause()
        return out

    return wrapper


@pytest.fixture
def sessions(any_cli, monkeypatch):
    from workflow.store import Txn

    monkeypatch.setattr(Txn, "lock", _stepped(Txn.lock))
    monkeypatch.setattr(Txn, "next_project_id", _stepped(Txn.next_project_id))
    opened: list[Session] = []

    def open_session(name: str) -> Session:
        s = Session(any_cli.url_for(COORD), name)
        opened.append(s)
        return s

    yield open_session
    for s in opened:
        s.close()


def _project(cli, name="翠宏山铁多金属矿") -> str:
    return cli("project", "add", "--name", name, "--investor", "翠宏山矿业", "--industry", "mining",
               "--investment", "8000万", "--unit", "XH", json=True, ok=True).json["code"]


def _events(cli, code) -> list[dict]:
    return cli("history", code, json=True, ok=True).json["events"]


def _waiting_on_lock(cli) -> int:
    """PostgreSQL: how many other sessions of this database wait on a lock right now."""
    rows = cli.cluster.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        (cli.database,))
    return rows[0][0]


def _until(predicate, timeout=WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# --- deterministic schedules ------------------------------------------------------------------------


def test_read_read_write_write_through_the_cli(any_cli):
    """r1 r2 w1 w2: both read version 1, the first write wins, the second is a clean conflict."""
    code = _project(any_cli)
    v1 = any_cli("project", "show", code, json=True).json["version"]
    v2 = any_cli("project", "show", code, json=True).json["version"]
    assert v1 == v2 == 1
    first = any_cli("advance", code, "submit", "--expect-version", v1, json=True)
    second = any_cli("followup", "add", code, "电话沟通", "--expect-version", v2, json=True)
    assert first.code == 0 and first.json["version"] == 2
    assert second.code == 5 and second.json["error"]["code"] == "version_conflict"
    assert second.json["error"]["details"] == [{"project": code, "version": 2, "expected": 1}]
    assert [e["kind"] for e in _events(any_cli, code)] == ["registered", "transition"]


def test_read_read_write_write_on_two_sessions(any_cli, sessions):
    code = _project(any_cli)
    a, b = sessions("A"), sessions("B")
    va = a.service.get_project(code)["version"]
    vb = b.service.get_project(code)["version"]
    a.start(lambda s: s.advance(code, "submit", expect_version=va)).join()
    b.start(lambda s: s.add_followup(code, "现场踏勘", expect_version=vb)).join()
    assert a.error is None and a.result.project.version == va + 1
    assert isinstance(b.error, Conflict) and b.error.exit_code == 5
    assert [e["kind"] for e in _events(any_cli, code)] == ["registered", "transition"]


def test_overlapping_writes_with_expect_version(any_cli, sessions):
    """A locks the row and pauses; B (same expected version) must wait, not fail and not write;
    A commits; B then finds the version moved: one success, one clean conflict."""
    code = _project(any_cli)
    a, b = sessions("A"), sessions("B")
    a.pause_after_lock = True
    a.start(lambda s: s.advance(code, "submit", expect_version=1))
    assert a.locked.wait(WAIT)
    b.start(lambda s: s.add_followup(code, "电话沟通", expect_version=1))
    assert not b.done.wait(0.5), "B must wait for A's lock"
    if any_cli.engine_kind == "postgres":
        assert _until(lambda: _waiting_on_lock(any_cli) == 1)  # B is queued on A's row lock
    a.proceed.set()
    a.join()
    b.join()
    assert a.error is None and a.result.project.stage == "screening"
    assert isinstance(b.error, Conflict)
    events = _events(any_cli, code)
    assert [(e["kind"], e["trigger"]) for e in events] == [("registered", None), ("transition", "submit")]
    assert any_cli("project", "show", code, json=True).json["version"] == 2


def test_overlapping_transitions_without_expect_version(any_cli, sessions):
    """Both fire ``submit``; the second re-reads the row under the lock and is refused (exit 3):
    it neither overwrites the first nor forks the chain."""
    code = _project(any_cli)
    a, b = sessions("A"), sessions("B")
    a.pause_after_lock = True
    a.start(lambda s: s.advance(code, "submit"))
    assert a.locked.wait(WAIT)
    b.start(lambda s: s.advance(code, "submit"))
    assert not b.done.wait(0.5)
    a.proceed.set()
    a.join()
    b.join()
    assert a.error is None
    assert isinstance(b.error, Refused) and b.error.exit_code == 3 and "screening" in b.error.message
    events = _events(any_cli, code)
    assert [e["seq"] for e in events] == [1, 2] and events[1]["prev_hash"] == events[0]["hash"]


def test_capital_and_a_transition_interleaved(any_cli, sessions):
    """A records capital and pauses; B records capital too.  Both succeed in turn (no version
    expected), the sum is exact and the chain is linear."""
    code = _project(any_cli)
    to_signed(any_cli, code)  # capital is recorded from `signed` on
    before = any_cli("project", "show", code, json=True).json["version"]
    head = len(_events(any_cli, code))
    a, b = sessions("A"), sessions("B")
    a.pause_after_lock = True
    a.start(lambda s: s.add_capital(code, 1_000_000, "CNY"))
    assert a.locked.wait(WAIT)
    b.start(lambda s: s.add_capital(code, 2_000_000, "CNY"))
    assert not b.done.wait(0.3)
    a.proceed.set()
    a.join()
    b.join()
    assert a.error is None and b.error is None
    view = any_cli("project", "show", code, json=True).json
    assert view["capital_in_place"] == [{"amount_minor": 3_000_000, "currency": "CNY"}]
    assert view["version"] == before + 2 and view["stage"] == "funding"
    events = _events(any_cli, code)
    assert [e["seq"] for e in events] == list(range(1, head + 4))  # A's capital + fund, B's capital
    assert all(y["prev_hash"] == x["hash"] for x, y in zip(events, events[1:], strict=False))


def test_writers_on_different_projects(any_cli, sessions):
    """PostgreSQL locks rows: B writes another project while A holds its lock.  SQLite has one
    writer at a time: B waits for A (and then succeeds)."""
    p1, p2 = _project(any_cli, "一号"), _project(any_cli, "二号")
    a, b = sessions("A"), sessions("B")
    a.pause_after_lock = True
    a.start(lambda s: s.advance(p1, "submit"))
    assert a.locked.wait(WAIT)
    b.start(lambda s: s.advance(p2, "submit"))
    if any_cli.engine_kind == "postgres":
        b.join()
        assert b.error is None and not a.done.is_set()
    else:
        assert not b.done.wait(0.5)
    a.proceed.set()
    a.join()
    b.join()
    assert a.error is None and b.error is None
    assert {any_cli("project", "show", p, json=True).json["stage"] for p in (p1, p2)} == {"screening"}


def test_two_sessions_adding_projects_get_consecutive_codes(any_cli, sessions):
    """A holds the next project number (its transaction is open); B's new project waits for it and
    takes the number after A's.  Then A fails after taking a number: nothing is used up."""
    _project(any_cli, "一号")
    a, b = sessions("A"), sessions("B")
    a.pause_after_lock = True

    def add(s, name):
        return s.add_project(name=name, investor="投资方", industry="energy", investment_minor=1_000_000,
                             unit="XH").project.code

    a.start(add, "二号")
    assert a.locked.wait(WAIT)
    b.start(add, "三号")
    assert not b.done.wait(0.5), "B must wait for A's number"
    a.proceed.set()
    a.join()
    b.join()
    assert (a.error, b.error) == (None, None)
    assert (a.result, b.result) == ("P-0002", "P-0003")
    c = sessions("C")
    with pytest.raises(NotFound):
        c.service.add_project(name="x", investor="y", industry="z", investment_minor=1, unit="NOPE")
    assert _project(any_cli, "四号") == "P-0004"


# --- 16 processes over the command line --------------------------------------------------------------

RACE = 16


@pytest.mark.slow
def test_sixteen_processes_race_one_winner(any_cli):
    """16 console-script processes, each writing the same project at the version they read: one
    transition or record, one event; fifteen clean conflicts (exit 5); nobody sees 'locked'."""
    code = _project(any_cli, "盛典蓝莓科技开发")
    version = any_cli("project", "show", code, json=True).json["version"]
    ev = ["--expect-version", str(version), "--json"]
    writes = [["advance", code, "submit", *ev], ["followup", "add", code, "人盯人", *ev],
              ["project", "edit", code, "--origin", "上海", *ev], ["followup", "add", code, "电话", *ev]]
    argvs = [writes[i % len(writes)] for i in range(RACE)]
    db = any_cli.url_for(COORD)
    start = time.perf_counter()
    with ThreadPoolExecutor(RACE) as pool:
        results = list(pool.map(lambda argv: run_pipeline(argv, db=db, actor=COORD, timeout=240), argvs))
    elapsed = time.perf_counter() - start
    codes = [r.returncode for r in results]
    winners = [argv for argv, r in zip(argvs, results, strict=True) if r.returncode == 0]
    report = f"{any_cli.engine_kind}: exit codes {sorted(codes)} in {elapsed:.1f}s"
    print(report)
    assert codes.count(0) == 1 and codes.count(5) == RACE - 1, report + str([r.stderr for r in results])
    import json

    for r in results:
        text = (r.stdout + r.stderr).lower()
        assert "locked" not in text and "traceback" not in text and "deadlock" not in text, text
        if r.returncode == 5:
            assert json.loads(r.stdout)["error"]["code"] in ("version_conflict", "database_busy",
                                                             "someone_else_changed_data")
    events = _events(any_cli, code)
    assert len(events) == 2 and events[1]["prev_hash"] == events[0]["hash"]
    kind = {"advance": "transition", "followup": "followup", "project": "edited"}[winners[0][0]]
    assert events[1]["kind"] == kind
    assert any_cli("project", "show", code, json=True).json["version"] == version + 1
