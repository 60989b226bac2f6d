"""settings under the set-up ledger, effective-dated: ``setting`` gets ``entry`` (the ledger entry that
wrote the row, part of the key) and ``effective_on``; ``value`` may be NULL (back to the default)

Every existing row of a setting the ledger governs (``lights.*``, ``supervision.*``,
``supervision_top_leader``, ``undo.window_days``; see docs/audit.md) becomes one ledger entry of kind
``setting``, reason "carried over at upgrade", actor ``upgrade`` (a migration does not know who runs
it), in force since 0001-01-01 (so the boards and reports of every earlier date keep the values they
were computed with), and its row points at that entry: ``audit verify`` holds after the upgrade.
Other rows (plan templates, the demo's mark) keep ``entry`` 0 and no date.

SQLite copies the table (it cannot change a primary key in place); PostgreSQL alters it in place so
the grants on it stay.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:40:00
"""
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "upgrade"
REASON = "carried over at upgrade"
SINCE = date(1, 1, 1)


def _governed(key: str) -> bool:
    return key.startswith(("lights.", "supervision.")) or key in ("supervision_top_leader", "undo.window_days")


def _target(key: str) -> str:
    return "lights" if key.startswith("lights.") else "undo" if key.startswith("undo.") else "supervision"


def upgrade() -> None:
    from workflow.events import GENESIS, canonical
    from workflow.ledger import LEDGER_LOCK, entry_hash

    bind = op.get_bind()
    rows = [(k, v) for k, v in bind.execute(sa.text("SELECT key, value FROM setting ORDER BY key"))]
    if bind.dialect.name == "sqlite":
        op.drop_table('setting')
        op.create_table('setting',
                        sa.Column('key', sa.String(length=80), nullable=False),
                        sa.Column('entry', sa.Integer(), server_default='0', autoincrement=False, nullable=False),
                        sa.Column('value', sa.Text(), nullable=True),
                        sa.Column('effective_on', sa.Date(), nullable=True),
                        sa.PrimaryKeyConstraint('key', 'entry', name=op.f('pk_setting')))
    else:
        op.add_column('setting', sa.Column('entry', sa.Integer(), server_default='0', autoincrement=False,
                                           nullable=False))
        op.add_column('setting', sa.Column('effective_on', sa.Date(), nullable=True))
        op.alter_column('setting', 'value', existing_type=sa.Text(), nullable=True)
        op.drop_constraint('pk_setting', 'setting', type_='primary')
        op.create_primary_key('pk_setting', 'setting', ['key', 'entry'])
        op.execute(sa.text("DELETE FROM setting"))
        bind.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LEDGER_LOCK})")
    setting = sa.table('setting', sa.column('key', sa.String()), sa.column('entry', sa.Integer()),
                       sa.column('value', sa.Text()), sa.column('effective_on', sa.Date()))
    ledger = sa.table('ledger', *(sa.column(c) for c in ("seq", "kind", "target", "payload", "reason", "actor",
                                                          "recorded_at", "prev_hash", "hash", "after_event")))
    head = bind.execute(sa.text("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
    after = bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM event")).scalar_one()
    at = datetime.now(UTC)
    for key, value in rows:
        if not _governed(key):
            op.execute(sa.insert(setting).values(key=key, entry=0, value=value, effective_on=None))
            continue
        seq += 1
        text = canonical({"effective_on": SINCE.isoformat(), "values": {key: value}}).decode("utf-8")
        digest = entry_hash(seq, "setting", _target(key), text, REASON, ACTOR, at, prev, after)
        bind.execute(sa.insert(ledger).values(seq=seq, kind="setting", target=_target(key), payload=text,
                                              reason=REASON, actor=ACTOR, recorded_at=at, prev_hash=prev,
                                              hash=digest, after_event=after))
        bind.execute(sa.insert(setting).values(key=key, entry=seq, value=value, effective_on=SINCE))
        prev = digest


def downgrade() -> None:
    """Keep, per key, the value in force today (keys back at their default dropped); the ledger
    entries stay (it is append-only)."""
    bind = op.get_bind()
    today = date.today().isoformat()
    rows = bind.execute(sa.text("SELECT key, entry, value, effective_on FROM setting")).all()
    keep: dict[str, str | None] = {}
    for key, _entry, value, day in sorted(rows, key=lambda r: (str(r[3] or ""), r[1])):
        if day is None or str(day) <= today:
            keep[key] = value
    if bind.dialect.name == "sqlite":
        op.drop_table('setting')
        op.create_table('setting',
                        sa.Column('key', sa.String(length=80), nullable=False),
                        sa.Column('value', sa.Text(), nullable=False),
                        sa.PrimaryKeyConstraint('key', name=op.f('pk_setting')))
    else:
        op.execute(sa.text("DELETE FROM setting"))
        op.drop_constraint('pk_setting', 'setting', type_='primary')
        op.drop_column('setting', 'effective_on')
        op.drop_column('setting', 'entry')
        op.alter_column('setting', 'value', existing_type=sa.Text(), nullable=False)
        op.create_primary_key('pk_setting', 'setting', ['key'])
    setting = sa.table('setting', sa.column('key', sa.String()), sa.column('value', sa.Text()))
    for key, value in keep.items():
        if value is not None:
            bind.execute(sa.insert(setting).values(key=key, value=value))
