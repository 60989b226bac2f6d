"""set-up tables under the set-up ledger: one entry per existing row of unit, person, app_user, rule
(each version) and target, and per stored plan template

Every existing row becomes one ledger entry of its table's kind (``unit_added``, ``person_added``,
``user_added``, ``rule_version``, ``target_set``; see docs/audit.md) with the row's fields, reason
"carried over at upgrade", actor ``upgrade`` (a migration does not know who runs it, as in 0007), in
force since 0001-01-01 and marked ``"carried_over": true`` (it describes the row as it stood since the
beginning).  Plan templates (``plan.template.*`` rows of ``setting``, entry 0) become ``setting``
entries as 0007 made of the other settings, and their rows point at them.  ``audit verify`` holds
after the upgrade.  Which fields an entry carries is ``workflow.setup_rows.SPECS`` (the columns the
table has at this point).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:30:00
"""
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "upgrade"
REASON = "carried over at upgrade"
SINCE = date(1, 1, 1)
PLAN = "plan.template."


def upgrade() -> None:
    from workflow.encoding import GENESIS, canonical
    from workflow.ledger import LEDGER_LOCK, entry_hash
    from workflow.setup_rows import SPECS, target_of

    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        bind.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LEDGER_LOCK})")
    ledger = sa.table('ledger', *(sa.column(c) for c in ("seq", "kind", "target", "payload", "reason", "actor",
                                                          "recorded_at", "prev_hash", "hash", "after_event")))
    head = bind.execute(sa.text("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
    after = bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM event")).scalar_one()
    at = datetime.now(UTC)

    def append(kind: str, target: str, payload: dict) -> int:
        nonlocal seq, prev
        seq += 1
        text = canonical(payload).decode("utf-8")
        digest = entry_hash(seq, kind, target, text, REASON, ACTOR, at, prev, after)
        bind.execute(sa.insert(ledger).values(seq=seq, kind=kind, target=target, payload=text, reason=REASON,
                                              actor=ACTOR, recorded_at=at, prev_hash=prev, hash=digest,
                                              after_event=after))
        prev = digest
        return seq

    inspector = sa.inspect(bind)
    for spec in SPECS.values():
        have = {c["name"] for c in inspector.get_columns(spec.name)}
        fields = [f for f in spec.fields if f in have]
        T = spec.table
        stmt = sa.select(*(T.c[c] for c in spec.keys + tuple(fields))).order_by(*(T.c[k] for k in spec.keys))
        for row in bind.execute(stmt).mappings().all():
            key = {k: row[k] for k in spec.keys}
            append(spec.added, target_of(spec, key),
                   {"table": spec.name, "key": key, "row": {f: row[f] for f in fields},
                    "effective_on": SINCE.isoformat(), "carried_over": True})

    setting = sa.table('setting', sa.column('key', sa.String()), sa.column('entry', sa.Integer()),
                       sa.column('value', sa.Text()), sa.column('effective_on', sa.Date()))
    plans = bind.execute(sa.text("SELECT key, value FROM setting WHERE entry = 0 AND key LIKE :p ORDER BY key"),
                         {"p": PLAN + "%"}).all()
    for key, value in plans:
        entry = append("setting", "plan", {"effective_on": SINCE.isoformat(), "values": {key: value},
                                           "carried_over": True})
        bind.execute(sa.update(setting).where(setting.c.key == key, setting.c.entry == 0)
                     .values(entry=entry, effective_on=SINCE))


def downgrade() -> None:
    """Plan templates go back to one undated row each (the value in force today); the ledger entries
    stay (it is append-only)."""
    bind = op.get_bind()
    today = date.today().isoformat()
    rows = bind.execute(sa.text("SELECT key, entry, value, effective_on FROM setting WHERE key LIKE :p"),
                        {"p": PLAN + "%"}).all()
    keep: dict[str, str | None] = {}
    for key, _entry, value, day in sorted(rows, key=lambda r: (str(r[3] or ""), r[1])):
        if day is None or str(day) <= today:
            keep[key] = value
    bind.execute(sa.text("DELETE FROM setting WHERE key LIKE :p"), {"p": PLAN + "%"})
    setting = sa.table('setting', sa.column('key', sa.String()), sa.column('entry', sa.Integer()),
                       sa.column('value', sa.Text()), sa.column('effective_on', sa.Date()))
    for key, value in keep.items():
        if value is not None:
            bind.execute(sa.insert(setting).values(key=key, entry=0, value=value, effective_on=None))
