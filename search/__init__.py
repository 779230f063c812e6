"""Full-text search: the engine (PostgreSQL FTS, an indexed SQLite fallback), its API (the
``?search=`` filter, the one search box) and ``manage.py search_rebuild``; apps register what
of theirs is searchable (``accounts.search``, ``startups.search``). ``search.engine`` says
where each part lives."""
