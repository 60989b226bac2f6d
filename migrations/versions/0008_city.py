"""the city database (docs/city.md): trusted county keys, each county's loaded events, the projects
and monthly figures their replay gives, and the signed head of each county's newest bundle

A county's database has these tables too, empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:39:40.915698
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel.sql.sqltypes.AutoString and UTCDateTime
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('city_county',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('projects', sa.Integer(), nullable=False),
    sa.Column('ledger_entries', sa.Integer(), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('signed', sa.Text(), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('loaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('loaded_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_city_county'))
    )
    op.create_table('city_event',
    sa.Column('county', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('project_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('from_stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('to_stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('county', 'id', name=op.f('pk_city_event'))
    )
    op.create_table('city_figure',
    sa.Column('county', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('county', 'month', name=op.f('pk_city_figure'))
    )
    op.create_table('city_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_key')),
    sa.UniqueConstraint('county', 'public_key', name=op.f('uq_city_key_county_public_key'))
    )
    with op.batch_alter_table('city_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_key_county'), ['county'], unique=False)

    op.create_table('city_project',
    sa.Column('county', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('investor', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('unit_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('key', sa.Boolean(), nullable=False),
    sa.Column('planned_investment_minor', sa.BigInteger(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('head_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('county', 'code', name=op.f('pk_city_project'))
    )


def downgrade() -> None:
    op.drop_table('city_project')
    with op.batch_alter_table('city_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_key_county'))

    op.drop_table('city_key')
    op.drop_table('city_figure')
    op.drop_table('city_event')
    op.drop_table('city_county')
