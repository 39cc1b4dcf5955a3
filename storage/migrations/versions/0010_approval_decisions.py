"""approval_decision: each approver's Approve of an approval that needs two people (`APPROVAL_TWO_PEOPLE_ABOVE`);
channel_settings.approvers: the user group that decides a channel's approvals.

Reviewed by hand: a new table, empty (approvals pending before it need one person, as they did); a column with
the default `default` for every existing channel (the workspace's approvers, as before).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-19 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_decision",
        sa.Column("approval_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approval.id"],
            name=op.f("fk_approval_decision_approval_id_approval"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("approval_id", "user_id", name=op.f("pk_approval_decision")),
    )
    with op.batch_alter_table("channel_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approvers", sa.String(), nullable=False, server_default="default"))


def downgrade() -> None:
    with op.batch_alter_table("channel_settings", schema=None) as batch_op:
        batch_op.drop_column("approvers")
    op.drop_table("approval_decision")
