"""Tamper tests: an attacker with write access to the SQLite file drops the append-only triggers and
edits history directly; ``audit verify`` must name the project and event, exit 7 and change nothing.

Some attacks leave every chain internally consistent (a truncated tail with the project row fixed up,
a deleted project, a re-hashed chain): only a digest kept outside the database exposes those.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from workflow import audit, encoding


def _setup(service, cli=None) -> dict[str, int]:
    """Three projects with ten, seven and five events; returns code -> project id."""
    ids = {}
    for i, n_followups in enumerate((6, 3, 1), start=1):
        res = service.add_project(name=f"项目{i}", investor="利源达公司", industry="能源",
                                  investment_minor=5600_0000_00, unit="XH")
        code = res.project.code
        ids[code] = res.project.id
        service.advance(code, "submit")
        for k in range(n_followups):
            service.add_followup(code, f"第{k + 1}次跟进：对方称\"资金已落实\"")
        # an amount in the chain (capital waits until `signed`: the planned investment is edited instead)
        service.edit_project(code, {"investment_minor": 100_0000_00 * i})
        service.record_check(code, "environment", "pass", note="环评通过")
    return ids


def _events(db: str, pid: int) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, seq, hash FROM event WHERE project_id = ? ORDER BY seq", (pid,)).fetchall()
    finally:
        con.close()


def tamper(db: str, *statements: tuple) -> None:
    """Edit the file as an attacker would: drop the triggers, run the SQL, commit."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute("BEGIN")
        for stmt in statements:
            sql, *params = stmt if isinstance(stmt, tuple) else (stmt,)
            con.execute(sql, params[0] if params else ())
        con.execute("COMMIT")
    finally:
        con.close()


def dump(db: str) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def verify(cli, *args, actor="aud"):
    res = cli("audit", "verify", *args, json=True, actor=actor)
    return res.code, res.json


def assert_named(report: dict, code: str, seq: int | None, words: str) -> None:
    hits = [f for f in report["failures"] if f["code"] == code and f["seq"] == seq]
    assert hits, f"no failure at {code} #{seq}: {report['failures']}"
    assert any(words in f["problem"] for f in hits), hits


def _recompute(db: str, pid: int, code: str) -> None:
    """Re-hash a whole chain from its stored fields and fix the project row (a careful attacker)."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("DROP TRIGGER IF EXISTS event_no_update")
    con.execute("BEGIN")
    prev = encoding.GENESIS
    rows = con.execute("SELECT id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, actor, "
                       "reason, payload FROM event WHERE project_id = ? ORDER BY seq", (pid,)).fetchall()
    for (eid, seq, kind, trig, frm, to, eff, rec, actor, reason, payload) in rows:
        h = hashlib.sha256(encoding.event_bytes(code, seq, kind, trig, frm, to, eff, rec, actor, reason,
                                                    payload, prev)).hexdigest()
        con.execute("UPDATE event SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, eid))
        prev = h
    con.execute("UPDATE project SET head_seq = ?, head_hash = ? WHERE id = ?", (rows[-1][1], prev, pid))
    con.execute("COMMIT")
    con.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The county, built once per module; each test gets its own copy of the file."""
    from tests.conftest import ADMIN, COORD, Cli
    from workflow.db import make_engine
    from workflow.service import Service

    path = tmp_path_factory.mktemp("county") / "pipeline.db"
    c = Cli(str(path))
    c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    c.admin("users", "add", "aud", "--role", "auditor", ok=True)
    c.admin("units", "add", "XH", "--name", "新华镇", ok=True)
    c.admin("units", "add", "FGW", "--name", "发改局", "--kind", "department", ok=True)
    engine = make_engine(f"sqlite:///{path}")
    ids = _setup(Service(engine, COORD), c)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path, ids


@pytest.fixture
def county(template, tmp_path):
    """(cli, code -> project id) on a fresh copy of the county."""
    import shutil

    from tests.conftest import Cli

    path, ids = template
    dst = tmp_path / "pipeline.db"
    shutil.copy(path, dst)
    return Cli(str(dst)), ids


def service_for(cli):
    from tests.conftest import COORD
    from workflow.db import make_engine
    from workflow.service import Service

    return Service(make_engine(f"sqlite:///{cli.db}"), COORD)


def test_clean_history_verifies(county):
    cli, county = county
    code, report = verify(cli)
    assert code == 0 and report["ok"] is True and report["failures"] == []
    assert report["projects"] == 3 and report["events"] == 10 + 7 + 5
    assert report["digest"] is None  # no checkpoint taken yet


