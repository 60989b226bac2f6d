"""Verification of history (``audit verify``, docs/audit.md): every event's hash recomputed from its
stored fields, the per-project hash chains, each project row against its history, the set-up ledger
and settings; and taking a checkpoint, which verifies first.  The digest of checkpoints is
``workflow.checkpoints``, the audit log ``workflow.audit_log``.

An event's hash is SHA-256 over the RFC 8785 canonical JSON of its stored fields, including the
previous event's hash, so editing, removing or reordering any event breaks every later link
(``workflow.encoding``).

Verification (:func:`verify`) recomputes every event's hash from its stored fields, checks that
``seq`` runs 1, 2, 3, … per project, that each ``prev_hash`` is the previous event's hash, and that
each project row agrees with its history: ``head_seq``/``head_hash`` are the last event's, ``stage``
(and ``held_from``) are what the transition and correction events replay to, and ``version`` lies
within the bounds history fixes (see :func:`verify`).  It reads only, in one snapshot, streaming.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from sqlalchemy import insert, select

from workflow import attachments, clock, closes_check, container, day_rules, ledger, settings, setup_rows
from workflow.access import ADMIN
from workflow.catalogue import Message
from workflow.chains import (
    MAX_FAILURES,
    Failures,
    check_projects,
    heads_of,
    load_projects,
    sweep_events,
    sweep_projects,
)
from workflow.checkpoints import (
    DIGEST_GENESIS,
    LEDGER_HEAD,
    LedgerFolds,
    checkpoint_row,
    normalise_digest,
)
from workflow.deployed import attach
from workflow.encoding import (
    canonical,
    format_utc,
)
from workflow.errors import BadInput, IntegrityFailure
from workflow.replay_check import Checker
from workflow.snapshot import snapshot_connection, stream, wait_for_clean_prefix
from workflow.tables import checkpoint as C
from workflow.tables import ledger as L
from workflow.tables import project as P

__all__ = ["format_utc"]  # re-exported: workflow/rules.py reads it here



def _digest_pass(conn, digest: str) -> dict:
    """The running digest over the stored hashes in write order, for a sweep that read the events in
    project order (the hashes themselves, and the checkpoint's heads, were checked by that sweep)."""
    sha256 = hashlib.sha256
    target = bytes.fromhex(digest)
    g = DIGEST_GENESIS
    matched_at = 0 if target == g else None
    done = 0
    folds = LedgerFolds(conn)  # the set-up ledger's entries, each folded in after the event it followed
    if conn.dialect.name == "sqlite":
        # The hash text's bytes straight from SQLite (a 64-hex hash is its own ASCII; no str in between),
        # fetched in batches: for one short column a row at a time would cost as much as the hashing.
        conn.exec_driver_sql("SELECT 1").close()  # make sure the transaction (the snapshot) has begun
        cursor = conn.connection.driver_connection.cursor()
        try:
            if not folds.rows:
                cursor.execute("SELECT CAST(ifnull(hash, 'None') AS BLOB) FROM event ORDER BY id")
                while batch := cursor.fetchmany(4096):
                    for at, (stored,) in enumerate(batch, done + 1):
                        g = sha256(g + stored).digest()
                        if g == target and matched_at is None:
                            matched_at = at
                    done += len(batch)
            else:
                cursor.execute("SELECT id, CAST(ifnull(hash, 'None') AS BLOB) FROM event ORDER BY id")
                while batch := cursor.fetchmany(4096):
                    for at, (_id, stored) in enumerate(batch, done + 1):
                        if folds.at is not None and _id > folds.at:
                            g, matched_at = folds.fold(g, _id, target, matched_at, at - 1)
                        g = sha256(g + stored).digest()
                        if g == target and matched_at is None:
                            matched_at = at
                    done += len(batch)
        finally:
            cursor.close()
        g, matched_at = folds.fold(g, None, target, matched_at, done)
        return {"matched_at": matched_at, "digest": g}
    fold_at = folds.at
    for (_id, stored) in stream(conn, "SELECT id, hash FROM event ORDER BY id"):
        if fold_at is not None and _id > fold_at:
            g, matched_at = folds.fold(g, _id, target, matched_at, done)
            fold_at = folds.at
        g = sha256(g + (stored.encode("ascii") if type(stored) is str else repr(stored).encode())).digest()
        done += 1
        if matched_at is None and g == target:
            matched_at = done
    g, matched_at = folds.fold(g, None, target, matched_at, done)
    return {"matched_at": matched_at, "digest": g}


def _digest_report(digest: str, sweep: dict, row: dict | None, wanted: dict, failures: Failures,
                   given: bool, ledger_hashes: dict[int, str]) -> dict:
    matched = sweep["matched_at"] is not None
    report = {"digest": digest, "given": given, "matched": matched, "covered_events": sweep["matched_at"],
              "checkpoint": None}
    if row is not None:
        report["checkpoint"] = {"at": format_utc(row["at"]), "actor": row["actor"], "projects": row["projects"],
                                "events": row["events"]}
    if matched:
        return report
    what = Message("checkpoint_digest_given") if given else Message("checkpoint_latest_stored", digest=digest[:12])
    named = 0
    seen_codes = {ch.code: ch for ch in sweep["chains"].values()}
    for (code, seq), h in sorted(wanted.items()):
        ch = seen_codes.get(code)
        if code == LEDGER_HEAD:  # the set-up ledger's head at the checkpoint
            now = ledger_hashes.get(seq)
            if now is None:
                failures.add("ledger", seq, Message("ledger_entry_covered_by", seq=seq, what=what,
                                                    max=max(ledger_hashes, default=0)), table="ledger")
            elif now != h:
                failures.add("ledger", seq, Message("ledger_entry_no_longer", seq=seq), table="ledger")
            else:
                continue
        elif ch is None:
            failures.add(code, seq, Message("project_is_missing_it", seq=seq))
        elif (code, seq) not in sweep["found"]:
            failures.add(code, seq, Message("event_covered_by_is", seq=seq, what=what, last_seq=ch.last_seq))
        elif sweep["found"][(code, seq)] != h:
            failures.add(code, seq, Message("event_no_longer_has", seq=seq))
        else:
            continue
        named += 1
    if not named:
        where = Message("checkpoint_not_stored") if row is None else Message("checkpoint_heads_intact")
        failures.add(None, None, Message("no_prefix_of_history", what=what, where=where))
    return report


def verify(engine, *, digest: str | None = None, progress: Callable[[int, int], None] | None = None,
           max_failures: int = MAX_FAILURES, replay: bool = True, files: bool = False) -> dict:
    """Recompute every chain from the stored fields and check the project rows against their history.

    Given ``digest`` (from ``audit checkpoint``, kept by the auditor), also prove that every event it
    covers is still there, unchanged and in order.  Without one, the latest checkpoint stored in the
    database is checked the same way.  Reads only.

    The version check: ``version`` is the optimistic-lock counter, bumped once per write transaction,
    and one transaction may append several events (registration plus assignments, a capital arrival
    plus the ``fund`` it fires).  History therefore fixes bounds, not the exact number: at most one
    transaction per event after the first (``version <= head_seq``), and at least one more for every
    change of actor between consecutive events and for every correction (``version >= 1 +`` those).

    ``files``: also read every attached file back and check it against the hash history recorded
    (``workflow.attachments``); a missing or changed file fails naming the project, document and file.
    """
    if digest is not None:
        digest = normalise_digest(digest)
    attach(engine)  # the workflow versions deployed in this database
    failures = Failures(max_failures)
    with snapshot_connection(engine) as conn:
        if container.check(conn, failures.add):  # the container before the contents (workflow.container)
            conn.rollback()
            return {"ok": False, "projects": 0, "events": 0, "failures": failures.items,
                    "failures_total": failures.total, "digest": None, "ledger": None}
        if digest is not None and bytes.fromhex(digest) == DIGEST_GENESIS and _has_history(conn):
            raise BadInput("verify_genesis_digest_refused")
        projects = load_projects(conn)
        total = conn.exec_driver_sql("SELECT count(*) FROM event").scalar() if progress else 0
        row = checkpoint_row(conn, digest)
        check = digest if digest is not None else (row["digest"] if row else None)
        if (check is not None and digest is None and check == DIGEST_GENESIS.hex() and row is not None
                and (row["events"] or row["projects"])):
            # the digest of nothing on a row that claims to cover history: not a row the program wrote
            failures.add(None, None, Message("verify_genesis_checkpoint_row"), "checkpoint", "digest")
            check, row = None, None
        wanted = heads_of(row, failures) if row is not None else {}
        if replay:
            checker = Checker(conn, stream, failures.add_item)
            try:
                sweep = sweep_projects(conn, projects=projects, wanted=wanted, progress=progress, total=total,
                                        failures=failures, feed=checker)
                checker.finish()
            finally:
                checker.close()
            if check is not None:
                sweep.update(_digest_pass(conn, check))
        else:
            sweep = sweep_events(conn, projects=projects, digest=check, wanted=wanted, progress=progress, total=total,
                           failures=failures)
        ledger_head = _check_ledger(conn, failures)
        for seq, problem, expected, found in day_rules.position_problems(conn):
            failures.add("ledger", seq, problem, "ledger", "after_event", expected, found)
        for seq, problem, expected, found in ledger.actor_problems(conn, ADMIN):  # who wrote each entry
            failures.add("ledger", seq, problem, "ledger", "actor", expected, found)
        _check_settings(conn, failures)
        _check_setup_rows(conn, failures)
        checked_files = _check_files(conn, failures) if files else None
        ledger_hashes = _ledger_hashes(conn) if check is not None else {}
        conn.rollback()
    check_projects(projects, sweep["chains"], failures)
    if replay:  # every close's frozen figures, recomputed from history as it stood at the close
        closes_check.check(engine, failures.add)
    report = None
    if check is not None:
        report = _digest_report(check, sweep, row, wanted, failures, given=digest is not None,
                                ledger_hashes=ledger_hashes)
    return {"ok": failures.total == 0, "projects": len(projects), "events": sweep["events"],
            "failures": failures.items, "failures_total": failures.total, "digest": report,
            "ledger": ledger_head, **({} if checked_files is None else {"files": checked_files})}


def _check_files(conn, failures: Failures) -> int:
    """Every attached file against its hash (``workflow.attachments``): each one missing or changed
    added with table ``document``, the project's code, the document event's seq and field ``file``;
    returns how many files were checked."""
    problems = attachments.check(conn)
    for p in problems:
        failures.add(p["code"], p["seq"], p["problem"], table="document", field=p["field"], expected=p["expected"],
                     found=p["found"])
    return len(attachments.attached(conn))


def _has_history(conn) -> bool:
    """Whether anything is recorded: an event or a set-up ledger entry."""
    return bool(conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM event) OR EXISTS (SELECT 1 FROM ledger)").scalar())


def _ledger_hashes(conn) -> dict[int, str]:
    return {seq: h for seq, h in conn.execute(select(L.c.seq, L.c.hash))}


def _check_ledger(conn, failures: Failures) -> dict:
    """The set-up ledger's chain (``workflow.ledger``): each problem added as ``code`` "ledger"."""
    for p in ledger.verify_ledger(conn):
        failures.add(p["code"], p["seq"], p["problem"])
    return ledger.head(conn)


def _check_settings(conn, failures: Failures) -> None:
    """The ``setting`` table rebuilt from the set-up ledger (``workflow.settings``): each difference
    added with table ``setting``, ``code`` the key, ``seq`` the ledger entry and the field."""
    for d in settings.differences(conn):
        key, entry, field = d["key"], d["entry"], d["field"]
        if field == "row":
            problem = (Message("setting_row_missing", key=key, entry=entry) if d["expected"] == "present" else
                       Message("setting_row_unwritten", key=key, entry=entry))
        else:
            problem = Message("setting_field_differs", key=key, field=field, entry=entry)
        failures.add(key, entry, problem, table="setting", field=field, expected=d["expected"], found=d["found"])


def _check_setup_rows(conn, failures: Failures) -> None:
    """Every set-up table rebuilt from the set-up ledger (``workflow.setup_rows``): each difference
    added with its table, ``code`` the row's key, ``seq`` the ledger entry that last wrote it and the field."""
    for d in setup_rows.differences(conn):
        table, key, entry, field = d["table"], d["key"], d["entry"], d["field"]
        if field == "row":
            problem = (Message("setup_row_missing", table=table, key=key, entry=entry)
                       if d["expected"] == "present" else Message("setup_row_unwritten", table=table, key=key))
        else:
            problem = Message("setup_field_differs", table=table, key=key, field=field, entry=entry)
        failures.add(key, entry, problem, table=table, field=field, expected=d["expected"], found=d["found"])




def verify_project(conn, project_id: int) -> dict:
    """Check one project's chain and row (``history`` shows the result); reads only."""
    projects = _load_projects_where(conn, project_id)
    failures = Failures()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sweep = sweep_events(conn, where=f"WHERE project_id = {mark}", params=(project_id,), projects=projects,
                   failures=failures)
    check_projects(projects, sweep["chains"], failures)
    return {"ok": failures.total == 0, "events": sweep["events"], "failures": failures.items}


def _load_projects_where(conn, project_id: int) -> dict[int, tuple]:
    row = conn.execute(select(P.c.id, P.c.code, P.c.stage, P.c.held_from, P.c.version, P.c.head_seq,
                              P.c.head_hash, P.c.workflow_name, P.c.workflow_version)
                       .where(P.c.id == project_id)).first()
    return {row[0]: tuple(row)} if row else {}


# --- checkpoints ----------------------------------------------------------------------------------


def checkpoint(engine, actor: str, *, store: bool, write_engine=None,
               progress: Callable[[int, int], None] | None = None, check_container: bool = True,
               extends: str | None = None, events: Iterable[tuple] | None = None) -> dict:
    """Verify everything and take a digest over every chain head from one snapshot.

    Refuses (IntegrityFailure, nothing stored) when verification fails: a checkpoint must never seal
    a history that is already broken.  With ``store`` the checkpoint row (digest, heads, counts, time,
    actor) is inserted afterwards through ``write_engine``; the digest is the auditor's to keep.
    ``check_container=False`` leaves out the database file's own checks (``workflow.container``): for
    a scratch copy the caller has just built itself (docs/city.md), whose file no one else wrote.
    ``extends`` (an earlier digest): the returned ``extends_at`` is the number of events after which
    the running digest was that one (its events and set-up ledger entries are this history's first
    ones), None when it never was (given ``extends`` only).  ``events``: the event table's rows, by id,
    when the caller holds the rows it has just filled the table with (a scratch copy, docs/city.md):
    they are checked without being read back (``sweep_events``).
    """
    failures = Failures()
    with snapshot_connection(engine) as conn:
        if check_container and container.check(conn, failures.add):
            raise IntegrityFailure(
                "history_failed_verification_no_checkpoint", failures.items, total=failures.total)
        wait_for_clean_prefix(conn)
        at = clock.utcnow()
        projects = load_projects(conn)
        total = conn.exec_driver_sql("SELECT count(*) FROM event").scalar() if progress else 0
        sweep = sweep_events(conn, projects=projects, running=True, progress=progress, total=total,
                       failures=failures, digest=extends, rows=events)
        ledger_head = _check_ledger(conn, failures)
        conn.rollback()
    check_projects(projects, sweep["chains"], failures)
    if failures.total:
        raise IntegrityFailure(
            "history_failed_verification_no_checkpoint", failures.items, total=failures.total)
    heads = sorted([ch.code, ch.last_seq, ch.last_hash] for ch in sweep["chains"].values())
    n_projects = len(heads)  # the ledger's head below is not a project
    if sweep["ledger_folded"]:  # the ledger head the digest covers, to name an entry that changed
        heads.append([LEDGER_HEAD, ledger_head["seq"], ledger_head["hash"]])
    doc = {"digest": sweep["digest"].hex(), "projects": n_projects, "events": sweep["events"],
           "at": format_utc(at), "actor": actor, "stored": False, "ledger": ledger_head}
    if extends:
        doc["extends_at"] = sweep["matched_at"]
    if store:
        with (write_engine or engine).begin() as wconn:
            wconn.execute(insert(C).values(
                digest=doc["digest"], projects=doc["projects"], events=doc["events"],
                heads=canonical(heads).decode("utf-8"), at=at, actor=actor))
        doc["stored"] = True
    return doc






# --- the audit log ---------------------------------------------------------------------------------












# --- replay (corrections) ---------------------------------------------------------------------------


# --- one project's history -------------------------------------------------------------------------




