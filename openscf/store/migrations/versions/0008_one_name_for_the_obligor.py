"""One name per concept: an early-payment offer names the piece's obligor `obligor_id`, as
receivables and events do (it was `anchor_id`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:40:00.000000
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


# Renamed in place (SQLite 3.25+ and PostgreSQL both do it): a batch copy would rebuild
# the table and lose its WITHOUT ROWID layout on SQLite.
def upgrade() -> None:
    op.execute("ALTER TABLE early_payment_offers RENAME COLUMN anchor_id TO obligor_id")


def downgrade() -> None:
    op.execute("ALTER TABLE early_payment_offers RENAME COLUMN obligor_id TO anchor_id")
