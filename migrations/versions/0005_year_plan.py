"""yearly investment plans (年度计划投资): the year_plan table, derived from year_plan events

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-30 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel.sql.sqltypes.AutoString
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('year_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_year_plan_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_plan'))
    )
    with op.batch_alter_table('year_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_year_plan_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_year_plan_year'), ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('year_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_year_plan_year'))
        batch_op.drop_index(batch_op.f('ix_year_plan_project_id'))
    op.drop_table('year_plan')
