"""outbox_message.team_id and .channel_id: a post owed to a channel rather than a watch's thread (the daily digest),
owed once per `(team_id, channel_id, fingerprint)`; `watch_id` becomes optional.

Reviewed by hand: the new unique constraint leaves every existing row alone (their channel is NULL, and NULLs are
distinct on both databases); the downgrade first drops the channel posts, which have no watch to belong to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 11:26:17
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("channel_id", sa.String(), nullable=True))
        batch_op.alter_column("watch_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_unique_constraint(
            "uq_outbox_message_team_id_channel_id_fingerprint", ["team_id", "channel_id", "fingerprint"]
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM outbox_message WHERE watch_id IS NULL"))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_message_team_id_channel_id_fingerprint", type_="unique")
        batch_op.alter_column("watch_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("channel_id")
        batch_op.drop_column("team_id")
