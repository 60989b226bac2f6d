"""Set-up tables under the set-up ledger: units, people, users, leader rules and targets.

One spec per table (:data:`SPECS`: the table, its key columns, the fields the ledger carries, the entry
kinds) and one writer, :func:`write`, that every set-up command calls in its transaction: it inserts or
updates the row AND appends one ledger entry (``workflow.ledger``) whose payload is ``{"table", "key",
"row", "effective_on"}`` (``row``: every carried field as it stands after the change; ``changed``: the
old and new value of each field an edit changed).  The tables are a projection of the ledger the way
project rows are of events: :func:`from_ledger` folds the entries, :func:`differences` compares each
table with it (``audit verify`` fails on any difference, naming table, key and field) and
:func:`rebuild` writes the tables again.  Settings have their own owner (``workflow.settings``).

Entries written before schema 0009 (``unit_edited`` with ``{field: [old, new]}``, ``user_role``,
``user_disabled``, ``user_enabled``) are read too; the upgrade to 0009 appends one entry per existing
row (``"carried_over": true``, in force since 0001-01-01), which fixes the whole row.  Adding a field
to a table under the ledger is one line: its name in the spec's ``fields``.  See docs/audit.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Table, and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from workflow import clock, ledger, tables
from workflow.tables import ledger as L

ALWAYS = date(1, 1, 1)  # the effective date of rows carried over at the upgrade to schema 0009


@dataclass(frozen=True)
class Spec:
    """One set-up table under the ledger."""

    name: str  # the table's name (``workflow.tables``)
    keys: tuple[str, ...]  # its key columns
    fields: tuple[str, ...]  # the columns each entry carries (the whole row but its key and stamps)
    added: str  # the entry kind of a new row
    edited: str  # the entry kind of a changed row
    on_add: tuple[tuple[str, str], ...] = ()  # column <- "actor" | "at", set when the row is added
    on_edit: tuple[tuple[str, str], ...] = ()  # column <- "actor" | "at", set on every change
    current: str | None = None  # a flag true on the highest version (the last key column) of each series

    @property
    def table(self) -> Table:
        return getattr(tables, self.name)


SPECS: dict[str, Spec] = {s.name: s for s in (
    Spec("unit", ("code",), ("name", "kind"), "unit_added", "unit_edited", on_add=(("created_at", "at"),)),
    Spec("person", ("login",), ("name", "title", "level", "unit_code", "cap", "active"), "person_added",
         "person_edited", on_add=(("created_at", "at"),)),
    Spec("app_user", ("login",), ("role", "disabled", "person_login"), "user_added", "user_edited",
         on_add=(("created_at", "at"), ("created_by", "actor"))),
    Spec("rule", ("id", "version"), ("priority", "name", "role", "conditions", "person_login", "active",
                                     "effective_on"),
         "rule_version", "rule_version", on_add=(("changed_by", "actor"), ("changed_at", "at")), current="current"),
    Spec("target", ("unit_code", "year"), ("signed", "capital_minor", "foreign_minor", "investment_minor"),
         "target_set", "target_set", on_add=(("set_by", "actor"), ("set_at", "at")),
         on_edit=(("set_by", "actor"), ("set_at", "at"))),
)}

# kinds written before schema 0009, still read: kind -> table
LEGACY = {"unit_edited": "unit", "user_role": "app_user", "user_disabled": "app_user", "user_enabled": "app_user"}
KINDS = sorted({s.added for s in SPECS.values()} | {s.edited for s in SPECS.values()} | set(LEGACY))


def target_of(spec: Spec, key: Mapping[str, Any]) -> str:
    """The ledger entry's ``target``: the key's values joined by ``/`` (``ZS/2026``, rule ``3/2``)."""
    return "/".join(str(key[k]) for k in spec.keys)


def _default(spec: Spec, field: str) -> Any:
    arg = getattr(spec.table.c[field].default, "arg", None)
    return None if callable(arg) else arg


def _to_json(value: Any) -> Any:
    """A field's value as the ledger's payload holds it (a date as ``YYYY-MM-DD``)."""
    return value.isoformat() if isinstance(value, date) else value


def _from_json(spec: Spec, field: str, value: Any) -> Any:
    """A payload's value as its column holds it (``_to_json`` undone for a date column)."""
    if isinstance(value, str) and isinstance(spec.table.c[field].type, Date):
        return date.fromisoformat(value)
    return value


