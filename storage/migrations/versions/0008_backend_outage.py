"""backend_outage: a backend found down, shared by the replicas so that each outage is announced once per channel.

Reviewed by hand: a new table, empty (an outage under way at upgrade is announced by the next failed list).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backend_outage",
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("backend", name=op.f("pk_backend_outage")),
    )


def downgrade() -> None:
    op.drop_table("backend_outage")
