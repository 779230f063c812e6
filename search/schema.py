"""The index structures in the database: ``SearchIndexOperation`` (used in the apps'
migrations) builds or drops one with the backend of the database in use; ``before_migrate`` /
``after_migrate`` (``migrate``'s signals, connected by ``SearchConfig``) let the backend keep
its triggers across the migrations of a run; ``rebuild`` re-derives an index from its rows."""

from typing import Any

from django.db import connection, connections, migrations

from search.backends import backend_for
from search.indexes import SearchIndex, registered


class SearchIndexOperation(migrations.operations.base.Operation):
    """Builds (or drops, when unapplied) a ``SearchIndex`` for the database in use; with
    ``drop=True`` the other way round. An index changes by dropping its old definition and
    building the new one (two operations), which refills it from the rows."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, index: SearchIndex, *, drop: bool = False) -> None:
        self.index = index
        self.drop = drop

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.index], {"drop": True} if self.drop else {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _run(self, schema_editor: Any, create: bool) -> None:
        backend = backend_for(schema_editor.connection.vendor)
        statements = backend.create_sql(self.index) if create else backend.drop_sql(self.index)
        for statement in statements:
            schema_editor.execute(statement, params=None)

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run(schema_editor, create=not self.drop)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run(schema_editor, create=self.drop)
        if self.drop:
            # Migrating back restores an older definition than the code's, which
            # ``after_migrate`` leaves alone: make it work now.
            backend = backend_for(schema_editor.connection.vendor)
            for statement in backend.restore_sql(self.index):
                schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return f"{'Drop' if self.drop else 'Build'} the search index on {self.index.table}"


class SkillsTriggersOperation(migrations.operations.base.Operation):
    """Makes again, as the code defines them, the triggers that re-index an index's rows when
    they gain or lose skills (PostgreSQL; SQLite makes its triggers again on every
    ``migrate``). Unapplied, it leaves them: they serve the older definitions as well."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.index], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        for statement in backend_for(schema_editor.connection.vendor).skills_triggers_sql(
            self.index
        ):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        pass

    def describe(self) -> str:
        return f"Make again the skills triggers of the search index on {self.index.table}"


def before_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """Before migrations run: SQLite drops the search triggers (they would block or be lost
    with a table rebuild); ``after_migrate`` puts them back."""
    if plan:
        db = connections[using]
        backend_for(db.vendor).before_migrate(db, registered())


def after_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """After migrations ran: SQLite re-creates the search triggers and rebuilds the indexes
    from the rows (the migrations may have rewritten them without the triggers)."""
    if plan:
        db = connections[using]
        backend_for(db.vendor).after_migrate(db, registered())


def rebuild(index: SearchIndex) -> None:
    """Re-derive the index from the rows (``manage.py search_rebuild``)."""
    with connection.cursor() as cursor:
        for statement in backend_for(connection.vendor).rebuild_sql(index):
            cursor.execute(statement)
