"""approval.card_redraw_at: when an approval's Slack card may be updated again after Slack answered `chat.update`
with 429 and a long `Retry-After`; until then the approvals job (and a click) leaves the card alone.

Reviewed by hand: a nullable column, NULL for every existing row (its card may be redrawn at once, as before).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_redraw_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_column("card_redraw_at")
