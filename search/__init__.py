"""Full-text search: the engine (PostgreSQL FTS, an indexed SQLite fallback) and its API
filter; apps register what of theirs is searchable (``accounts.search``, ``startups.search``)."""
