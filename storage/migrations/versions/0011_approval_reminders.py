"""approval.reminded_at, approval.next_reminder_at: when a pending approval's approvers were last reminded, and when
they are next (the approvals job claims each reminder by compare-and-set, so replicas send it once).

Reviewed by hand: two nullable columns, NULL for every existing row (a pending one is reminded
`APPROVAL_REMIND_AFTER` after it was asked for, as a new one). The new terminal state `expired` is a value of the
plain `state` string: no change to the table, nor to `uq_approval_live` (an expired request is not live).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-15 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_column("next_reminder_at")
        batch_op.drop_column("reminded_at")
