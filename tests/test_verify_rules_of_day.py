# ruff: noqa: F811  (the fixture ``county`` is imported from tests/test_verify_replay.py)
"""``audit verify`` judges each event by the rules of its day (docs/audit.md): the actor's role and
disabled flag, and the closed periods, as the set-up ledger stood when the event was recorded; recorded
times never go backwards along a project's history nor lie in the future.  Forged events are appended
by plain SQL, correctly hashed and chained (the worst case: the file, or the superuser)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from tests.conftest import COORD
from tests.test_closed_periods import IN2, OPEN, PERIOD, signed_project
from tests.test_verify_replay import _engine, county, failures, tamper  # noqa: F401  (the fixture)
from workflow import clock, encoding
from workflow.access import ADMIN


def forge_followup(cli, code: str, actor: str, on: date | None = None, *, late: dict | None = None,
                   recorded_at=None, event_id: int | None = None) -> int:
    """A follow-up of ``actor`` appended to ``code`` by plain SQL: the event (hashed, chained), its
    follow-up row and the project row moved on, as the program would have written them; its seq."""
    on = on or clock.today()
    at = recorded_at or clock.utcnow()
    payload = {"note": "补记走访", **({"late": late} if late else {})}
    body = encoding.canonical(payload).decode("utf-8")
    engine = _engine(cli)
    try:
        with engine.connect() as conn:
            pid, seq, prev, last = conn.execute(text(
                "SELECT id, head_seq, head_hash, last_followup_on FROM project WHERE code = :c"), {"c": code}).one()
    finally:
        engine.dispose()
    seq += 1
    h = encoding.event_hash(code, seq, "followup", None, None, None, on, at, actor, None, body, prev)
    last = last if last is None or isinstance(last, date) else date.fromisoformat(str(last))
    new_last = on if last is None or on > last else last
    tamper(cli, *[
        text("INSERT INTO event(project_id, seq, kind, effective_on, recorded_at, actor, payload, prev_hash, hash) "
             "VALUES (:pid, :seq, 'followup', :on, :at, :actor, :body, :prev, :h)")
        .bindparams(pid=pid, seq=seq, on=on, at=at, actor=actor, body=body, prev=prev, h=h) if event_id is None else
        text("INSERT INTO event(id, project_id, seq, kind, effective_on, recorded_at, actor, payload, prev_hash, hash) "
             "VALUES (:id, :pid, :seq, 'followup', :on, :at, :actor, :body, :prev, :h)")
        .bindparams(id=event_id, pid=pid, seq=seq, on=on, at=at, actor=actor, body=body, prev=prev, h=h),
        text("INSERT INTO followup(project_id, event_seq, note, effective_on, actor) "
             "VALUES (:pid, :seq, '补记走访', :on, :actor)").bindparams(pid=pid, seq=seq, on=on, actor=actor),
        text("UPDATE project SET head_seq = :seq, head_hash = :h, version = version + 1, last_followup_on = :last "
             "WHERE id = :pid").bindparams(seq=seq, h=h, last=new_last, pid=pid),
    ])
    return seq


def verify_ok(cli) -> None:
    res = cli("audit", "verify", json=True)
    assert res.code == 0, res.out


def test_the_forged_follow_up_itself_verifies(county):
    """The forging helper writes what the program writes: an entitled actor's follow-up passes."""
    forge_followup(county, "P-0001", COORD)
    verify_ok(county)


# --- roles of their day ------------------------------------------------------------------------------


def test_a_role_change_leaves_past_entries_valid(county):
    county.admin("users", "edit", COORD, "--role", "auditor", "--reason", "调岗", ok=True)
    verify_ok(county)  # every entry coord made was made as a coordinator
    county.admin("users", "edit", COORD, "--role", "coordinator", "--reason", "回岗", ok=True)
    county("followup", "add", "P-0001", "再次走访", ok=True)
    verify_ok(county)


def test_an_event_not_allowed_when_recorded_fails_though_its_actor_was_promoted_later(county):
    county.admin("users", "add", "li", "--role", "auditor", ok=True)
    county.admin("users", "edit", "li", "--role", "leader", "--reason", "任命", ok=True)
    seq = forge_followup(county, "P-0001", "li")  # a leader who holds no role on P-0001
    county.admin("users", "edit", "li", "--role", "coordinator", "--reason", "调任", ok=True)
    hits = [f for f in failures(county) if f["seq"] == seq and f["field"] == "actor"]
    assert hits and hits[0]["table"] == "event", hits
    assert "li" in str(hits[0]["problem"])


