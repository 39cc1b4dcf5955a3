from __future__ import annotations

import subprocess
import sys
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, inspect
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import storage.models  # noqa: F401  # the tables
from storage import migrate
from storage.db import make_engine

TABLES = {
    "watch",
    "order_snapshot",
    "outbox_message",
    "approval",
    "audit_event",
    "processed_delivery",
    "subscription",
    "subscription_order",
    "hub_registration",
    "digest_schedule",
    "poll_walk",
    "backend_outage",
    "channel_settings",
    "approval_decision",
    "order_history",
    "report_schedule",
}


def _inspect_tables(url: str) -> set[str]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    assert migrate.current(db_url) is None

    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head() == "0012"
    assert _inspect_tables(db_url) == TABLES | {"alembic_version"}

    migrate.downgrade(db_url, "base")
    assert migrate.current(db_url) is None
    assert _inspect_tables(db_url) <= {"alembic_version"}

    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head()
    assert _inspect_tables(db_url) == TABLES | {"alembic_version"}


def test_schema_details(engine: Engine) -> None:
    inspector = inspect(engine)
    dialect = engine.dialect.name

    watch_indexes = {index["name"]: index for index in inspector.get_indexes("watch")}
    live = watch_indexes["uq_watch_live"]
    assert live["unique"]
    assert live["column_names"] == ["team_id", "channel_id", "kind", "backend", "order_id"]
    where = live.get("dialect_options", {}).get(f"{dialect}_where")
    assert where is not None and "ended_at IS NULL" in str(where).replace("(", "").replace(")", "")
    assert "ix_watch_due" in watch_indexes

    outbox_uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("outbox_message")}
    assert outbox_uniques["uq_outbox_message_watch_id_fingerprint"] == ["watch_id", "fingerprint"]
    outbox_indexes = {index["name"]: index["column_names"] for index in inspector.get_indexes("outbox_message")}
    assert outbox_indexes["ix_outbox_message_status_next_attempt_at"] == ["status", "next_attempt_at"]
    assert inspector.get_pk_constraint("backend_outage")["constrained_columns"] == ["backend"]
    assert {u["name"] for u in inspector.get_unique_constraints("approval")} == set()
    approval_indexes = {index["name"]: index for index in inspector.get_indexes("approval")}
    assert approval_indexes["uq_approval_live"]["unique"]
    assert approval_indexes["uq_approval_live"]["column_names"] == ["kind", "backend", "target_id"]
    assert not approval_indexes["ix_approval_external_id"]["unique"]

    fks = {fk["name"]: fk for fk in inspector.get_foreign_keys("order_snapshot")}
    assert fks["fk_order_snapshot_watch_id_watch"]["options"].get("ondelete") == "CASCADE"

    if dialect == "postgresql":
        with engine.connect() as connection:
            types = dict(
                connection.exec_driver_sql(
                    "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema()"
                ).all()
            )
        assert types["watch.created_at"] == "timestamp with time zone"
        assert types["approval.decided_at"] == "timestamp with time zone"
        assert types["approval.card_redraw_at"] == "timestamp with time zone"
        assert types["approval.next_reminder_at"] == "timestamp with time zone"
        assert types["order_snapshot.view"] == "jsonb"
        assert types["outbox_message.payload"] == "jsonb"
        assert types["watch.id"] == "uuid"


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_upgrade_an_in_memory_engine() -> None:
    engine = make_engine("sqlite://")
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_drift_is_detected(engine: Engine) -> None:
    """The sync check above can fail: a column the migrations lack shows up as a diff."""
    drifted = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["watch"].append_column(Column("extra", String()))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, drifted)
    assert [(d[0], d[3].name) for d in diff] == [("add_column", "extra")]


def test_replicas_upgrading_at_once(db_url: str) -> None:
    """Processes starting together against one database: one migrates, the others find it done."""
    script = "import sys; from storage import migrate; migrate.upgrade(sys.argv[1])"
    replicas = [subprocess.Popen([sys.executable, "-c", script, db_url]) for _ in range(2)]
    assert [replica.wait(timeout=60) for replica in replicas] == [0, 0]
    assert migrate.current(db_url) == migrate.head()
    assert _inspect_tables(db_url) == TABLES | {"alembic_version"}


def test_upgrade_from_threads_is_serialised(db_url: str, concurrently: Any) -> None:
    """Alembic keeps its context in a module global; storage.migrate takes turns for threads."""
    concurrently(3, lambda _: migrate.upgrade(db_url))
    assert migrate.current(db_url) == migrate.head()
