"""Subscriptions (channel rules and the orders they dealt with), hub registrations, digest schedules; watches get
a kind (order or product), the time their state began, and the subscription that started them.

Reviewed by hand: existing watches are order watches (a server default while the column is added); the live-watch
index now includes the kind, with its partial WHERE on both databases, both ways.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:44:26.342154
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_schedule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("backend", sa.String(), nullable=True),
        sa.Column("at_time", sa.String(), nullable=False),
        sa.Column("tz", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_on", sa.String(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_schedule")),
    )
    with op.batch_alter_table("digest_schedule", schema=None) as batch_op:
        batch_op.create_index(
            "uq_digest_schedule_live",
            ["team_id", "channel_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "hub_registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("api", sa.String(), nullable=False),
        sa.Column("hub_id", sa.String(), nullable=True),
        sa.Column("secret_digest", sa.String(), nullable=False),
        sa.Column("query", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_registration")),
    )
    with op.batch_alter_table("hub_registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_registration_secret_digest"), ["secret_digest"], unique=False)
        batch_op.create_index(
            "uq_hub_registration_live",
            ["api"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(), nullable=False),
        sa.Column(
            "filters", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("errors_only", sa.Boolean(), nullable=False),
        sa.Column("include_existing", sa.Boolean(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(), nullable=True),
        sa.Column("next_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cap_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_due",
            ["next_scan_at"],
            unique=False,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index("uq_subscription_number", ["team_id", "channel_id", "number"], unique=True)

    op.create_table(
        "subscription_order",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_subscription_order_subscription_id_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "order_id", name=op.f("pk_subscription_order")),
    )
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="order"))
        batch_op.add_column(sa.Column("state_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("subscription_id", sa.Uuid(), nullable=True))
        batch_op.drop_index("uq_watch_live", sqlite_where=sa.text("ended_at IS NULL"))
        batch_op.create_index(
            "uq_watch_live",
            ["team_id", "channel_id", "kind", "backend", "order_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index(
            "ix_watch_subscription_id",
            ["subscription_id"],
            unique=False,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_watch_subscription_id_subscription"),
            "subscription",
            ["subscription_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("watch", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_watch_subscription_id_subscription"), type_="foreignkey")
        batch_op.drop_index(
            "ix_watch_subscription_id",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_watch_live", sqlite_where=sa.text("ended_at IS NULL"), postgresql_where=sa.text("ended_at IS NULL")
        )
        batch_op.create_index(
            "uq_watch_live",
            ["team_id", "channel_id", "backend", "order_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_column("subscription_id")
        batch_op.drop_column("state_since")
        batch_op.drop_column("kind")

    op.drop_table("subscription_order")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("uq_subscription_number")
        batch_op.drop_index(
            "ix_subscription_due",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.drop_table("subscription")
    with op.batch_alter_table("hub_registration", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_hub_registration_live",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_hub_registration_secret_digest"))

    op.drop_table("hub_registration")
    with op.batch_alter_table("digest_schedule", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_digest_schedule_live",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.drop_table("digest_schedule")
