"""Search for startups, opportunities and people, on PostgreSQL or SQLite alike.

The backend follows the database in use (``get_search_backend_info()`` says which, and how);
``search.engine`` is the engine's entry point (its docstring says where the indexes, the
parser, the backends and the ranking live). Each function takes the queryset to search within
(already filtered) and returns the matches in relevance order, each with ``search_score`` and
``search_snippet``; a paginator slices them and only the page's rows are loaded.

This module also registers the "startups" and "opportunities" groups of the one search box
(``GET search/``; open opportunities only).
"""

from typing import Any

from django.db.models import QuerySet

from accounts.search import PEOPLE, search_people
from search import engine
from search.groups import search_group_register
from search.indexes import SearchIndex, SkillsSource, register
from search.results import SearchResults
from startups import selectors
from startups.models import OpportunityStatus
from startups.serializers import OpportunitySerializer, StartupSerializer

STARTUPS = register(
    SearchIndex(
        table="startups_startup",
        columns=(
            ("name", "A"),
            ("tagline", "B"),
            ("industry", "B"),
            ("skills", "B"),
            ("description", "C"),
        ),
        name_column="name",
        skills=SkillsSource(through="startups_startup_skills", column="startup_id"),
    )
)
OPPORTUNITIES = register(
    SearchIndex(
        table="startups_opportunity",
        columns=(("title", "A"), ("skills", "B"), ("description", "C")),
        name_column="title",
        skills=SkillsSource(through="startups_opportunity_skills", column="opportunity_id"),
    )
)
search_group_register(
    name="startups",
    index=STARTUPS,
    queryset=lambda viewer: selectors.startup_list(viewer=viewer),
    serializer=StartupSerializer,
    position=10,
)
search_group_register(
    name="opportunities",
    index=OPPORTUNITIES,
    queryset=lambda viewer: selectors.opportunity_list(viewer=viewer).filter(
        status=OpportunityStatus.OPEN
    ),
    serializer=OpportunitySerializer,
    position=20,
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


def search_startups(queryset: QuerySet[Any], query: str) -> SearchResults:
    return engine.search(STARTUPS, queryset, query)


def search_opportunities(queryset: QuerySet[Any], query: str) -> SearchResults:
    return engine.search(OPPORTUNITIES, queryset, query)
