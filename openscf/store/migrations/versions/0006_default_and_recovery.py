"""When trade goes wrong: what each piece was paid and recovered, the default claim it
belongs to, whether an organisation was declared in default, and the claims themselves.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('default_claim_id', sa.String(length=80), nullable=True))
    with op.batch_alter_table('receivables') as batch:
        batch.add_column(sa.Column('paid_minor', sa.BigInteger(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('recovered_minor', sa.BigInteger(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('claim_id', sa.String(length=80), nullable=True))
        batch.create_index('ix_receivables_obligor_status', ['obligor_id', 'status'])
    # Pieces settled before this revision were paid their face.
    op.execute("UPDATE receivables SET paid_minor = face_minor WHERE status = 'settled'")
    op.create_table(
        'default_claims',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('obligor_id', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('declared_on', sa.Date(), nullable=False),
        sa.Column('piece_ids', sa.Text(), nullable=False),
        sa.Column('approval_id', sa.String(length=80), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('obligor_id'),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('default_claims')
    with op.batch_alter_table('receivables') as batch:
        batch.drop_index('ix_receivables_obligor_status')
        batch.drop_column('claim_id')
        batch.drop_column('recovered_minor')
        batch.drop_column('paid_minor')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('default_claim_id')
