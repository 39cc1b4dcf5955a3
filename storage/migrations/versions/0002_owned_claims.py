"""Owned claims: approvals get a lease, a check schedule and the version their card shows; one live
approval per target by a partial unique index; external ids may repeat (a retry reuses its
failed approval's); outbox rows get a claim token, a claim deadline and an "uncertain" flag.

Reviewed by hand: SQLite needs batch mode to drop the external id's unique constraint; the new
partial index has the same WHERE on both databases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE_APPROVAL = sa.text("state IN ('pending', 'submitting', 'submitted')")


def upgrade() -> None:
    with op.batch_alter_table("approval") as batch:
        batch.drop_constraint("uq_approval_external_id", type_="unique")
        batch.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("called_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("shown_version", sa.Integer(), nullable=True))
        batch.create_index("ix_approval_external_id", ["external_id"], unique=False)
        batch.create_index(
            "uq_approval_live",
            ["kind", "backend", "target_id"],
            unique=True,
            sqlite_where=_LIVE_APPROVAL,
            postgresql_where=_LIVE_APPROVAL,
        )
    with op.batch_alter_table("approval") as batch:
        batch.alter_column("checks", server_default=None)

    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("uncertain", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column("uncertain", server_default=None)
    # A row a sender of the previous version left "sending" may have been posted: look before posting it again.
    op.execute(sa.text("UPDATE outbox_message SET uncertain = true WHERE status = 'sending'"))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("uncertain")
        batch.drop_column("claimed_until")
        batch.drop_column("claim_token")
    with op.batch_alter_table("approval") as batch:
        batch.drop_index("uq_approval_live")
        batch.drop_index("ix_approval_external_id")
        batch.drop_column("shown_version")
        batch.drop_column("checks")
        batch.drop_column("next_check_at")
        batch.drop_column("called_at")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.create_unique_constraint("uq_approval_external_id", ["external_id"])
