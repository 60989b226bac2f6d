"""the ledger's place in the write order: ``ledger.after_event``, where checkpoints fold each
set-up ledger entry (period closes, unit and user edits) into their digest of history

The column is added in place (no table copy), so the append-only triggers on ``ledger`` stay.
Entries appended before this revision keep NULL: they are verified by the ledger chain but not
folded into checkpoint digests, so digests taken before the upgrade still verify.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('ledger', sa.Column('after_event', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('ledger', 'after_event')  # in place as well (SQLite 3.35+): the triggers stay