def test_an_auditor_s_event_fails_though_the_auditor_became_coordinator(county):
    county.admin("users", "add", "zhao", "--role", "coordinator", ok=True)
    county.admin("users", "edit", "zhao", "--role", "auditor", "--reason", "调岗", ok=True)
    seq = forge_followup(county, "P-0001", "zhao")
    county.admin("users", "edit", "zhao", "--role", "coordinator", "--reason", "回岗", ok=True)
    hit = [f for f in failures(county) if f["seq"] == seq and f["field"] == "actor"]
    assert hit and hit[0]["found"] == "auditor", hit


def test_an_event_of_a_disabled_login_fails_though_it_was_enabled_later(county):
    county.admin("users", "disable", COORD, "--reason", "离职", ok=True)
    seq = forge_followup(county, "P-0001", COORD)
    county.admin("users", "enable", COORD, "--reason", "返岗", ok=True)
    hit = [f for f in failures(county) if f["seq"] == seq and f["field"] == "actor"]
    assert hit and "disabled" in hit[0]["found"], hit


# --- closed periods of their day ---------------------------------------------------------------------


def test_an_entry_dated_in_a_closed_period_needs_the_late_marker(cli):
    code = signed_project(cli)
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    seq = forge_followup(cli, code, COORD, date.fromisoformat(IN2))
    hit = [f for f in failures(cli) if f["seq"] == seq and f["field"] == "payload"]
    assert hit and PERIOD in str(hit[0]["problem"]), hit


def test_an_entry_with_the_marker_verifies_and_is_an_adjustment(cli):
    code = signed_project(cli)
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    seq = forge_followup(cli, code, COORD, date.fromisoformat(IN2), late={"period": PERIOD, "reason": "补录"})
    verify_ok(cli)
    live = cli("report", "bulletin", "--period", OPEN, json=True, ok=True).json
    assert [a["seq"] for a in live["adjustments"] if a["code"] == code] == [seq]


def test_an_entry_recorded_before_the_close_needs_no_marker(cli):
    code = signed_project(cli)
    cli("followup", "add", code, "走访", "--on", IN2, ok=True)
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    cli.admin("report", "reopen", "--period", PERIOD, "--reason", "更正", ok=True)
    forge_followup(cli, code, COORD, date.fromisoformat(IN2))  # reopened: no marker needed
    verify_ok(cli)


# --- recorded times ---------------------------------------------------------------------------------


def test_a_recorded_time_in_the_future_fails(county):
    seq = forge_followup(county, "P-0001", COORD, recorded_at=clock.utcnow() + timedelta(days=3))
    hit = [f for f in failures(county) if f["seq"] == seq and f["field"] == "recorded_at"]
    assert hit and "future" in str(hit[0]["problem"]), hit


def test_a_recorded_time_before_the_previous_event_fails(county):
    seq = forge_followup(county, "P-0001", COORD, on=date(2026, 1, 5),
                         recorded_at=clock.utcnow() - timedelta(days=400))
    hit = [f for f in failures(county) if f["seq"] == seq and f["field"] == "recorded_at"]
    assert hit and "backwards" in str(hit[0]["problem"]), hit


# --- closes carrying invented figures ---------------------------------------------------------------


def _bump_amounts(doc):
    """Every amount of a report made ten times larger; the number of amounts changed."""
    n = 0
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "amount_minor" and isinstance(v, int) and not isinstance(v, bool) and v:
                doc[k] = v * 10
                n += 1
            else:
                n += _bump_amounts(v)
    elif isinstance(doc, list):
        for v in doc:
            n += _bump_amounts(v)
    return n


def forge_reclose(cli, label: str) -> int:
    """A reopen and a close of ``label`` appended to the set-up ledger by plain SQL, correctly hashed and
    chained, the close carrying invented figures (and the digest of them); the close's seq."""
    import hashlib
    import json

    from workflow import ledger

    engine = _engine(cli)
    try:
        with engine.connect() as conn:
            seq, prev = conn.execute(text("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")).one()
            payload = json.loads(conn.execute(text(
                "SELECT payload FROM ledger WHERE kind = 'period_closed' AND target = :l ORDER BY seq DESC LIMIT 1"),
                {"l": label}).scalar_one())
            after = conn.execute(text("SELECT coalesce(max(id), 0) FROM event")).scalar_one()
    finally:
        engine.dispose()
    assert _bump_amounts(payload["reports"])
    payload["digest"] = hashlib.sha256(encoding.canonical(payload["reports"])).hexdigest()
    rows = []
    for kind, body, reason in (("period_reopened", {"period": label}, "更正"), ("period_closed", payload, None)):
        seq += 1
        at = clock.utcnow()
        text_body = encoding.canonical(body).decode("utf-8")
        h = ledger.entry_hash(seq, kind, label, text_body, reason, "admin", at, prev, after)
        rows.append(text("INSERT INTO ledger(seq, kind, target, payload, reason, actor, recorded_at, prev_hash, hash, "
                         "after_event) VALUES (:seq, :kind, :t, :p, :r, 'admin', :at, :prev, :h, :after)")
                    .bindparams(seq=seq, kind=kind, t=label, p=text_body, r=reason, at=at, prev=prev, h=h,
                                after=after))
        prev = h
    tamper(cli, *rows)
    return seq


