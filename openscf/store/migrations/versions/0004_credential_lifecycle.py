"""Credential lifecycle: where sessions and keys came from, disabled users, login
throttles, the security audit trail of credentials (issue 10)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_keys', sa.Column('origin_key_id', sa.String(length=80), nullable=True))
    op.create_index(op.f('ix_api_keys_origin_key_id'), 'api_keys', ['origin_key_id'],
                    unique=False)
    op.add_column('auth_sessions', sa.Column('api_key_id', sa.String(length=80),
                                             nullable=True))
    op.add_column('auth_sessions', sa.Column('address', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_auth_sessions_api_key_id'), 'auth_sessions', ['api_key_id'],
                    unique=False)
    op.create_table('disabled_users',
    sa.Column('user_id', sa.String(length=80), nullable=False),
    sa.Column('org_id', sa.String(length=80), nullable=False),
    sa.Column('disabled_by', sa.String(length=80), nullable=False),
    sa.Column('disabled_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_disabled_users')),
    sqlite_with_rowid=False
    )
    op.create_table('login_throttles',
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.String(length=32), nullable=False),
    sa.Column('locked_until', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_login_throttles')),
    sqlite_with_rowid=False
    )
    op.create_table('auth_events',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('occurred_at', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=80), nullable=True),
    sa.Column('user_id', sa.String(length=80), nullable=True),
    sa.Column('actor_id', sa.String(length=80), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('login', sa.String(length=64), nullable=True),
    sa.Column('credential_id', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_events')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_auth_events_org_id'), 'auth_events', ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_auth_events_org_id'), table_name='auth_events')
    op.drop_table('auth_events')
    op.drop_table('login_throttles')
    op.drop_table('disabled_users')
    with op.batch_alter_table('auth_sessions') as batch:
        batch.drop_index(batch.f('ix_auth_sessions_api_key_id'))
        batch.drop_column('address')
        batch.drop_column('api_key_id')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_index(batch.f('ix_api_keys_origin_key_id'))
        batch.drop_column('origin_key_id')
