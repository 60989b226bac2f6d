"""An independent check of a whole store, for the crash, concurrency and stateful tests.

It reads the tables directly (not through the service) and returns a list of problems, empty when:

- every project's events run ``seq`` 1..n, the first ``prev_hash`` is 64 zeros, each ``prev_hash``
  is the previous event's ``hash``, and every ``hash`` is recomputed from the stored fields
  (``workflow.events.document_hash``: RFC 8785 bytes, SHA-256);
- the project row agrees with its history: ``head_seq``/``head_hash`` are the last event's, ``stage``
  is the stage replayed from the transition events (``held_from`` too), ``1 <= version <= head_seq``;
- no partial batch: every record event has its side row (same ``event_seq``) and every side row its
  event (a reversing capital or investment row: its correction event), with the same amount; a
  capital arrival on a signed project is followed, in the same transaction, by the ``fund`` it fires.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from workflow.encoding import GENESIS

SIDE_TABLES = {  # event kind -> side table
    "document": "document",
    "check": "screening_check",
    "capital": "capital_arrival",
    "investment": "investment_completed",
    "followup": "followup",
}


def store_problems(engine) -> list[str]:
    from workflow import audit, tables

    P, E = tables.project, tables.event
    problems: list[str] = []
    with engine.connect() as conn:
        projects = conn.execute(select(P).order_by(P.c.id)).mappings().all()
        events: dict[int, list] = {}
        for e in conn.execute(select(E).order_by(E.c.project_id, E.c.seq)).mappings():
            events.setdefault(e["project_id"], []).append(e)
        side: dict[str, dict[tuple[int, int], dict]] = {}
        for kind, table in SIDE_TABLES.items():
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").mappings().all()
            side[kind] = {}
            for r in rows:
                key = (r["project_id"], r["event_seq"])
                if key in side[kind]:
                    problems.append(f"{table}: two rows for project {r['project_id']} event {r['event_seq']}")
                side[kind][key] = dict(r)
        conn.rollback()
    known_ids = {p["id"] for p in projects}
    for pid in events:
        if pid not in known_ids:
            problems.append(f"events of a missing project id {pid}")
    for p in projects:
        problems += _project_problems(p, events.get(p["id"], []), side, audit)
    for kind, rows in side.items():
        by_project: dict[int, set[int]] = {}
        for pid, seq in rows:
            by_project.setdefault(pid, set()).add(seq)
        for pid, seqs in by_project.items():
            have = {e["seq"] for e in events.get(pid, []) if e["kind"] == kind}
            if kind in ("capital", "investment"):  # a correction reverses an amount with its own row
                for e in events.get(pid, []):
                    if e["kind"] == "correction" and (pid, e["seq"]) in rows:
                        payload = json.loads(e["payload"]) if isinstance(e["payload"], str) else e["payload"]
                        if payload.get("kind") == kind and payload.get("amount_minor") == \
                                rows[(pid, e["seq"])]["amount_minor"]:
                            have.add(e["seq"])
            for seq in sorted(seqs - have):
                problems.append(f"{SIDE_TABLES[kind]} row of project {pid} points at event {seq}, "
                                f"which is not a {kind} event")
    return problems


def _project_problems(p, evs, side, audit) -> list[str]:
    code = p["code"]
    out: list[str] = []
    if not evs:
        return [f"{code}: a project without history"]
    prev = GENESIS
    stage = held_from = None
    for i, e in enumerate(evs, start=1):
        if e["seq"] != i:
            out.append(f"{code}: event {i} has seq {e['seq']}")
            break
        if e["prev_hash"] != prev:
            out.append(f"{code}#{i}: prev_hash does not link to the previous event")
        from workflow.encoding import document_hash

        recomputed = document_hash(
            project=code, seq=e["seq"], kind=e["kind"], trigger=e["trigger"], from_stage=e["from_stage"],
            to_stage=e["to_stage"], effective_on=e["effective_on"], recorded_at=e["recorded_at"],
            actor=e["actor"], reason=e["reason"], payload=e["payload"], prev_hash=e["prev_hash"])
        if recomputed != e["hash"]:
            out.append(f"{code}#{i}: hash does not match the stored fields")
        prev = e["hash"]
        payload = json.loads(e["payload"]) if isinstance(e["payload"], str) else e["payload"]
        if e["kind"] == "registered":
            stage = e["to_stage"]
        elif e["kind"] == "transition" or (e["kind"] == "correction" and e["to_stage"]):
            if stage is not None and e["from_stage"] != stage:
                out.append(f"{code}#{i}: transition from {e['from_stage']} but the project was at {stage}")
            if e["kind"] == "correction":  # an undone stage change restores the stage before it
                held_from = payload.get("held_from")
            elif e["trigger"] == "hold" or e["to_stage"] == "on_hold":
                held_from = e["from_stage"]
            elif stage == "on_hold":
                held_from = None
            stage = e["to_stage"]
        kind = e["kind"]
        if kind in side:
            row = side[kind].get((p["id"], e["seq"]))
            if row is None:
                out.append(f"{code}#{i}: a {kind} event without its {SIDE_TABLES[kind]} row (partial batch)")
            elif kind in ("capital", "investment") and row["amount_minor"] != payload.get("amount_minor"):
                out.append(f"{code}#{i}: {kind} row amount {row['amount_minor']} != event {payload}")
        if kind == "capital" and stage == "signed":
            nxt = evs[i] if i < len(evs) else None
            if nxt is None or nxt["trigger"] != "fund":
                out.append(f"{code}#{i}: capital on a signed project without the fund it fires (partial batch)")
    if p["head_seq"] != len(evs):
        out.append(f"{code}: head_seq {p['head_seq']} but {len(evs)} events")
    if p["head_hash"] != evs[-1]["hash"]:
        out.append(f"{code}: head_hash is not the last event's hash")
    if p["stage"] != stage:
        out.append(f"{code}: stage {p['stage']} but history replays to {stage}")
    if stage == "on_hold" and p["held_from"] != held_from:
        out.append(f"{code}: held_from {p['held_from']} but history says {held_from}")
    if not 1 <= p["version"] <= len(evs):
        out.append(f"{code}: version {p['version']} outside 1..{len(evs)}")
    return out


def replayed_stage(events: list[dict]) -> str | None:
    """The stage a history (``pipeline history --json`` events) replays to."""
    stage = None
    for e in events:
        if e["kind"] == "registered" or e["kind"] == "transition" or (e["kind"] == "correction" and e["to"]):
            stage = e["to"]
    return stage