def _stamps(pairs: tuple[tuple[str, str], ...], actor: str, at: datetime) -> dict[str, Any]:
    return {col: actor if what == "actor" else at for col, what in pairs}


def _where(spec: Spec, key: Mapping[str, Any]) -> Any:
    T = spec.table
    return and_(*(T.c[k] == key[k] for k in spec.keys))


def write(conn: Connection, actor: str, table: str, key: Mapping[str, Any], values: Mapping[str, Any], *,
          reason: str | None = None, kind: str | None = None, effective_on: date | None = None,
          note: Mapping[str, Any] | None = None) -> dict:
    """THE writer of set-up rows: add the row ``key`` (fields not given take their column's default)
    or change the fields given, and append one ledger entry, in the caller's transaction.  ``kind``
    overrides the spec's (``user_role``, ``user_disabled``); ``note`` adds fields to the payload.
    Returns the entry (``entry_json``)."""
    spec = SPECS[table]
    T = spec.table
    unknown = sorted(set(values) - set(spec.fields))
    if unknown:
        raise ValueError(f"{table} does not carry {unknown} in the set-up ledger")
    key = {k: key[k] for k in spec.keys}
    at = clock.utcnow()
    old = conn.execute(select(*(T.c[f] for f in spec.fields)).where(_where(spec, key))).mappings().first()
    if old is None:
        row = {f: values[f] if f in values else _default(spec, f) for f in spec.fields}
        changed = None
    else:
        row = {**dict(old), **values}
        changed = {f: [_to_json(old[f]), _to_json(values[f])] for f in spec.fields
                   if f in values and values[f] != old[f]}
    payload: dict[str, Any] = {"table": table, "key": key, "row": {f: _to_json(v) for f, v in row.items()},
                               "effective_on": (effective_on or clock.today()).isoformat()}
    if changed is not None:
        payload["changed"] = changed
    payload.update(note or {})
    # the entry first: ``ledger.append`` checks the reason (docs/text-and-errors.md) before anything is written
    entry = ledger.append(conn, actor, kind or (spec.added if old is None else spec.edited), target_of(spec, key),
                          payload, reason)
    if old is None:
        extra = _stamps(spec.on_add + spec.on_edit, actor, at)
        if spec.current:
            series = {k: key[k] for k in spec.keys[:-1]}
            conn.execute(update(T).where(and_(*(T.c[k] == v for k, v in series.items())), T.c[spec.current].is_(True))
                         .values({spec.current: False}))
            extra[spec.current] = True
        conn.execute(insert(T).values(**key, **row, **extra))
    else:
        conn.execute(update(T).where(_where(spec, key)).values(**values, **_stamps(spec.on_edit, actor, at)))
    return entry


# --- the projection ---------------------------------------------------------------------------------


def _entries(conn: Connection, kinds: list[str]) -> Any:
    return conn.execute(select(L.c.seq, L.c.kind, L.c.target, L.c.payload, L.c.actor, L.c.recorded_at)
                        .where(L.c.kind.in_(kinds)).order_by(L.c.seq))


def from_ledger(conn: Connection) -> dict[str, dict[tuple, dict[str, Any]]]:
    """Every set-up table as the ledger makes it: ``{table: {key: {field: value}}}``, each row with
    ``_entry`` (the last entry that wrote it), ``_actor``/``_at`` (the entry that added it) besides
    its fields.  A field an entry does not carry (one added to the spec later) is left out, and not
    compared."""
    out: dict[str, dict[tuple, dict[str, Any]]] = {name: {} for name in SPECS}
    for seq, kind, target, payload, actor, at in _entries(conn, KINDS):
        doc = json.loads(payload) if isinstance(payload, str) else payload
        if isinstance(doc, dict) and "table" in doc and "row" in doc:
            spec = SPECS.get(doc["table"])
            if spec is None:
                continue
            key = tuple(doc["key"][k] for k in spec.keys)
            rows = out[spec.name]
            first = rows.get(key, {"_actor": actor, "_at": at})
            fields = {f: _from_json(spec, f, v) for f, v in doc["row"].items() if f in spec.fields}
            rows[key] = {**fields, "_entry": seq, "_actor": first["_actor"], "_at": first["_at"]}
            continue
        row = out[LEGACY[kind]].get((target,))
        if row is None or not isinstance(doc, dict):  # its row's entry comes later (carried over at upgrade)
            continue
        if kind == "unit_edited":
            row.update({f: v[1] for f, v in doc.items() if f in SPECS["unit"].fields})
        elif kind == "user_role":
            row["role"] = doc.get("to")
        else:
            row["disabled"] = kind == "user_disabled"
        row["_entry"] = seq
    for spec in SPECS.values():
        if spec.current:
            rows = out[spec.name]
            top: dict[tuple, Any] = {}
            for key in rows:
                top[key[:-1]] = max(top.get(key[:-1], key[-1]), key[-1])
            for key, row in rows.items():
                row[spec.current] = key[-1] == top[key[:-1]]
    return out