def test_a_close_with_invented_figures_fails(cli):
    code = signed_project(cli)
    cli("capital", "add", code, "500万", "--on", IN2, ok=True)
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    cli("capital", "add", code, "300万", "--on", IN2, "--late", "--reason", "补录", ok=True)
    verify_ok(cli)  # the honest close recomputes to its figures (the late entry came after it)
    seq = forge_reclose(cli, PERIOD)
    hits = [f for f in failures(cli) if f["code"] == "ledger" and f["seq"] == seq]
    assert hits and any("amount_minor" in str(f["field"]) for f in hits), hits


def test_set_up_changes_after_a_close_leave_its_figures_valid(cli):
    code = signed_project(cli)
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    cli.admin("units", "edit", "XH", "--name", "新华乡", "--reason", "更名", ok=True)
    cli.admin("units", "add", "JJ", "--name", "经济局", "--kind", "department", ok=True)
    cli("followup", "add", code, "走访", ok=True)
    verify_ok(cli)


def test_an_event_placed_before_a_demotion_by_its_id_fails(county):
    """An event given a small id (so that it would seem recorded before coord was made an auditor)
    is out of its project's write order."""
    county.admin("users", "edit", COORD, "--role", "auditor", "--reason", "调岗", ok=True)
    seq = forge_followup(county, "P-0001", COORD, event_id=-1)
    hits = [f for f in failures(county) if f["seq"] == seq]
    assert any(f["field"] == "id" for f in hits), hits


def test_a_ledger_entry_placed_back_in_history_fails(county):
    """A promotion appended (correctly chained) but placed before every event, so that the events of
    the auditor would be judged as a coordinator's: its place breaks the ledger's write order."""
    from workflow import ledger

    county.admin("users", "add", "li", "--role", "auditor", ok=True)
    county.admin("units", "edit", "XH", "--name", "新华乡", "--reason", "更名", ok=True)  # an entry after events
    forge_followup(county, "P-0001", "li")
    engine = _engine(county)
    try:
        with engine.connect() as conn:
            seq, prev = conn.execute(text("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")).one()
    finally:
        engine.dispose()
    seq += 1
    at = clock.utcnow()
    body = encoding.canonical({"from": "auditor", "to": "coordinator"}).decode("utf-8")
    h = ledger.entry_hash(seq, "user_role", "li", body, "任命", "admin", at, prev, 0)
    tamper(county, text("INSERT INTO ledger(seq, kind, target, payload, reason, actor, recorded_at, prev_hash, hash, "
                        "after_event) VALUES (:seq, 'user_role', 'li', :p, '任命', 'admin', :at, :prev, :h, 0)")
           .bindparams(seq=seq, p=body, at=at, prev=prev, h=h),
           "UPDATE app_user SET role = 'coordinator' WHERE login = 'li'")
    hits = [f for f in failures(county) if f["code"] == "ledger" and f["seq"] == seq]
    assert any(f["field"] == "after_event" for f in hits), hits


# --- who wrote each set-up ledger entry (docs/audit.md) -------------------------------------------


def append_entry(cli, actor: str, kind: str, target: str, payload: dict, *also, reason: str | None = None) -> int:
    """A set-up ledger entry appended by plain SQL (with ``also``), hashed and chained as the program
    writes it and placed after the last event; its seq."""
    from workflow import ledger

    engine = _engine(cli)
    try:
        with engine.connect() as conn:
            seq, prev = conn.execute(text("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")).one()
            after = conn.execute(text("SELECT coalesce(max(id), 0) FROM event")).scalar_one()
    finally:
        engine.dispose()
    seq += 1
    at = clock.utcnow()
    body = encoding.canonical(payload).decode("utf-8")
    h = ledger.entry_hash(seq, kind, target, body, reason, actor, at, prev, after)
    tamper(cli, text("INSERT INTO ledger(seq, kind, target, payload, reason, actor, recorded_at, prev_hash, hash, "
                     "after_event) VALUES (:seq, :kind, :target, :p, :reason, :actor, :at, :prev, :h, :after)")
           .bindparams(seq=seq, kind=kind, target=target, p=body, reason=reason, actor=actor, at=at, prev=prev, h=h,
                       after=after), *also)
    return seq


