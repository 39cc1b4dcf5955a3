"""order_snapshot.source_digest and .state: a poll that finds the order's answer unchanged stops there; poll_walk:
replicas walk a summary list (carrier, business) once between them.

`source_digest` is the digest of the order exactly as the backend last listed it (its JSON, keys sorted); a list
entry with the same digest is the same order, so no model is built, nothing is diffed and nothing is written.
`state` is the snapshot's order state, so a summary list (carrier, business) is compared without reading the
stored view. Both are NULL until the next poll writes them (that poll takes the full path once).
`poll_walk` holds, per backend, the replica walking its list this cycle and until when. `ix_watch_due` gets `id`
after `next_poll_at`, the claim's ORDER BY: with many watches due at once (all NULL after a restart, say) a claim
of 500 read the whole due set to sort it by id; now it reads 500 index entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_snapshot") as batch:
        batch.add_column(sa.Column("source_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("state", sa.String(length=64), nullable=True))
    op.drop_index("ix_watch_due", table_name="watch")
    op.create_index(
        "ix_watch_due",
        "watch",
        ["next_poll_at", "id"],
        unique=False,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "poll_walk",
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("backend"),
    )


def downgrade() -> None:
    op.drop_table("poll_walk")
    op.drop_index("ix_watch_due", table_name="watch")
    op.create_index(
        "ix_watch_due",
        "watch",
        ["next_poll_at"],
        unique=False,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    with op.batch_alter_table("order_snapshot") as batch:
        batch.drop_column("state")
        batch.drop_column("source_digest")
