"""The search backends, one per database (``backend_for``): PostgreSQL full-text search,
SQLite FTS5, and a plain match where there is no full-text index."""

from search.backends.base import Backend
from search.backends.plain import PlainBackend
from search.backends.postgresql import PostgreSQLBackend
from search.backends.sqlite import SQLiteBackend, sqlite_fts5_available

POSTGRESQL = PostgreSQLBackend()
SQLITE = SQLiteBackend()
PLAIN = PlainBackend()


def backend_for(vendor: str) -> Backend:
    """The backend for a database (``connection.vendor``): the one place it is chosen."""
    if vendor == "postgresql":
        return POSTGRESQL
    if vendor == "sqlite" and sqlite_fts5_available():
        return SQLITE
    return PLAIN