def test_edited_field(county):
    cli, county = county
    before = dump(cli.db)
    tamper(cli.db, ("UPDATE event SET reason = '无' WHERE project_id = ? AND seq = 4", (county["P-0002"],)))
    tampered = dump(cli.db)
    code, report = verify(cli)
    assert code == 7 and report["ok"] is False
    assert_named(report, "P-0002", 4, "edited")
    assert {f["code"] for f in report["failures"]} == {"P-0002"}
    assert dump(cli.db) == tampered != before  # verify changed nothing


def test_edited_amount_in_payload(county):
    cli, county = county
    pid = county["P-0001"]
    con = sqlite3.connect(cli.db)
    seq, payload = con.execute("SELECT seq, payload FROM event WHERE project_id = ? AND kind = 'edited'",
                               (pid,)).fetchone()
    con.close()
    assert '100000000]' in payload
    tamper(cli.db, ("UPDATE event SET payload = ? WHERE project_id = ? AND seq = ?",
                    (payload.replace("100000000", "900000000"), pid, seq)))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0001", seq, "edited")


def test_reformatted_payload_is_reported(county):
    cli, county = county
    tamper(cli.db, ("UPDATE event SET payload = '{ \"note\" : ' || substr(payload, 9) WHERE project_id = ? "
                    "AND seq = 3", (county["P-0003"],)))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0003", 3, "no longer canonical")


def test_deleted_middle_event(county):
    cli, county = county
    tamper(cli.db, ("DELETE FROM event WHERE project_id = ? AND seq = 5", (county["P-0001"],)))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0001", 5, "missing")


def test_swapped_pair_of_events(county):
    cli, county = county
    pid = county["P-0001"]
    tamper(cli.db,
           ("UPDATE event SET seq = -4 WHERE project_id = ? AND seq = 4", (pid,)),
           ("UPDATE event SET seq = 4 WHERE project_id = ? AND seq = 5", (pid,)),
           ("UPDATE event SET seq = 5 WHERE project_id = ? AND seq = -4", (pid,)))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0001", 4, "")
    assert {f["seq"] for f in report["failures"] if f["code"] == "P-0001"} >= {4, 5}


def test_swapped_write_order_is_caught_by_the_digest(county):
    cli, county = county
    """Exchanging two events' ids keeps every chain intact; the checkpoint digest still sees it."""
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    (a, _, _), (b, _, _) = _events(cli.db, county["P-0002"])[2:4]
    tamper(cli.db, ("UPDATE event SET id = -1 WHERE id = ?", (a,)), ("UPDATE event SET id = ? WHERE id = ?", (a, b)),
           ("UPDATE event SET id = ? WHERE id = -1", (b,)))
    code, report = verify(cli, "--digest", digest)
    assert code == 7 and report["digest"]["matched"] is False


def test_inserted_forged_event(county):
    cli, county = county
    """A forged event 3 with a correct hash and link, the real 3.. renumbered after it."""
    pid = county["P-0002"]
    con = sqlite3.connect(cli.db)
    prev = con.execute("SELECT hash FROM event WHERE project_id = ? AND seq = 2", (pid,)).fetchone()[0]
    n = con.execute("SELECT max(seq) FROM event WHERE project_id = ?", (pid,)).fetchone()[0]
    con.close()
    forged = dict(code="P-0002", seq=3, kind="followup", trigger=None, from_stage=None, to_stage=None,
                  effective_on="2026-01-05", recorded_at="2026-01-05 08:00:00.000000", actor="coord", reason=None,
                  payload=encoding.payload_text({"note": "伪造的跟进"}), prev_hash=prev)
    h = hashlib.sha256(encoding.event_bytes(*forged.values())).hexdigest()
    shifts = [("UPDATE event SET seq = ? WHERE project_id = ? AND seq = ?", (s + 1, pid, s)) for s in range(n, 2, -1)]
    tamper(cli.db, *shifts, (
        "INSERT INTO event(project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, "
        "actor, reason, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (pid, 3, "followup", None, None, None, forged["effective_on"], forged["recorded_at"], "coord", None,
         forged["payload"], prev, h)))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0002", 3, "out of order")  # numbered 3, written after the last event
    for seq in range(4, n + 2):  # the renumbered originals no longer hash to their own hashes
        assert_named(report, "P-0002", seq, "edited")
    assert {f["code"] for f in report["failures"]} == {"P-0002"}