def rechain(cli, seq: int, actor: str) -> None:
    """Entry ``seq`` given another actor and the whole ledger re-hashed after it (every link intact)."""
    from sqlalchemy import select, update

    from workflow import ledger
    from workflow.tables import ledger as L

    engine = _engine(cli)
    try:
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(L).order_by(L.c.seq)).mappings()]
    finally:
        engine.dispose()
    statements, prev = [], encoding.GENESIS
    for r in rows:
        r["actor"] = actor if r["seq"] == seq else r["actor"]
        h = ledger.entry_hash(r["seq"], r["kind"], r["target"], r["payload"], r["reason"], r["actor"],
                              r["recorded_at"], prev, r["after_event"])
        statements.append(update(L).where(L.c.seq == r["seq"]).values(actor=r["actor"], prev_hash=prev, hash=h))
        prev = h
    tamper(cli, *statements)


def _user_row(login: str, role: str) -> dict:
    return {"table": "app_user", "key": {"login": login}, "effective_on": clock.today().isoformat(),
            "row": {"role": role, "disabled": False, "person_login": None}}


def actor_failures(cli) -> list[dict]:
    return [f for f in failures(cli) if f["code"] == "ledger" and f["field"] == "actor"]


def test_a_user_an_outsider_made_admin_fails(county):
    """A ``user_added`` of an admin by a login that was never a user, with its users row: init's first
    admin looks like this, but the database has an admin already."""
    seq = append_entry(county, "mallory", "user_added", "mallory", _user_row("mallory", "admin"),
                       text("INSERT INTO app_user(login, role, disabled, created_at, created_by) "
                            "VALUES ('mallory', 'admin', :f, :at, 'mallory')").bindparams(f=False, at=clock.utcnow()))
    found = actor_failures(county)
    assert [(f["seq"], f["expected"], f["found"]) for f in found] == [(seq, "admin", "mallory")], found
    assert found[0]["problem"] == (f"set-up ledger entry {seq} (user_added) was written by 'mallory', who was no "
                                   "user then: only an admin may write it")
    zh = county("audit", "verify", lang="zh")
    assert zh.code == 7 and f"设置台账第 {seq} 条（user_added）由 'mallory' 写入" in zh.out, zh.out


def test_a_coordinator_promoting_herself_fails(county):
    payload = {**_user_row(COORD, "admin"), "changed": {"role": ["coordinator", "admin"]}, "from": "coordinator",
               "to": "admin"}
    seq = append_entry(county, COORD, "user_role", COORD, payload, f"UPDATE app_user SET role = 'admin' "
                       f"WHERE login = '{COORD}'", reason="自己提拔")
    found = actor_failures(county)
    assert [(f["seq"], f["found"]) for f in found] == [(seq, COORD)], found
    assert found[0]["problem"] == (f"set-up ledger entry {seq} (user_role) was written by '{COORD}' (role "
                                   "coordinator): only an admin may write it")


def test_an_admin_entry_given_to_a_coordinator_and_rechained_fails(county):
    county.admin("units", "edit", "XH", "--name", "新华乡", "--reason", "更名", ok=True)
    county("audit", "verify", ok=True)
    engine = _engine(county)
    try:
        with engine.connect() as conn:
            seq = conn.execute(text("SELECT max(seq) FROM ledger WHERE kind = 'unit_edited'")).scalar_one()
    finally:
        engine.dispose()
    rechain(county, seq, COORD)
    assert [(f["seq"], f["found"]) for f in actor_failures(county)] == [(seq, COORD)]


def test_an_entry_of_a_disabled_admin_fails(county):
    county.admin("users", "add", "admin2", "--role", "admin", ok=True)
    county.admin("users", "disable", "admin2", "--reason", "离职", ok=True)
    seq = append_entry(county, "admin2", "unit_edited", "XH",
                       {"table": "unit", "key": {"code": "XH"}, "row": {"name": "新华镇", "kind": "township"},
                        "effective_on": clock.today().isoformat(), "changed": {}})
    found = actor_failures(county)
    assert [(f["seq"], f["found"]) for f in found] == [(seq, "admin2")], found
    assert "whose login was disabled then" in found[0]["problem"]