def _compared(spec: Spec) -> tuple[str, ...]:
    return spec.fields + ((spec.current,) if spec.current else ())


def _table_rows(conn: Connection, spec: Spec) -> dict[tuple, dict[str, Any]]:
    T = spec.table
    cols = [T.c[c] for c in spec.keys + _compared(spec)]
    return {tuple(r[k] for k in spec.keys): dict(r) for r in conn.execute(select(*cols)).mappings()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is not None and b is not None and bool(a) == bool(b)
    return a == b


def differences(conn: Connection) -> list[dict]:
    """Every difference between the set-up tables and the ledger: ``{"table", "key", "entry",
    "field", "expected", "found"}`` (field ``row`` for a row missing or extra); empty: each table is
    the ledger's."""
    want_all = from_ledger(conn)
    out: list[dict] = []
    for spec in SPECS.values():
        want, have = want_all[spec.name], _table_rows(conn, spec)
        for key in sorted(set(want) | set(have)):
            w, h = want.get(key), have.get(key)
            name = "/".join(map(str, key))
            if w is None or h is None:
                out.append({"table": spec.name, "key": name, "entry": w["_entry"] if w else None, "field": "row",
                            "expected": "present" if w else "absent", "found": "present" if h else "absent"})
                continue
            for field in _compared(spec):
                if field in w and not _same(w[field], h[field]):
                    out.append({"table": spec.name, "key": name, "entry": w["_entry"], "field": field,
                                "expected": _show(w[field]), "found": _show(h[field])})
    return out


def _show(value: Any) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False) if isinstance(value, bool) else str(value)


def rebuild(conn: Connection) -> int:
    """Write every set-up table again from the ledger (in the caller's transaction): rows changed back,
    missing rows added, rows no entry wrote removed.  Returns how many rows were touched."""
    want_all = from_ledger(conn)
    touched = 0
    for spec in SPECS.values():
        T = spec.table
        want, have = want_all[spec.name], _table_rows(conn, spec)
        for key, w in want.items():
            keyd = dict(zip(spec.keys, key, strict=True))
            fields = {f: w[f] for f in _compared(spec) if f in w}
            h = have.get(key)
            if h is None:
                stamps = _stamps(spec.on_add + spec.on_edit, w["_actor"], w["_at"])
                conn.execute(insert(T).values(**keyd, **fields, **stamps))
                touched += 1
            elif any(not _same(fields[f], h[f]) for f in fields):
                conn.execute(update(T).where(_where(spec, keyd)).values(**fields))
                touched += 1
        for key in set(have) - set(want):
            conn.execute(delete(T).where(_where(spec, dict(zip(spec.keys, key, strict=True)))))
            touched += 1
    return touched


# --- reads as of a date -------------------------------------------------------------------------------


def in_force(conn: Connection, table: str, as_of: date | None = None) -> dict[tuple, dict[str, Any]]:
    """The rows of ``table`` as they stood on ``as_of`` (default: today), by effective date: per key
    the latest entry in force that day (equal dates: the later entry).  One query."""
    spec = SPECS[table]
    day = (as_of or clock.today()).isoformat()
    best: dict[tuple, tuple[str, int, dict]] = {}
    kinds = sorted({spec.added, spec.edited})
    for seq, _kind, _target, payload, _actor, _at in _entries(conn, kinds):
        doc = json.loads(payload) if isinstance(payload, str) else payload
        if not isinstance(doc, dict) or doc.get("table") != table:
            continue
        when = str(doc.get("effective_on") or ALWAYS.isoformat())
        if when > day:
            continue
        key = tuple(doc["key"][k] for k in spec.keys)
        if key not in best or (when, seq) >= best[key][:2]:
            best[key] = (when, seq, doc["row"])
    return {key: {f: _from_json(spec, f, v) for f, v in row.items() if f in spec.fields}
            for key, (_w, _s, row) in best.items()}


__all__ = ["ALWAYS", "KINDS", "LEGACY", "SPECS", "Spec", "differences", "from_ledger", "in_force", "rebuild",
           "write"]
