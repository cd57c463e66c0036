"""Risk decisions on the log: registered risk models (and their artefacts, kept beside the
log), recorded decisions, fraud flags that hold an invoice back.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ROWLESS = {'sqlite_with_rowid': False}


def upgrade() -> None:
    op.create_table(
        'risk_models',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.Column('feature_names', sa.Text(), nullable=False),
        sa.Column('registered_on', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_models')),
        **ROWLESS,
    )
    op.create_table(
        'risk_decisions',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('subject_kind', sa.String(length=16), nullable=False),
        sa.Column('org_id', sa.String(length=80), nullable=False),
        sa.Column('program_id', sa.String(length=80), nullable=True),
        sa.Column('invoice_number', sa.String(length=64), nullable=True),
        sa.Column('receivable_id', sa.String(length=80), nullable=True),
        sa.Column('model_id', sa.String(length=80), nullable=False),
        sa.Column('model_sha256', sa.String(length=64), nullable=False),
        sa.Column('features_sha256', sa.String(length=64), nullable=False),
        sa.Column('features', sa.Text(), nullable=False),
        sa.Column('output', sa.Text(), nullable=False),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_decisions')),
        **ROWLESS,
    )
    op.create_index('ix_risk_decisions_org', 'risk_decisions', ['org_id'])
    op.create_index('ix_risk_decisions_receivable', 'risk_decisions', ['receivable_id'])
    op.create_table(
        'fraud_flags',
        sa.Column('id', sa.String(length=80), nullable=False),
        sa.Column('program_id', sa.String(length=80), nullable=False),
        sa.Column('anchor_id', sa.String(length=80), nullable=False),
        sa.Column('supplier_id', sa.String(length=80), nullable=False),
        sa.Column('invoice_number', sa.String(length=64), nullable=False),
        sa.Column('number_key', sa.String(length=64), nullable=False),
        sa.Column('invoice_id', sa.String(length=80), nullable=True),
        sa.Column('receivable_id', sa.String(length=80), nullable=True),
        sa.Column('detector_id', sa.String(length=64), nullable=False),
        sa.Column('evidence', sa.String(length=500), nullable=False),
        sa.Column('evidence_sha256', sa.String(length=64), nullable=False),
        sa.Column('decision_id', sa.String(length=80), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('raised_by', sa.String(length=80), nullable=False),
        sa.Column('raised_on', sa.Date(), nullable=False),
        sa.Column('cleared_by', sa.String(length=80), nullable=True),
        sa.Column('clear_reason', sa.String(length=200), nullable=True),
        sa.Column('cleared_on', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_flags')),
        **ROWLESS,
    )
    op.create_index(
        'ix_fraud_flags_number', 'fraud_flags', ['anchor_id', 'supplier_id', 'number_key']
    )
    op.create_index('ix_fraud_flags_status', 'fraud_flags', ['status'])
    op.create_table(
        'risk_model_artefacts',
        sa.Column('model_id', sa.String(length=80), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('model_id', name=op.f('pk_risk_model_artefacts')),
        **ROWLESS,
    )


def downgrade() -> None:
    op.drop_table('risk_model_artefacts')
    op.drop_index('ix_fraud_flags_status', table_name='fraud_flags')
    op.drop_index('ix_fraud_flags_number', table_name='fraud_flags')
    op.drop_table('fraud_flags')
    op.drop_index('ix_risk_decisions_receivable', table_name='risk_decisions')
    op.drop_index('ix_risk_decisions_org', table_name='risk_decisions')
    op.drop_table('risk_decisions')
    op.drop_table('risk_models')
