"""Separation of duties and custody (issue 10): who created each user, since when it
approves and who sponsored that grant; when each approval was requested; how many
approvers an organisation has and whether it switched custody off.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('approvers', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('custody_disabled', sa.Integer(), server_default='0',
                                   nullable=False))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('created_by', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('approver_since', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('approver_sponsors', sa.Text(), server_default='[]',
                                   nullable=False))
    with op.batch_alter_table('approvals') as batch:
        batch.add_column(sa.Column('requested_at', sa.String(length=32), nullable=True))
    # Existing checkers count as the organisation's approvers (their history predates the
    # rule; the auditor's replay recomputes all of this from the log).
    op.execute("UPDATE organisations SET approvers = (SELECT count(*) FROM users "
               "WHERE users.org_id = organisations.id "
               "AND users.permissions LIKE '%\"checker\"%')")


def downgrade() -> None:
    with op.batch_alter_table('approvals') as batch:
        batch.drop_column('requested_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('approver_sponsors')
        batch.drop_column('approver_since')
        batch.drop_column('created_by')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('custody_disabled')
        batch.drop_column('approvers')
