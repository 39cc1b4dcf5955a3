"""Persistence: SQLModel tables, engines and sessions, migrations, and the crud functions the bot uses.

- ``storage.db``: ``make_engine(url)``, ``session_scope(engine)``
- ``storage.migrate``: ``upgrade(url)``, ``current(url)``, ``downgrade(url, revision)``
- ``storage.models`` / ``storage.enums``: tables and the values of their string columns
- ``storage.crud``: keyword-only functions taking ``session=``
- ``storage.digest``: canonical JSON digest of an order view
"""
