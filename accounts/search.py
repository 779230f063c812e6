"""People search: name (A), headline and skills (B), bio and location (C); the "people"
group of the one search box (active users, their public profile).

The engine is ``search.engine``; ``startups.search`` is the one place the rest of the
platform searches from, and re-exports ``search_people``.
"""

from typing import Any

from django.db.models import QuerySet

from accounts.selectors import user_list
from accounts.serializers import UserSerializer
from search import engine
from search.groups import search_group_register
from search.indexes import SearchIndex, SkillsSource, register
from search.results import SearchResults

PEOPLE = register(
    SearchIndex(
        table="accounts_user",
        columns=(
            ("name", "A"),
            ("headline", "B"),
            ("skills", "B"),
            ("bio", "C"),
            ("location", "C"),
        ),
        name_column="name",
        skills=SkillsSource(through="accounts_user_skills", column="user_id"),
    )
)
search_group_register(
    name="people",
    index=PEOPLE,
    queryset=lambda viewer: user_list(),
    serializer=UserSerializer,
    position=30,
)


def search_people(queryset: QuerySet[Any], query: str) -> SearchResults:
    return engine.search(PEOPLE, queryset, query)
