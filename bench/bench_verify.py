"""``audit verify`` throughput, ``history`` on a large database, and the memory of verify and audit log.

- verify: events per second of ``workflow.audit.verify`` (the code path of ``pipeline audit verify``)
  against the floor measured in the same run: raw ``sqlite3`` reading the same rows and hashing their
  joined fields with ``hashlib`` (goal, now that verify also replays every project and compares the
  derived tables: at least 0.35 of the floor's rate); once as is, once with a
  stored checkpoint (the running digest is then recomputed too).  The pure-Python ``rfc8785`` route
  over the same rows is shown for reference.  Rates are events per CPU second of the process
  (``time.process_time``), best of alternating rounds, so that other work on a shared machine does
  not decide the ratio.
- history: ``pipeline history CODE --json`` of a 100-event project in a database of 1,000,000 events
  against the same in a database of 1,000 events (goal: within 1.2×: the size of the rest of the
  history does not matter).
- memory: peak RSS of ``audit verify`` and of ``audit log --json`` in a subprocess, against the same
  commands on the 1,000-event database (goal: within 1.5×: constant memory).

The database is built quickly with plain ``sqlite3`` ``executemany`` over the real schema (Alembic),
with real hashes computed by ``workflow.audit``; it verifies clean before anything is measured.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import peak_rss_mib

NAME = "verify"
PER_PROJECT = 100
SIZES = {"tiny": 2_000, "small": 100_000, "full": 1_000_000}
SMALL_DB_EVENTS = 1_000

STAGES = ["lead", "screening", "approved", "signed", "funding", "construction", "production"]
TRIGGERS = {"screening": "submit", "approved": "approve", "signed": "sign", "funding": "fund",
            "construction": "break_ground", "production": "commission"}
TRANSITION_AT = {5: "screening", 12: "approved", 20: "signed", 28: "funding", 40: "construction", 60: "production"}
CHECKS = ("industrial_policy", "environment", "energy", "land_use")
DOCS = ("committee_decision", "contract", "planning_permit", "land_use", "eia", "safety_assessment")


# Events that make each project's history legal: the screening checklist and the committee decision
# before ``approve`` (12), the contract before ``sign`` (20), the completion acceptance before
# ``commission`` (60); the documents ``break_ground`` (40) needs come from the rotation below.
FIXED = {3: ("check", {"item": "industrial_policy", "result": "pass", "note": None}),
         4: ("check", {"item": "environment", "result": "pass", "note": None}),
         6: ("check", {"item": "energy", "result": "pass", "note": None}),
         7: ("check", {"item": "land_use", "result": "pass", "note": None}),
         8: ("document", {"document": "committee_decision", "number": "县招委〔2026〕8号"}),
         13: ("document", {"document": "contract", "number": "HT-2026-13"}),
         55: ("document", {"document": "completion_acceptance", "number": "竣工〔2026〕55号"})}


def _payload_for(seq: int, pid: int) -> tuple[str, dict]:
    if seq in FIXED:
        return FIXED[seq]
    k = seq % 5
    if k == 0:
        return "followup", {"note": f"与投资方电话沟通第{seq}次，对方称\"资金已落实\"\n下周赴县考察"}
    if k == 1:
        return "check", {"item": CHECKS[seq % 4], "result": "pass", "note": None}
    if k == 2:
        return "document", {"document": DOCS[seq % 6], "number": f"县招委〔2026〕{seq}号"}
    if k == 3:
        return "capital", {"amount_minor": 5600_0000_00 + pid * 100 + seq, "currency": "CNY",
                           "source": "盛典蓝莓科技开发有限公司"}
    return "investment", {"amount_minor": 3000_0000_00 + seq, "currency": "CNY"}


def build_db(path: Path, n_events: int, per_project: int = PER_PROJECT) -> dict:
    """An initialised database with ``n_events`` events over ``n_events // per_project`` projects
    whose rows agree with their (hash-chained) history."""
    from workflow import codes, encoding, event_rows, setup_rows
    from workflow.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:  # the set-up rows through the set-up ledger, as every command writes them
        for login, role in (("admin", "admin"), ("coord", "coordinator"), ("audit", "auditor")):
            setup_rows.write(conn, "admin", "app_user", {"login": login},
                             {"role": role, "disabled": False, "person_login": None})
        for code, name, kind in (("XH", "新华镇", "township"), ("FGW", "发改局", "department")):
            setup_rows.write(conn, "admin", "unit", {"code": code}, {"name": name, "kind": kind})
        setup_rows.write(conn, "admin", "person", {"login": "wang"},
                         {"name": "王县长", "title": "副县长", "level": "county", "unit_code": None, "cap": None,
                          "active": True})
    engine.dispose()
    n_projects = max(1, n_events // per_project)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    now = datetime(2026, 1, 2, 3, 4, 5)
    base_day = date(2020, 1, 1)
    t0 = datetime(2021, 1, 1, 1, 0, 0, 123456)  # recorded after every effective date
    prev = [encoding.GENESIS] * (n_projects + 1)
    stage = ["lead"] * (n_projects + 1)
    since = [base_day] * (n_projects + 1)
    enc_check = 0
    clock = 0
    derived: dict[str, list[dict]] = {}
    last_followup: dict[int, date] = {}
    sql = ("INSERT INTO event(project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, "
           "actor, reason, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
    for seq in range(1, per_project + 1):
        rows = []
        day = base_day + timedelta(days=seq * 3)
        eff = day.isoformat()
        for pid in range(1, n_projects + 1):
            code = codes.project_code(pid)
            clock += 1
            rec_dt = t0 + timedelta(seconds=clock, microseconds=(pid * 7919) % 1_000_000)
            rec = rec_dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            actor = "coord" if seq <= 2 or seq % 3 else "admin"
            trigger = frm = to = reason = None
            if seq == 1:
                kind, payload = "registered", {
                    "name": f"蓝莓深加工项目{pid}", "investor": "盛典蓝莓科技开发有限公司", "origin": "黑龙江",
                    "industry": "农产品加工", "category": None, "key": True,
                    "planned_investment_minor": 6_6000_0000_00, "unit_code": "XH" if pid % 2 else "FGW",
                    "workflow_name": "investment",
                    "workflow_version": 1, "plan": {"sign": None, "fund": None, "break_ground": None,
                                                    "commission": None}}
                to = "lead"
            elif seq == 2:
                kind, payload = "assignment", {"role": "lead_leader", "person": "wang", "rule_id": 1,
                                               "rule_version": 1}
            elif seq in TRANSITION_AT:
                to = TRANSITION_AT[seq]
                kind, trigger, frm = "transition", TRIGGERS[to], stage[pid]
                payload = {"auto": True} if trigger == "fund" else {}
                stage[pid] = to
                since[pid] = day
            else:
                kind, payload = _payload_for(seq, pid)
                if kind == "followup":
                    reason = None
            if kind not in ("registered", "transition"):
                ev = event_rows.event_from_row(kind, trigger, frm, to, day, reason, payload)
                for table, values in ev.derived(pid, seq, actor):
                    if table == "assignment":
                        values = {**values, "ended_on": None, "ended_seq": None}
                    derived.setdefault(table, []).append(values)
                if kind == "followup":
                    last_followup[pid] = day
            ptext = encoding.canonical(payload).decode("utf-8")
            raw = encoding.event_bytes(code, seq, kind, trigger, frm, to, eff, rec, actor, reason, ptext,
                                       prev[pid])
            if enc_check < 50:  # the fast bytes are the canonical document
                assert raw == encoding.canonical(encoding.event_document(
                    project=code, seq=seq, kind=kind, trigger=trigger, from_stage=frm, to_stage=to, effective_on=day,
                    recorded_at=rec_dt, actor=actor, reason=reason, payload=payload, prev_hash=prev[pid]))
                enc_check += 1
            h = hashlib.sha256(raw).hexdigest()
            rows.append((pid, seq, kind, trigger, frm, to, eff, rec, actor, reason, ptext, prev[pid], h))
            prev[pid] = h
        con.executemany(sql, rows)
        for table, values in derived.items():
            cols = list(values[0])
            con.executemany(f"INSERT INTO {table}({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [tuple(v.isoformat() if isinstance(v, date) else v for v in r.values()) for r in values])
        derived = {}
    prows = []
    for pid in range(1, n_projects + 1):
        reg = base_day + timedelta(days=3)
        prows.append((pid, codes.project_code(pid), f"蓝莓深加工项目{pid}", "盛典蓝莓科技开发有限公司", "黑龙江",
                      "农产品加工", None, 1, None, 6_6000_0000_00, "CNY", "XH" if pid % 2 else "FGW",
                      stage[pid], since[pid].isoformat(), None, reg.isoformat(), since[pid].isoformat(),
                      last_followup[pid].isoformat() if pid in last_followup else None,
                      "investment", 1, per_project - 1, per_project, prev[pid], str(now)))
    con.executemany(
        "INSERT INTO project(id, code, name, investor, origin, industry, category, key, key_override, "
        "planned_investment_minor, planned_currency, unit_code, stage, stage_since, held_from, registered_on, "
        "last_transition_on, last_followup_on, workflow_name, workflow_version, version, head_seq, head_hash, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", prows)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"events": n_projects * per_project, "projects": n_projects}


def floor_rate(path: Path) -> tuple[float, int]:
    """Raw sqlite3 reading the rows verify reads and hashing their joined fields: events/s."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    sha = hashlib.sha256
    t = time.process_time()
    n = 0
    bad = 0
    for row in con.execute("SELECT project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, "
                           "recorded_at, actor, reason, payload, prev_hash, hash FROM event ORDER BY id"):
        if sha("\x1f".join(map(str, row[:-1])).encode()).hexdigest() != row[-1]:
            bad += 1
        n += 1
    dt = time.process_time() - t
    con.close()
    return n / dt, n


