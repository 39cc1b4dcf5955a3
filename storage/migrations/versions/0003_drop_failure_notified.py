"""Drop watch.failure_notified: never read (a polling notice is decided by its fingerprint, once per streak).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch") as batch:
        batch.drop_column("failure_notified")


def downgrade() -> None:
    with op.batch_alter_table("watch") as batch:
        batch.add_column(sa.Column("failure_notified", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("watch") as batch:
        batch.alter_column("failure_notified", server_default=None)
