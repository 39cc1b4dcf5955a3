"""A PostgreSQL schema of its own for one test, on the server `make test` sets up (`TEST_DATABASE_URL`).

with schema_url() as url:      # skips the test, saying why, when no server can be had
    engine = make_engine(url)
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.pool import NullPool

from storage.db import make_engine, normalize_url

PG_ENV = "TEST_DATABASE_URL"


@contextlib.contextmanager
def schema_url() -> Iterator[str]:
    """A database URL whose `search_path` is a new schema, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server for this run (`make test` sets one up)")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = normalize_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