def reference_rate(path: Path, limit: int) -> float:
    """The same rows through ``event_document`` + the pure-Python ``rfc8785`` + sha256: events/s."""
    import rfc8785

    from workflow import audit, encoding

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    codes = dict(con.execute("SELECT id, code FROM project"))
    t = time.process_time()
    n = 0
    for (pid, seq, kind, trig, frm, to, eff, rec, actor, reason, payload, prev, h) in con.execute(
            f"SELECT project_id, seq, kind, \"trigger\", from_stage, to_stage, effective_on, recorded_at, actor, "
            f"reason, payload, prev_hash, hash FROM event ORDER BY id LIMIT {int(limit)}"):
        doc = encoding.event_document(project=codes[pid], seq=seq, kind=kind, trigger=trig, from_stage=frm,
                                   to_stage=to, effective_on=eff, recorded_at=audit.format_utc(
                                       datetime.fromisoformat(rec)), actor=actor, reason=reason,
                                   payload=payload, prev_hash=prev)
        if hashlib.sha256(rfc8785.dumps(doc)).hexdigest() != h:
            raise AssertionError(f"reference hash differs at {pid}/{seq}")
        n += 1
    dt = time.process_time() - t
    con.close()
    return n / dt


def verify_rate(path: Path, digest: str | None = None) -> tuple[float, dict]:
    from workflow import audit
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{path}", readonly=True)
    t = time.process_time()
    report = audit.verify(engine, digest=digest)
    dt = time.process_time() - t
    engine.dispose()
    if not report["ok"]:
        raise AssertionError(f"the benchmark database does not verify: {report['failures'][:3]}")
    return report["events"] / dt, report


