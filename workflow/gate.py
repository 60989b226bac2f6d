"""The write gate: what every write transaction reads before it writes, in one statement built once:
whether the actor is disabled, and the set-up ledger's head (docs/architecture.md)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from workflow.tables import app_user as AU
from workflow.tables import ledger as LG

_DISABLED = select(AU.c.disabled).where(AU.c.login == bindparam("b_login"))  # built once: every write asks
# What every write transaction reads before it writes, in one statement built once: whether the actor
# is disabled, and the set-up ledger's head hash (which names the ledger's whole content, closed
# periods included: ``workflow.closed.closed_ranges_at``).
GATE_COLUMNS = (_DISABLED.scalar_subquery().label("gate_disabled"),
                select(LG.c.hash).order_by(LG.c.seq.desc()).limit(1).scalar_subquery().label("gate_ledger_head"))
_GATE = select(*GATE_COLUMNS)


def is_disabled(conn: Connection, login: str) -> bool:
    return bool(conn.execute(_DISABLED, {"b_login": login}).scalar())


def gate(conn: Connection, login: str) -> tuple[bool, str | None]:
    """Whether ``login`` is disabled, and the ledger's head hash (None: an empty ledger)."""
    disabled, head = conn.execute(_GATE, {"b_login": login}).one()
    return bool(disabled), head
