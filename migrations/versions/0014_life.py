"""a project's whole life (docs/usage.md): a login linked to the person it follows up as, contract
commitments and yearly actuals (履约), and attached files (a document's scan: its hash, name and size on the document row; on PostgreSQL the
bytes in ``attachment_blob``, on SQLite in a folder beside the database file)

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-06 07:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel.sql.sqltypes.AutoString and UTCDateTime
from alembic import op

revision: str = '0014'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_login', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('file_size', sa.BigInteger(), nullable=True))
    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('per_year', sa.BigInteger(), nullable=False),
    sa.Column('from_year', sa.Integer(), nullable=False),
    sa.Column('to_year', sa.Integer(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_commitment_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_project_id'), ['project_id'], unique=False)
    op.create_table('performance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_performance_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance'))
    )
    with op.batch_alter_table('performance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_year'), ['year'], unique=False)
    op.create_table('attachment_blob',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('stored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_blob'))
    )


def downgrade() -> None:
    op.drop_table('attachment_blob')
    op.drop_table('performance')
    op.drop_table('commitment')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('file_size')
        batch_op.drop_column('file_name')
        batch_op.drop_column('file_sha256')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('person_login')