def test_replaced_event_with_a_valid_hash(county):
    cli, county = county
    """A forged event 3 that hashes correctly and links to event 2: event 4 no longer links to it."""
    pid = county["P-0002"]
    con = sqlite3.connect(cli.db)
    row = con.execute("SELECT id, effective_on, recorded_at, actor, prev_hash FROM event WHERE project_id = ? "
                      "AND seq = 3", (pid,)).fetchone()
    con.close()
    payload = encoding.payload_text({"note": "伪造的跟进：资金已全部到位"})
    h = hashlib.sha256(encoding.event_bytes("P-0002", 3, "followup", None, None, None, row[1], row[2], row[3],
                                                None, payload, row[4])).hexdigest()
    tamper(cli.db, ("UPDATE event SET payload = ?, hash = ? WHERE id = ?", (payload, h, row[0])))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0002", 4, "prev_hash does not match the hash of event 3")
    assert len([f for f in report["failures"] if f["table"] == "event"]) == 1
    # the replay also finds that the follow-up the program shows is not the one history now records
    note = [f for f in report["failures"] if f["table"] == "followup"]
    assert [(f["code"], f["seq"], f["field"], f["expected"]) for f in note] == [
        ("P-0002", 3, "note", "伪造的跟进：资金已全部到位")]


def test_appended_forged_event_without_fixing_the_project(county):
    cli, county = county
    pid = county["P-0003"]
    last = _events(cli.db, pid)[-1]
    tamper(cli.db, (
        "INSERT INTO event(project_id, seq, kind, effective_on, recorded_at, actor, payload, prev_hash, hash) "
        "VALUES (?, ?, 'followup', '2026-01-05', '2026-01-05 08:00:00.000000', 'coord', '{}', ?, ?)",
        (pid, last[1] + 1, last[2], "0" * 64)))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0003", last[1] + 1, "edited")
    assert_named(report, "P-0003", last[1] + 1, "head")


def test_project_row_stage_disagrees_with_history(county):
    cli, county = county
    tamper(cli.db, ("UPDATE project SET stage = 'approved' WHERE code = 'P-0003'",))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0003", 2, "stage 'approved'")  # event 2 (submit) put it in screening


def test_project_row_version_impossible(county):
    cli, county = county
    tamper(cli.db, ("UPDATE project SET version = 999 WHERE code = 'P-0001'",))
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0001", 10, "version 999")


def test_truncated_tail_with_digest(county):
    cli, county = county
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    pid = county["P-0001"]
    events = _events(cli.db, pid)
    keep = events[-3]  # cut the last two events and make the project row agree (a careful attacker)
    cut = [e[1] for e in events if e[1] > keep[1]]
    con = sqlite3.connect(cli.db)  # the fields the cut edits changed go back to their old values
    restore = {}
    for (payload,) in con.execute("SELECT payload FROM event WHERE project_id = ? AND seq > ? AND kind = 'edited' "
                                  "ORDER BY seq DESC", (pid, keep[1])):
        restore.update({k: old for k, (old, _new) in json.loads(payload)["changes"].items()})
    con.close()
    tamper(cli.db, ("DELETE FROM event WHERE project_id = ? AND seq > ?", (pid, keep[1])),
           ("UPDATE project SET head_seq = ?, head_hash = ?, version = ? WHERE id = ?",
            (keep[1], keep[2], keep[1] - 1, pid)),
           *[(f"UPDATE project SET {k} = ? WHERE id = ?", (v, pid)) for k, v in restore.items()],
           *[(f"DELETE FROM {t} WHERE project_id = ? AND event_seq > ?", (pid, keep[1]))
             for t in ("capital_arrival", "screening_check", "followup")])
    assert cut
    # every chain is intact now: only the checkpoint can tell
    code, report = verify(cli, "--digest", digest)
    assert code == 7 and report["digest"]["matched"] is False
    assert_named(report, "P-0001", events[-1][1], "missing")
    assert [f for f in report["failures"] if f["code"] != "P-0001"] == []
    # without a digest, the latest stored checkpoint is checked the same way
    code, report = verify(cli)
    assert code == 7
    assert_named(report, "P-0001", events[-1][1], "missing")
    # the attacker also removes the checkpoint rows: the chains alone look fine ...
    tamper(cli.db, ("DELETE FROM checkpoint",))
    code, report = verify(cli)
    assert code == 0 and report["ok"], report["failures"]
    # ... but the digest the auditor kept elsewhere still exposes the cut
    code, report = verify(cli, "--digest", digest)
    assert code == 7 and report["digest"]["matched"] is False
    assert report["failures"][0]["code"] is None and "no prefix" in report["failures"][0]["problem"]


