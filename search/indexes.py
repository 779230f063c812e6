"""What is searched: a ``SearchIndex`` per table (weighted text columns -- A: names,
B: taglines, industries, skills, C: descriptions -- and the column matched fuzzily), and the
registry of the indexes the apps' migrations build (``accounts.search``, ``startups.search``),
so ``migrate`` and ``search_rebuild`` can keep them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SkillsSource:
    """A row's skills (an M2M through table), indexed as one text column."""

    through: str  # e.g. "startups_opportunity_skills"
    column: str  # the through table's FK to the indexed row, e.g. "opportunity_id"


@dataclass(frozen=True)
class SearchIndex:
    table: str
    columns: tuple[tuple[str, str], ...]  # (column, weight); "skills" means the SkillsSource
    name_column: str  # matched fuzzily (trigrams) and shown when nothing else matched
    skills: SkillsSource | None = None

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    @property
    def trigram(self) -> str:
        return f"{self.table}_trigram"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def stored_columns(self) -> list[str]:
        return [name for name in self.column_names if name != "skills"]


_registry: dict[str, SearchIndex] = {}


def register(index: SearchIndex) -> SearchIndex:
    """Declare an index the app's migrations build, so ``migrate`` can keep its triggers."""
    _registry[index.table] = index
    return index


def registered() -> list[SearchIndex]:
    """Every registered index, in the order of registration."""
    return list(_registry.values())
