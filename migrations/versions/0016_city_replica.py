"""the city keeps each county's replayed copy (docs/city.md, "A newer bundle"): a newer bundle of a
county replays only the projects with new events; on PostgreSQL the table is a set-up table like the
city's others (written only with a set-up ledger entry, docs/postgresql.md)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 15:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel.sql.sqltypes.AutoString
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The set-up tables' guard of migration 0010, on the new table.
SETUP_TRIGGER = (
    "CREATE CONSTRAINT TRIGGER city_replica_through_ledger AFTER INSERT OR UPDATE OR DELETE ON city_replica "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pipeline_setup_guard()",
    "ALTER TABLE city_replica ENABLE ALWAYS TRIGGER city_replica_through_ledger",
)


def upgrade() -> None:
    op.create_table('city_replica',
    sa.Column('county', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('schema_revision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('county', name=op.f('pk_city_replica'))
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for stmt in SETUP_TRIGGER:
            op.execute(stmt)


def downgrade() -> None:
    op.drop_table('city_replica')
