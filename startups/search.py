"""Search for startups, opportunities and people, on PostgreSQL or SQLite alike.

The backend follows the database in use (``get_search_backend_info()`` says which, and how);
``search.engine`` holds the engine: the indexes the migrations build, query parsing, the
ranking and the snippets. Each function takes the queryset to search within (already
filtered) and returns the matches in relevance order, each with ``search_score`` and
``search_snippet``; a paginator slices them and only the page's rows are loaded.
"""

from typing import Any

from django.db.models import QuerySet

from accounts.search import PEOPLE, search_people
from search import engine

STARTUPS = engine.register(
    engine.SearchIndex(
        table="startups_startup",
        columns=(
            ("name", "A"),
            ("tagline", "B"),
            ("industry", "B"),
            ("skills", "B"),
            ("description", "C"),
        ),
        name_column="name",
        skills=engine.SkillsSource(through="startups_startup_skills", column="startup_id"),
    )
)
OPPORTUNITIES = engine.register(
    engine.SearchIndex(
        table="startups_opportunity",
        columns=(("title", "A"), ("skills", "B"), ("description", "C")),
        name_column="title",
        skills=engine.SkillsSource(through="startups_opportunity_skills", column="opportunity_id"),
    )
)

__all__ = [
    "OPPORTUNITIES",
    "PEOPLE",
    "STARTUPS",
    "get_search_backend_info",
    "search_opportunities",
    "search_people",
    "search_startups",
]


def get_search_backend_info() -> dict[str, Any]:
    """``{"backend": "postgresql" | "sqlite", "fts_available": bool, "algorithms": [...]}``"""
    return engine.backend_info()


def search_startups(queryset: QuerySet[Any], query: str) -> engine.SearchResults:
    return engine.search(STARTUPS, queryset, query)


def search_opportunities(queryset: QuerySet[Any], query: str) -> engine.SearchResults:
    return engine.search(OPPORTUNITIES, queryset, query)