def history_times(cases: list[tuple[Path, str]], repeat: int = 15) -> list[float]:
    """Median wall time of ``pipeline history CODE --json`` in this process, for each (database, code);
    the cases alternate run by run, so a busy moment on the machine hits them alike."""
    import contextlib
    import io

    from cli.app import main

    times: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for (path, code), out in zip(cases, times, strict=True):
            buf = io.StringIO()
            t = time.perf_counter()
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
                code_ = main(["--db", str(path), "--as", "audit", "history", code, "--json"])
            out.append(time.perf_counter() - t)
            if code_ != 0 or len(json.loads(buf.getvalue())["events"]) != PER_PROJECT:
                raise AssertionError(f"history {code} failed ({code_})")
    return [statistics.median(t) for t in times]


def _row(name, ours, baseline, unit, ratio, goal, met, equal=None) -> dict:
    return {"benchmark": name, "ours": ours, "baseline": baseline, "unit": unit, "ratio": ratio, "goal": goal,
            "met": met, "equal": equal}


def run(size: str, workdir: Path) -> list[dict]:
    n = SIZES[size]
    big = workdir / "big.db"
    small = workdir / "small.db"
    t = time.perf_counter()
    info = build_db(big, n)
    print(f"  built {info['events']:,} events in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    build_db(small, SMALL_DB_EVENTS)
    rows = []
    floor = ours = 0.0
    for _ in range(2 if size == "full" else 3):  # alternate, keep the best of each
        rate, floor_n = floor_rate(big)
        floor = max(floor, rate)
        rate, report = verify_rate(big)
        ours = max(ours, rate)
        # the same work: both read and hash every event of the database
        if not report["events"] == floor_n == info["events"]:
            raise AssertionError(f"verify bench: ours read {report['events']} events, the floor {floor_n}")
    ratio = ours / floor
    rows.append(_row(f"audit verify, {info['events']:,} events (events/s vs raw sqlite3+hashlib)", ours, floor,
                     "events/s", ratio, "≥ 0.35×", ratio >= 0.35, True))
    digest = take_checkpoint(big)
    ours_d = 0.0
    for _ in range(1 if size == "full" else 2):
        rate, report = verify_rate(big, digest)
        ours_d = max(ours_d, rate)
        if report["events"] != floor_n:
            raise AssertionError(f"verify bench: ours read {report['events']} events, the floor {floor_n}")
    rows.append(_row("audit verify --digest (checkpoint stored; running digest too)", ours_d, floor,
                     "events/s", ours_d / floor, "≥ 0.35×", ours_d / floor >= 0.35, True))
    ref = reference_rate(big, min(info["events"], 200_000))
    rows.append(_row("pure-Python rfc8785 route over the same rows (reference)", ref, floor, "events/s",
                     ref / floor, "-", None))
    code = audit_code(info["projects"] // 2 + 1)
    big_h, small_h = history_times([(big, code), (small, audit_code(SMALL_DB_EVENTS // PER_PROJECT // 2 + 1))])
    rows.append(_row(f"history of a {PER_PROJECT}-event project: {info['events']:,} vs {SMALL_DB_EVENTS:,} events "
                     "in the database", big_h, small_h, "s", big_h / small_h, "≤ 1.2×", big_h / small_h <= 1.2))
    for label, args in (("audit verify", ["audit", "verify", "--json"]),
                        ("audit log --json", ["audit", "log", "--json"])):
        big_m, small_m = (peak_rss_mib(["--db", str(db), "--as", "audit", *args], {"PIPELINE_LANG": "en"})
                          for db in (big, small))
        rows.append(_row(f"peak memory of {label}: {info['events']:,} vs {SMALL_DB_EVENTS:,} events", big_m,
                         small_m, "MiB", big_m / small_m, "≤ 1.5× and ≤ 200 MiB",
                         big_m / small_m <= 1.5 and big_m <= 200))
    return rows


def take_checkpoint(path: Path) -> str:
    from workflow import audit
    from workflow.db import make_engine

    engine = make_engine(f"sqlite:///{path}")
    doc = audit.checkpoint(engine, "admin", store=True)
    engine.dispose()
    return doc["digest"]


def audit_code(pid: int) -> str:
    from workflow.codes import project_code

    return project_code(pid)
