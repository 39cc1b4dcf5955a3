"""Schema migrations, configured in code so an installed package needs no alembic.ini.

    upgrade("sqlite:///./orange-bot.db")          # what `orange-bot db upgrade` and start-up do
    current(url) == head()

Every function takes a URL or an Engine; an Engine is the only way into an in-memory SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from storage.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

# Alembic runs a command through module-level state (`alembic.context`): one at a time per process.
# Across processes, migrations/env.py locks the database instead.
_command_lock = threading.Lock()


def alembic_config() -> Config:
    """A Config pointing at our migrations, with no database yet (see `upgrade`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, "no migrations found"
    return revision


def upgrade(url: str | Engine, revision: str = "head") -> None:
    with _command_lock, _bound_config(url) as config:
        command.upgrade(config, revision)


def downgrade(url: str | Engine, revision: str) -> None:
    with _command_lock, _bound_config(url) as config:
        command.downgrade(config, revision)


def current(url: str | Engine) -> str | None:
    """The revision the database is at; None for an empty (never migrated) database."""
    engine = url if isinstance(url, Engine) else make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if engine is not url:
            engine.dispose()


@contextmanager
def _bound_config(url: str | Engine) -> Iterator[Config]:
    config = alembic_config()
    if isinstance(url, str):
        config.attributes["url"] = url
        yield config
        return
    with url.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction (SQLite ignores it inside one); see migrations/env.py.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            config.attributes["connection"] = connection
            yield config
        finally:
            if connection.in_transaction():
                connection.rollback()
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
