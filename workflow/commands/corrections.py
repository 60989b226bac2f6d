"""Corrections: nothing in history is updated or deleted; a mistake is corrected by an event."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from workflow import clock
from workflow.catalogue import Message
from workflow.closed import closed_detail, late_reason
from workflow.commands.common import check_on, definition
from workflow.encoding import event_json
from workflow.errors import BadInput, NotAllowed, NotFound, Refused
from workflow.events import RESTORED_TABLES, Corrected, Edited, replay_stage
from workflow.settings import undo_window_days
from workflow.store import ProjectRow, Txn
from workflow.tables import event as E
from workflow.tables import screening_check as CHK
from workflow.tables import year_plan as YP
from workflow.values import reason as check_reason

CORRECTS_STAGE = ("transition", "correction", "retired")


def correct(txn: Txn, proj: ProjectRow, *, seq: int, reason: str | None, on: date, undo: bool = False) -> None:
    """An admin's correction of event ``seq`` of the project (docs/audit.md, `pipeline correct`).

    Appends one ``correction`` event naming the event it corrects (``payload.corrects``) with the
    reason.  What else it does depends on the event:

    - a stage change (a transition, or a correction that moved the stage) that is the project's
      latest: the project returns to the stage before it (with that stage's held-from stage and
      entry date), recorded as the correction's from → to;
    - a capital arrival or investment figure: a reversing entry of the same amount is recorded
      (a negative row with the original effective date), so totals and reports drop it;
    - anything else: the correction is a reasoned annotation (record the right value anew).
    """
    why = check_reason(reason, Message("reason_is_required_say_what"), required_=True)
    assert why is not None
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise BadInput("seq_must_be_whole", seq=seq)
    code = proj.code
    rows = txn.conn.execute(select(E).where(E.c.project_id == proj.id).order_by(E.c.seq)).mappings()
    events = [event_json(r) for r in rows]
    if not 1 <= seq <= len(events):
        raise NotFound("has_no_event_its",
                       [{"project": code, "seq": seq}], code=code, seq=seq, n_events=len(events))
    target = events[seq - 1]
    done = [e["seq"] for e in events if e["kind"] == "correction" and e["payload"].get("corrects") == seq]
    if done:
        raise Refused("event_of_was_already",
                      [{"project": code, "seq": seq, "corrected_by": done[0]}], seq=seq, code=code, done=done[0])
    target_on = date.fromisoformat(target["effective_on"])
    if on < target_on:
        raise BadInput("on_lies_before_event", on=on, effective_on=target['effective_on'])
    check_on(txn, proj, on, transition=False)
    if target["kind"] == "migrated":  # a project goes back by migrating it again (docs/usage.md)
        raise Refused("versions_migration_not_corrected", seq=seq, code=code)
    changes_stage = target["kind"] in CORRECTS_STAGE and target["to"] is not None
    if target["kind"] == "correction" and not changes_stage:
        raise Refused("event_of_is_correction", seq=seq, code=code)
    if changes_stage:
        later = [e["seq"] for e in events[seq:] if e["to"] is not None]
        if later:
            raise Refused("event_of_is_not", [{"project": code, "seq": seq, "latest": later[-1]}], seq=seq, code=code,
                          later=later[-1])
        paused = frozenset(s.key for s in definition(proj).stages if s.is_paused)
        before = replay_stage(events[: seq - 1], paused)
        if before["stage"] is None:
            raise Refused("event_of_has_no", seq=seq, code=code)
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why, source=proj.stage,
                                 restore_stage=before["stage"], restore_held_from=before["held_from"],
                                 restore_since=date.fromisoformat(before["stage_since"]), undo=undo))
    elif target["kind"] in ("capital", "investment"):
        p = target["payload"]
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why,
                                 amount_minor=-int(p["amount_minor"]), currency=p["currency"], target_on=target_on,
                                 undo=undo))
    elif undo and target["kind"] in RESTORED_TABLES:  # the value before it is read again (docs/audit.md)
        restore = restored_row(txn, proj, target)
        assert restore is not None  # ``undo`` refused an entry with nothing to put back
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why, undo=undo,
                                 restore_row=restore))
    else:
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why, undo=undo))


# What ``undo`` takes back (docs/audit.md, `pipeline undo`): a stage change, an edit, a capital or
# investment figure, a check result with one before it, a yearly plan.  Any other record (a
# document, a follow-up, an assignment, a problem and its actions, a letter, a commitment, an
# actual) stays in its append-only table, where guards and reports would still count it: refused.
UNDOABLE = frozenset({"transition", "retired", "edited", "capital", "investment", *RESTORED_TABLES})


def restored_row(txn: Txn, proj: ProjectRow, target: dict) -> dict | None:
    """The row that puts back what a check result or yearly plan ``target`` (an event as JSON)
    replaced: the item's previous result, note and date (None: it had none); the year's previous plan
    (0 when there was none), dated no earlier than ``target`` so a report as of a day before it reads
    what it read before."""
    p = target["payload"]
    seq = target["seq"]
    if target["kind"] == "check":
        found = txn.conn.execute(
            select(CHK.c.result, CHK.c.note, CHK.c.effective_on)
            .where(CHK.c.project_id == proj.id, CHK.c.item == p["item"], CHK.c.event_seq < seq)
            .order_by(CHK.c.event_seq.desc()).limit(1)).first()
        if found is None:
            return None
        return {"item": p["item"], "result": found.result, "note": found.note, "effective_on": found.effective_on}
    on = date.fromisoformat(target["effective_on"])
    before = txn.conn.execute(
        select(YP.c.amount_minor, YP.c.currency, YP.c.effective_on)
        .where(YP.c.project_id == proj.id, YP.c.year == int(p["year"]), YP.c.event_seq < seq)
        .order_by(YP.c.event_seq.desc()).limit(1)).first()
    if before is None:
        return {"year": int(p["year"]), "amount_minor": 0, "currency": p["currency"], "effective_on": on}
    return {"year": int(p["year"]), "amount_minor": int(before.amount_minor), "currency": before.currency,
            "effective_on": max(on, before.effective_on)}


UNDO_REASON = "undo: the author took back their own entry"


def latest_entries(events: list[dict]) -> list[list[dict]]:
    """The project's events grouped into entries, oldest first: an entry is what one command
    recorded, i.e. consecutive events with the same actor and recorded time (one transaction)."""
    entries: list[list[dict]] = []
    for e in events:
        if entries and entries[-1][-1]["actor"] == e["actor"] and entries[-1][-1]["recorded_at"] == e["recorded_at"]:
            entries[-1].append(e)
        else:
            entries.append([e])
    return entries


def undo(txn: Txn, proj: ProjectRow, *, reason: str | None, on: date, window_days: int | None = None) -> list[int]:
    """``pipeline undo``: reverse the acting user's own latest entry on the project (all the events
    one command recorded: a first capital and the ``fund`` it fired are one entry), when it was
    recorded within ``window_days`` days (0: today) and nothing was recorded on the project after it.

    Writes what ``correct`` writes, one correction per event of the entry, latest first (a stage
    change returns to the stage before it, capital and investment get a reversing entry, an edit
    gets an edit back to the old values plus the correction naming it); each correction is marked
    ``"undo": true``.  Refusals: another user's entry, NotAllowed (exit 6); not the latest, outside
    the window, a registration or an entry already corrected, Refused (exit 3).  Returns the seqs
    undone."""
    if window_days is None:
        window_days = undo_window_days(txn.conn)
    why = check_reason(reason, Message("reason"), required_=False) or UNDO_REASON
    if len(why) > 4000:
        raise BadInput("reason_is_longer_than")
    rows = txn.conn.execute(select(E).where(E.c.project_id == proj.id).order_by(E.c.seq)).mappings()
    events = [event_json(r) for r in rows]
    entries = latest_entries(events)
    me = txn.actor
    code = proj.code
    latest = entries[-1]
    if latest[0]["actor"] != me:
        mine = [en for en in entries if en[0]["actor"] == me]
        if mine and not all(e["kind"] == "correction" for e in mine[-1]):
            raise Refused("your_latest_entry_event", [{"project": code, "seq": mine[-1][0]["seq"],
                                                       "latest": latest[0]["seq"],
                                          "problem": "not_latest"}], code=code, seq=mine[-1][0]['seq'],
                                          actor=latest[0]['actor'], latest_seq=latest[0]['seq'])
        raise NotAllowed("latest_entry_event_is",
                         [{"project": code, "seq": latest[0]["seq"],
                           "actor": latest[0]["actor"]}], code=code, seq=latest[0]['seq'], actor=latest[0]['actor'])
    seqs = [e["seq"] for e in latest]
    if any(e["kind"] == "correction" for e in latest):
        raise Refused("your_latest_entry_events", [{"project": code, "seqs": seqs, "problem": "correction"}],
                      code=code, span=_span(seqs))
    if any(e["kind"] == "registered" for e in latest):
        raise Refused("your_latest_entry_registered",
                      [{"project": code, "seqs": seqs, "problem": "registration"}], code=code)
    recorded = datetime.strptime(latest[0]["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    age = (txn.today - clock.local_date(recorded)).days
    if age > window_days:
        window = Message("undo_window_is_today") if window_days == 0 else Message("undo_window_is_days", n=window_days)
        raise Refused("your_latest_entry_events_was", [{"project": code, "seqs": seqs, "problem": "outside_window",
                                               "window_days": window_days}], code=code, span=_span(seqs),
                                               local_date=clock.local_date(recorded), window=window)
    corrected = {e["payload"].get("corrects") for e in events if e["kind"] == "correction"}
    if corrected & set(seqs):
        raise Refused("your_latest_entry_was", [{"project": code, "seqs": seqs}], code=code)
    for e in latest:  # refused before anything is written: what undo cannot take back (UNDOABLE)
        if e["kind"] not in UNDOABLE:
            raise Refused("undo_cannot_take_back", [{"project": code, "seq": e["seq"], "kind": e["kind"],
                                                     "problem": "not_reversible"}],
                          code=code, seq=e["seq"], kind=e["kind"])
        if e["kind"] == "check" and restored_row(txn, proj, e) is None:
            raise Refused("undo_check_no_previous", [{"project": code, "seq": e["seq"], "item": e["payload"]["item"],
                                                      "problem": "first_result"}],
                          code=code, seq=e["seq"], item=e["payload"]["item"])
    closed = txn.closed()
    if closed and late_reason() is None:  # taking back an entry dated in a closed period changes its figures
        for e in latest:
            day = date.fromisoformat(e["effective_on"])
            label = next((lb for start, end, lb in closed if start <= day <= end), None)
            if label is not None:
                raise Refused("undo_closed_period", [{"project": code, "seq": e["seq"], **closed_detail(label, day)}],
                              code=code, seq=e["seq"], on=day, label=label)
    for e in reversed(latest):
        txn.touches = date.fromisoformat(e["effective_on"])  # a late entry when that date is in a closed period
        try:
            if e["kind"] == "edited":  # put the old values back, then name the edit as corrected
                _edit_back(txn, proj, e, on)
            correct(txn, proj, seq=e["seq"], reason=why, on=max(on, date.fromisoformat(e["effective_on"])),
                    undo=True)
        finally:
            txn.touches = None
        txn.done(proj)  # each correction is its own step of the project's version (as `correct` is)
        txn.flush()
    return seqs


def _span(seqs: list[int]) -> Message:
    """The events of one entry (consecutive seqs) as a message says them: "event 87", "events 87 and 88"."""
    if len(seqs) == 1:
        return Message("entry_event", seq=seqs[0])
    return Message("entry_events_two" if len(seqs) == 2 else "entry_events", first=seqs[0], last=seqs[-1])


def _edit_back(txn: Txn, proj: ProjectRow, event: dict, on: date) -> None:
    changes = event["payload"]["changes"]
    values: dict = {}
    diff: dict = {}
    for column, (old, new) in changes.items():
        value = date.fromisoformat(old) if column.startswith("plan_") and isinstance(old, str) else old
        values[column] = value
        diff[column] = (new, old)
    txn.emit(proj, Edited(on=on, changes=diff, values=values))
