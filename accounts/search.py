"""People search: name (A), headline and skills (B), bio and location (C).

The engine is ``search.engine``; ``startups.search`` is the one place the rest of the
platform searches from, and re-exports ``search_people``.
"""

from typing import Any

from django.db.models import QuerySet

from search import engine

PEOPLE = engine.register(
    engine.SearchIndex(
        table="accounts_user",
        columns=(
            ("name", "A"),
            ("headline", "B"),
            ("skills", "B"),
            ("bio", "C"),
            ("location", "C"),
        ),
        name_column="name",
        skills=engine.SkillsSource(through="accounts_user_skills", column="user_id"),
    )
)


def search_people(queryset: QuerySet[Any], query: str) -> engine.SearchResults:
    return engine.search(PEOPLE, queryset, query)
