"""the set-up ledger (admin edits of units and users, period closes) and disabled logins

Revision ID: 0003
Revises: 0001
The ledger is append-only like history: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL, ENABLE ALWAYS).

Create Date: 2026-11-30 02:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel.sql.sqltypes.AutoString and UTCDateTime
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = """
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: UPDATE of ledger refused'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: DELETE of ledger refused'); END;
"""

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pipeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'history is append-only: % of % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""

PG_TRIGGERS = """
CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger
  FOR EACH ROW EXECUTE FUNCTION pipeline_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
  FOR EACH STATEMENT EXECUTE FUNCTION pipeline_append_only();
ALTER TABLE ledger ENABLE ALWAYS TRIGGER ledger_no_update_delete;
ALTER TABLE ledger ENABLE ALWAYS TRIGGER ledger_no_truncate;
"""


def _statements(sql: str):
    return [s.strip() for s in sql.split(";\n") if s.strip()]


def upgrade() -> None:
    op.create_table('ledger',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_ledger'))
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_target'), ['target'], unique=False)
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for stmt in _statements(SQLITE_TRIGGERS):
            op.execute(stmt)
    elif dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for stmt in _statements(PG_TRIGGERS):
            op.execute(stmt)


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('disabled')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_target'))
    op.drop_table('ledger')
