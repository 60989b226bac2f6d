"""Corrections: nothing in history is updated or deleted; a mistake is corrected by an event."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from workflow.commands.common import check_on, definition
from workflow.errors import BadInput, NotFound, Refused
from workflow.events import Corrected, event_json, replay_stage
from workflow.store import ProjectRow, Txn
from workflow.tables import event as E
from workflow.values import reason as check_reason

CORRECTS_STAGE = ("transition", "correction")


def correct(txn: Txn, proj: ProjectRow, *, seq: int, reason: str | None, on: date) -> None:
    """An admin's correction of event ``seq`` of the project (SPEC §2, §8 ``correct``).

    Appends one ``correction`` event naming the event it corrects (``payload.corrects``) with the
    reason.  What else it does depends on the event:

    - a stage change (a transition, or a correction that moved the stage) that is the project's
      latest: the project returns to the stage before it (with that stage's held-from stage and
      entry date), recorded as the correction's from → to;
    - a capital arrival or investment figure: a reversing entry of the same amount is recorded
      (a negative row with the original effective date), so totals and reports drop it;
    - anything else: the correction is a reasoned annotation (record the right value anew).
    """
    why = check_reason(reason, "--reason is required: say what was wrong with the event", required_=True)
    assert why is not None
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise BadInput(f"SEQ must be a whole number, not {seq!r}")
    code = proj.code
    rows = txn.conn.execute(select(E).where(E.c.project_id == proj.id).order_by(E.c.seq)).mappings()
    events = [event_json(r) for r in rows]
    if not 1 <= seq <= len(events):
        raise NotFound(f"{code} has no event {seq} (its events are 1 to {len(events)})",
                       [{"project": code, "seq": seq}])
    target = events[seq - 1]
    done = [e["seq"] for e in events if e["kind"] == "correction" and e["payload"].get("corrects") == seq]
    if done:
        raise Refused(f"event {seq} of {code} was already corrected by event {done[0]}",
                      [{"project": code, "seq": seq, "corrected_by": done[0]}])
    target_on = date.fromisoformat(target["effective_on"])
    if on < target_on:
        raise BadInput(f"--on: {on.isoformat()} lies before the event it corrects ({target['effective_on']})")
    check_on(txn, proj, on, transition=False)
    changes_stage = target["kind"] in CORRECTS_STAGE and target["to"] is not None
    if target["kind"] == "correction" and not changes_stage:
        raise Refused(f"event {seq} of {code} is a correction that moved no stage; there is nothing to "
                      "undo (record the right value again instead)")
    if changes_stage:
        later = [e["seq"] for e in events[seq:] if e["to"] is not None]
        if later:
            raise Refused(f"event {seq} of {code} is not its latest stage change; correct event "
                          f"{later[-1]} first", [{"project": code, "seq": seq, "latest": later[-1]}])
        paused = frozenset(s.key for s in definition(proj).stages if s.is_paused)
        before = replay_stage(events[: seq - 1], paused)
        if before["stage"] is None:
            raise Refused(f"event {seq} of {code} has no stage before it to return to")
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why, source=proj.stage,
                                 restore_stage=before["stage"], restore_held_from=before["held_from"],
                                 restore_since=date.fromisoformat(before["stage_since"])))
    elif target["kind"] in ("capital", "investment"):
        p = target["payload"]
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why,
                                 amount_minor=-int(p["amount_minor"]), currency=p["currency"], target_on=target_on))
    else:
        txn.emit(proj, Corrected(on=on, corrects=seq, target_kind=target["kind"], why=why))
