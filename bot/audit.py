"""`orange-bot audit`: the approvals audit trail as CSV on standard output.

Safe on the live database of a running bot: a database at head is only read (a read-only unit of work, which on
SQLite in WAL mode never waits for the poll's writes); only one behind is migrated first.
"""

from __future__ import annotations

import csv
from typing import TextIO

from alembic.runtime.migration import MigrationContext
from sqlmodel import Session

from storage.crud import AUDIT_CSV_FIELDS, audit_rows
from storage.db import make_engine, run_unit
from storage.migrate import head, upgrade

__all__ = ["write_csv"]


def _revision(session: Session) -> str | None:
    return MigrationContext.configure(session.connection()).get_current_revision()


def write_csv(database_url: str, out: TextIO) -> int:
    engine = make_engine(database_url)
    try:
        if run_unit(engine, _revision, write=False) != head():
            upgrade(engine)
        rows = run_unit(engine, lambda s: audit_rows(session=s), write=False)
    finally:
        engine.dispose()
    writer = csv.DictWriter(out, fieldnames=list(AUDIT_CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return 0