def test_an_upgrade_entry_after_the_upgrade_fails(county):
    """The upgrades' own actor is let through only for what they carried over, before any command wrote
    a set-up row."""
    seq = append_entry(county, "upgrade", "user_added", "mallory", {**_user_row("mallory", "admin"),
                                                                     "carried_over": True},
                       text("INSERT INTO app_user(login, role, disabled, created_at, created_by) "
                            "VALUES ('mallory', 'admin', :f, :at, 'upgrade')").bindparams(f=False, at=clock.utcnow()),
                       reason="carried over at upgrade")
    assert [(f["seq"], f["found"]) for f in actor_failures(county)] == [(seq, "upgrade")]


def test_every_entry_the_product_writes_passes_the_actor_check(county):
    """init's first admin (on PostgreSQL by the database owner, who is no user), users, units, people,
    settings, a close and a role change all verify."""
    from workflow import ledger

    county.admin("users", "add", "li", "--role", "auditor", ok=True)
    county.admin("users", "edit", "li", "--role", "coordinator", "--reason", "调任", ok=True)
    county.admin("users", "disable", "li", "--reason", "离职", ok=True)
    county.admin("undo-window", "5", "--reason", "规定", ok=True)
    verify_ok(county)
    engine = _engine(county)
    try:
        with engine.connect() as conn:
            assert ledger.actor_problems(conn, ADMIN) == []
            first = conn.execute(text("SELECT kind, target FROM ledger WHERE seq = 1")).one()
    finally:
        engine.dispose()
    assert tuple(first) == ("user_added", "admin")


# --- every problem of the ledger, the set-up tables and checkpoints in the run's language -------------


def test_ledger_setup_and_checkpoint_problems_are_wholly_chinese_under_zh(county):
    import re

    from tests.test_replay_words import _values
    from workflow import audit
    from workflow.catalogue import Message

    county.admin("units", "edit", "XH", "--name", "新华乡", "--reason", "更名", ok=True)
    county.admin("undo-window", "5", "--reason", "规定", ok=True)
    county.admin("undo-window", "6", "--reason", "规定", ok=True)
    county.admin("audit", "checkpoint", ok=True)
    engine = _engine(county)
    try:
        with engine.connect() as conn:
            last = conn.execute(text("SELECT max(seq) FROM ledger")).scalar_one()
    finally:
        engine.dispose()
    append_entry(county, "mallory", "user_added", "mallory", _user_row("mallory", "admin"))
    tamper(county, f"DELETE FROM ledger WHERE seq = {last}",  # the tail the checkpoint covers
           "DELETE FROM ledger WHERE seq = 3",  # a link of the chain
           "UPDATE unit SET name = '发展改革局' WHERE code = 'XH'",
           "DELETE FROM unit WHERE code = 'FGW'",
           "INSERT INTO unit(code, name, kind, created_at) VALUES ('ZZ', '伪造', 'township', '2026-01-01')",
           "UPDATE setting SET value = '9' WHERE key = 'undo.window_days' AND value = '5'",
           "INSERT INTO setting(key, entry, value) VALUES ('undo.window_days', 0, '7')")
    engine = _engine(county)
    try:
        found = audit.verify(engine)["failures"] + audit.verify(engine, digest="ab" * 32)["failures"]
    finally:
        engine.dispose()
    english = {str(f["problem"]) for f in found}
    for words in ("ledger entry 3 is missing", "prev_hash does not match the previous ledger entry's hash",
                  "table unit, key XH: the name differs from the set-up ledger", "key FGW: entry",
                  "table unit, key ZZ: a row that no set-up ledger entry wrote",
                  "table setting, key undo.window_days: the value of entry",
                  "a row (entry 0) that no set-up ledger entry wrote", "covered by the latest stored checkpoint (",
                  "no prefix of the history reproduces the digest you gave",
                  "no checkpoint with this digest is stored", "was written by 'mallory'"):
        assert any(words in e for e in english), (words, sorted(english))
    for f in found:
        message = f["problem"]
        assert isinstance(message, Message), message
        zh = message.text("zh")
        rest = zh
        for value in _values(message):
            rest = rest.replace(value, " ")
        assert re.findall(r"[A-Za-z]{2,}", rest) == [], zh
    out = county("audit", "verify", lang="zh").out
    assert "台账记录 3 缺失" in out and "最近存储的校验点（" in out and "覆盖的台账记录" in out, out
