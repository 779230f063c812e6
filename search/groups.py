"""What the one search box (``GET search/``) searches: each app registers its groups
(``search_group_register``, from its ``search.py``) -- the index, the rows a viewer may find
and how they are shown -- and the box answers them in ``position`` order."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.serializers import BaseSerializer

from search.indexes import SearchIndex


@dataclass(frozen=True)
class SearchGroup:
    name: str  # the key in the response and a value of ``?type=``
    index: SearchIndex
    queryset: Callable[[Any], QuerySet[Any]]  # the rows searched, for a viewer (request.user)
    serializer: type[BaseSerializer]
    position: int  # the groups' order in the response and in the ``type`` choices


_groups: dict[str, SearchGroup] = {}


def search_group_register(
    *,
    name: str,
    index: SearchIndex,
    queryset: Callable[[Any], QuerySet[Any]],
    serializer: type[BaseSerializer],
    position: int,
) -> SearchGroup:
    group = SearchGroup(name, index, queryset, serializer, position)
    _groups[name] = group
    return group


def search_group_list() -> list[SearchGroup]:
    """The registered groups, in ``position`` order."""
    return sorted(_groups.values(), key=lambda group: group.position)
