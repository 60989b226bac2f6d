"""The rules of an event's day, as ``audit verify`` judges it (docs/audit.md, "Each entry judged by the
rules of its day"): each user's role and disabled flag, and the closed periods, as the set-up ledger
(``workflow.ledger``) stood when the event was recorded.

A ledger entry's ``after_event`` is the id of the last event written before it, so an event with id
``i`` was recorded after exactly the entries whose ``after_event`` is below ``i`` (entries written
before ``after_event`` existed are placed by their recorded time).  A user's state before their first
entry is what that entry says it was: the ``from`` of a role change, the role a disable or enable
names, the state a carried-over ``user_added`` entry describes (as it stood since the beginning); a
``user_added`` entry that is not carried over means the login was no user before it.  A login with no
entry at all has its current role throughout, enabled.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from workflow.catalogue import Message
from workflow.closed import CLOSED, REOPENED
from workflow.tables import app_user as AU
from workflow.tables import event as E
from workflow.tables import ledger as L

USER_KINDS = ("user_role", "user_disabled", "user_enabled", "user_added", "user_edited")

State = tuple[str | None, bool]  # (role, disabled); role None: not a user
Ranges = tuple[tuple[date, date, str], ...]  # closed periods: (start, end, label), by start


def _pair(value: Any) -> tuple[Any, Any] | None:
    """``[old, new]`` as an edit entry records a changed field (``unit_edited``'s form)."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None


def _before_and_after(kind: str, payload: dict, state: State | None) -> tuple[State | None, State]:
    """What one user entry says of the user: the state just before it (None: it does not say) and
    the state it leaves; ``state`` is the state before it as far as known (None: not known yet)."""
    role, disabled = state if state is not None else (None, False)
    if kind == "user_role":
        before = (payload.get("from"), disabled)
        return before, (payload.get("to"), disabled)
    if kind in ("user_disabled", "user_enabled"):
        named = payload.get("role", role)
        return (named, kind == "user_enabled"), (named, kind == "user_disabled")
    row = payload.get("row")  # a set-up row's entry (workflow.setup_rows): the whole row after it
    if kind == "user_added":
        src = row if isinstance(row, dict) else payload
        after = (src.get("role"), bool(src.get("disabled", False)))
        return (after if payload.get("carried_over") else (None, False)), after
    # user_edited: each changed field as [old, new] (``changed`` of a set-up row's entry, or the payload)
    changed = payload.get("changed")
    fields: dict = changed if isinstance(changed, dict) else payload
    old_role, new_role = _pair(fields.get("role")) or (role, fields.get("role", role))
    flag = _pair(fields.get("disabled"))
    old_dis, new_dis = flag if flag is not None else (disabled, fields.get("disabled", disabled))
    return (old_role, bool(old_dis)), (new_role, bool(new_dis))


class DayRules:
    """Roles, disabled flags and closed periods as they stood before each event (by event id)."""

    def __init__(self, users: dict[str, tuple[list[int], list[State]]], current: dict[str, str],
                 closes: tuple[list[int], list[Ranges]]):
        self.users = users  # login -> (positions, states): states[k] holds from positions[k-1] on
        self.current = current  # login -> role, for logins without an entry
        self.closes = closes

    @classmethod
    def of(cls, conn: Connection) -> DayRules:
        """Read from ``conn``: the ledger's user and period entries and the users table."""
        current = {login: role for login, role in conn.execute(select(AU.c.login, AU.c.role))}
        rows = conn.execute(select(L.c.kind, L.c.target, L.c.payload, L.c.after_event, L.c.recorded_at)
                            .where(L.c.kind.in_((*USER_KINDS, CLOSED, REOPENED))).order_by(L.c.seq)).all()
        entries = []
        for kind, target, payload, after, at in rows:
            if after is None:  # written before entries had a place in the write order: by its time
                after = conn.execute(select(func.coalesce(func.max(E.c.id), 0))
                                     .where(E.c.recorded_at <= at)).scalar_one()
            try:
                parsed = json.loads(payload) if isinstance(payload, str) else payload
            except ValueError:
                parsed = None
            entries.append((kind, target, parsed if isinstance(parsed, dict) else {}, int(after)))
        return cls(_users(entries), current, _closes(entries))

    def user(self, login: str, event_id: int) -> State:
        """``login``'s (role, disabled) when event ``event_id`` was recorded."""
        found = self.users.get(login)
        if found is None:
            return self.current.get(login), False
        positions, states = found
        return states[bisect_left(positions, event_id)]

    def has_entries(self, login: str) -> bool:
        return login in self.users

    def closed(self, event_id: int) -> Ranges:
        """The periods closed when event ``event_id`` was recorded."""
        positions, states = self.closes
        return states[bisect_left(positions, event_id)] if positions else ()

    @staticmethod
    def constant(roles: dict[str, str]) -> DayRules:
        """Today's roles throughout, nothing closed (a replay without the ledger)."""
        return DayRules({}, dict(roles), ([], [()]))


def _users(entries: Iterable[tuple[str, str, dict, int]]) -> dict[str, tuple[list[int], list[State]]]:
    out: dict[str, tuple[list[int], list[State]]] = {}
    for kind, login, payload, after in entries:
        if kind not in USER_KINDS:
            continue
        if login not in out:
            before, state = _before_and_after(kind, payload, None)
            out[login] = ([after], [before if before is not None else (None, False), state])
            continue
        positions, states = out[login]
        _, state = _before_and_after(kind, payload, states[-1])
        positions.append(after)
        states.append(state)
    return out


def _closes(entries: Iterable[tuple[str, str, dict, int]]) -> tuple[list[int], list[Ranges]]:
    positions: list[int] = []
    states: list[Ranges] = [()]
    now: dict[str, tuple[date, date]] = {}
    for kind, label, payload, after in entries:
        if kind == CLOSED:
            try:
                now[label] = (date.fromisoformat(str(payload["start"])), date.fromisoformat(str(payload["end"])))
            except (KeyError, ValueError):
                continue  # a close that names no period: the chain and the figures' check report it
        elif kind == REOPENED:
            now.pop(label, None)
        else:
            continue
        positions.append(after)
        states.append(tuple(sorted((s, e, lab) for lab, (s, e) in now.items())))
    return positions, states


def position_problems(conn: Connection) -> list[tuple[int, Message, Any, Any]]:
    """The set-up ledger's places in the write order checked: ``after_event`` never decreases along the
    ledger (appends serialise, and the last event id seen only grows), never names an event that does
    not exist, and is never missing after an entry that has it.  ``(seq, message, expected, found)``
    for each problem: a forged entry placed earlier in history would otherwise change the rules of the
    events before it."""
    last_id = conn.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one()
    out: list[tuple[int, Message, Any, Any]] = []
    previous: int | None = None
    for seq, after in conn.execute(select(L.c.seq, L.c.after_event).order_by(L.c.seq)):
        if after is None:
            if previous is not None:
                out.append((seq, Message("ledger_place_missing", seq=seq), f">= {previous}", None))
            continue
        if previous is not None and after < previous:
            out.append((seq, Message("ledger_place_backwards", seq=seq, after=after, previous=previous),
                        f">= {previous}", after))
        elif after > last_id or after < 0:
            out.append((seq, Message("ledger_place_no_event", seq=seq, after=after), f"<= {last_id}", after))
        previous = max(after, previous or 0)
    return out
