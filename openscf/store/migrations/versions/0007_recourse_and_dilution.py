"""Recourse and dilution: a program's recourse terms; the credits an anchor holds against a
supplier after dilution; disputes on a supplier's invoices.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ROWLESS = {'sqlite_with_rowid': False}


def upgrade() -> None:
    with op.batch_alter_table('programs') as batch:
        batch.add_column(sa.Column('recourse', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('recourse_days', sa.Integer(), server_default='0',
                                   nullable=False))
    op.create_table(
        'credits',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('program_id', sa.String(length=80), nullable=False),
        sa.Column('anchor_id', sa.String(length=80), nullable=False),
        sa.Column('supplier_id', sa.String(length=80), nullable=False),
        sa.Column('invoice_id', sa.String(length=80), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('reference', sa.String(length=80), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('open_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint('open_minor >= 0 AND open_minor <= amount_minor',
                           name=op.f('ck_credits_open_within')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credits')),
        **ROWLESS,
    )
    op.create_index('ix_credits_program_supplier', 'credits', ['program_id', 'supplier_id'])
    op.create_table(
        'disputes',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('program_id', sa.String(length=80), nullable=False),
        sa.Column('anchor_id', sa.String(length=80), nullable=False),
        sa.Column('supplier_id', sa.String(length=80), nullable=False),
        sa.Column('invoice_number', sa.String(length=64), nullable=False),
        sa.Column('number_key', sa.String(length=64), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('invoice_id', sa.String(length=80), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('agreed_minor', sa.BigInteger(), nullable=False),
        sa.Column('credit_id', sa.String(length=80), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
        **ROWLESS,
    )
    op.create_index('ix_disputes_number', 'disputes', ['anchor_id', 'supplier_id', 'number_key'])


def downgrade() -> None:
    op.drop_index('ix_disputes_number', table_name='disputes')
    op.drop_table('disputes')
    op.drop_index('ix_credits_program_supplier', table_name='credits')
    op.drop_table('credits')
    with op.batch_alter_table('programs') as batch:
        batch.drop_column('recourse_days')
        batch.drop_column('recourse')
