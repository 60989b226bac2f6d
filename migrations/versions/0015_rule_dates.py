"""leader-assignment rules take effect from a date (docs/rules.md): each version's first day; versions
saved before carry 0001-01-01 (in force on every date, as they were)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_on', sa.Date(), nullable=False, server_default='0001-01-01'))


def downgrade() -> None:
    with op.batch_alter_table('rule', schema=None) as batch_op:
        batch_op.drop_column('effective_on')
