from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from search.groups import search_group_list
from search.parser import MAX_QUERY_LENGTH


class SearchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """``search_score`` and ``search_snippet`` (HTML-escaped, matches in ``<mark>``): set on
    ranked search results, null otherwise."""

    search_score = serializers.SerializerMethodField()
    search_snippet = serializers.SerializerMethodField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_search_score(self, obj: Any) -> float | None:
        return getattr(obj, "search_score", None)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_search_snippet(self, obj: Any) -> str | None:
        return getattr(obj, "search_snippet", None)


SEARCH_RESULT_FIELDS = ["search_score", "search_snippet"]


class SearchInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        allow_blank=True,
        trim_whitespace=False,
        help_text='Words, "a phrase", `or`, `-excluded`; the last word matches as a prefix.',
    )
    type = serializers.MultipleChoiceField(
        choices=[], required=False, help_text="Only these groups (repeatable)."
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=50, default=5, help_text="Results per group (5)."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The groups the apps registered (in their ready()), not known when this class is.
        choices = [group.name for group in search_group_list()]
        cast(serializers.MultipleChoiceField, self.fields["type"]).choices = choices


class SearchGroupSerializer(serializers.Serializer):  # type: ignore[type-arg]
    count = serializers.IntegerField(help_text="All matches (at most 500).")
    results = serializers.ListField(child=serializers.DictField())


class SearchOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    query = serializers.CharField()
    results = serializers.DictField(child=SearchGroupSerializer())