def test_deleted_project_with_digest(county):
    cli, county = county
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    pid = county["P-0002"]
    tamper(cli.db, *[(f"DELETE FROM {t} WHERE project_id = ?", (pid,)) for t in (
        "event", "document", "screening_check", "capital_arrival", "investment_completed", "followup",
        "assignment")], ("DELETE FROM project WHERE id = ?", (pid,)))
    code, report = verify(cli, "--digest", digest)
    assert code == 7
    assert_named(report, "P-0002", 7, "project is missing")
    # the chains that remain are intact: with the checkpoint rows gone, only the digest knows
    tamper(cli.db, ("DELETE FROM checkpoint",))
    assert verify(cli)[0] == 0
    code, report = verify(cli, "--digest", digest)
    assert code == 7 and not report["digest"]["matched"]


def test_rewritten_chain_is_caught_by_the_digest(county):
    cli, county = county
    """Edit an event and re-hash the whole chain: every link holds, the digest does not."""
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    pid = county["P-0001"]
    tamper(cli.db, ("UPDATE event SET payload = '{\"note\":\"改写的跟进\"}' WHERE project_id = ? AND seq = 3", (pid,)),
           ("UPDATE followup SET note = '改写的跟进' WHERE project_id = ? AND event_seq = 3", (pid,)),
           ("DELETE FROM checkpoint",))
    _recompute(cli.db, pid, "P-0001")
    assert verify(cli)[0] == 0  # internally consistent
    code, report = verify(cli, "--digest", digest)
    assert code == 7 and not report["digest"]["matched"]


def test_rewritten_chain_named_when_the_checkpoint_row_survives(county):
    cli, county = county
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    pid = county["P-0003"]
    tamper(cli.db, ("UPDATE event SET reason = '补记' WHERE project_id = ? AND seq = 3", (pid,)))
    _recompute(cli.db, pid, "P-0003")
    code, report = verify(cli, "--digest", digest)
    assert code == 7
    assert_named(report, "P-0003", 5, "rewritten")


def test_digest_survives_later_writes(county):
    cli, county = county
    service = service_for(cli)
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    service.add_followup("P-0002", "之后的跟进")
    service.advance("P-0003", "withdraw", reason="投资方撤回")
    cli("project", "add", "--name", "宾馆建设项目", "--investor", "利源达公司", "--industry", "服务业",
        "--investment", "8000万", "--unit", "FGW", ok=True)
    code, report = verify(cli, "--digest", digest)
    assert code == 0 and report["ok"]
    assert report["digest"]["matched"] and report["digest"]["covered_events"] == 22
    assert report["events"] == 22 + 1 + 1 + 1


def test_unknown_digest_fails_and_bad_digest_is_bad_input(county):
    cli, county = county
    code, report = verify(cli, "--digest", "ab" * 32)
    assert code == 7 and "no checkpoint with this digest" in report["failures"][0]["problem"]
    res = cli("audit", "verify", "--digest", "xyz", json=True)
    assert res.code == 2 and res.json["error"]["code"] == "bad_digest"


def test_checkpoint_refuses_a_broken_history(county):
    cli, county = county
    tamper(cli.db, ("UPDATE event SET actor = 'mallory' WHERE project_id = ? AND seq = 2", (county["P-0001"],)))
    res = cli.admin("audit", "checkpoint", json=True)
    assert res.code == 7 and res.json["error"]["code"] == "history_failed_verification_no_checkpoint"
    assert any(d["code"] == "P-0001" and d["seq"] == 2 for d in res.json["error"]["details"])
    con = sqlite3.connect(cli.db)
    assert con.execute("SELECT count(*) FROM checkpoint").fetchone()[0] == 0
    con.close()


def test_verify_text_output_lists_failures_and_exits_7(county):
    cli, county = county
    tamper(cli.db, ("DELETE FROM event WHERE project_id = ? AND seq = 3", (county["P-0003"],)))
    res = cli("audit", "verify", actor="aud")
    assert res.code == 7
    assert "P-0003" in res.out and "event 3 is missing" in res.out
    assert "failed verification" in res.err


def test_progress_callback_reports_every_event(county):
    cli, county = county
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{cli.db}", readonly=True)
    calls = []
    report = audit.verify(engine, progress=lambda done, total: calls.append((done, total)))
    engine.dispose()
    assert report["ok"] and calls[-1] == (22, 22)
