"""The threshold changes that changed a project's light (``history``; docs/audit.md).

A ``setting`` entry of the set-up ledger that changes warning thresholds (``lights.*``) changed a
project's light when the light computed with the thresholds in force with the entry differs from the
light computed without it — on the entry's effective date, or today while it is still in force.
Only entries in force on a day from the project's registration to today are looked at.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.lights import Thresholds
from workflow.settings import KIND, LIGHT_PREFIX, thresholds_from_rows
from workflow.tables import ledger as L
from workflow.tables import setting as ST
from workflow.views import project_views


def light_changes(conn: Connection, row: Any) -> list[dict]:
    """For the project ``row`` (a full ``project`` row): ``[{"entry", "effective_on", "by", "reason",
    "changes": {name: [old, new]}, "light": [old, new], "on"}]``, oldest first."""
    today = clock.today()
    rows = [tuple(r) for r in conn.execute(select(ST.c.key, ST.c.entry, ST.c.value, ST.c.effective_on).where(
        ST.c.entry > 0, ST.c.key.like(LIGHT_PREFIX + "%")))]
    if not rows:
        return []
    out = []
    stmt = select(L.c.seq, L.c.payload, L.c.actor, L.c.reason).where(L.c.kind == KIND).order_by(L.c.seq)
    for seq, payload, actor, reason in conn.execute(stmt).all():
        doc = json.loads(payload) if isinstance(payload, str) else payload
        if not any(k.startswith(LIGHT_PREFIX) for k in doc.get("values", {})):
            continue
        day = date.fromisoformat(doc["effective_on"])
        if day > today:
            continue
        without = [r for r in rows if r[1] != seq]
        for when in dict.fromkeys((max(day, row["registered_on"]), today)):
            if when < row["registered_on"]:
                continue
            old, new = thresholds_from_rows(without, when), thresholds_from_rows(rows, when)
            if old == new:
                continue
            lights = [project_views(conn, [row], when, full=False, thresholds=t)[0]["light"] for t in (old, new)]
            if lights[0] != lights[1]:
                changes = {f.name: [getattr(old, f.name), getattr(new, f.name)] for f in fields(Thresholds)
                           if getattr(old, f.name) != getattr(new, f.name)}
                out.append({"entry": seq, "effective_on": day.isoformat(), "by": actor, "reason": reason,
                            "changes": changes, "light": lights, "on": when.isoformat()})
                break
    return out


__all__ = ["light_changes"]
