"""`orange-bot audit`: the approvals audit trail as CSV on standard output."""

from __future__ import annotations

import csv
from typing import TextIO

from storage.crud import AUDIT_CSV_FIELDS, audit_rows
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

__all__ = ["write_csv"]


def write_csv(database_url: str, out: TextIO) -> int:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            rows = audit_rows(session=session)
    finally:
        engine.dispose()
    writer = csv.DictWriter(out, fieldnames=list(AUDIT_CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return 0
