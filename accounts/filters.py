from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from accounts.models import Role, User, skill_normalise
from search.filters import SearchQueryFilter

MAX_FILTER_SKILLS = 10


class SkillListField(forms.CharField):
    def clean(self, value: Any) -> list[str]:
        value = super().clean(value)
        if not value:
            return []
        names = sorted({skill_normalise(name) for name in value.split(",")} - {""})
        if len(names) > MAX_FILTER_SKILLS:
            raise forms.ValidationError(f"Filter by at most {MAX_FILTER_SKILLS} skills.")
        return names


class SkillsFilter(django_filters.Filter):
    """``?skills=python,django``: items having *all* of the listed skills (case-insensitive)."""

    field_class = SkillListField

    def filter(self, qs: QuerySet[Any], value: list[str]) -> QuerySet[Any]:
        for name in value:
            qs = qs.filter(**{f"{self.field_name}__name": name})
        return qs


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    skills = SkillsFilter(
        field_name="skills", help_text="Comma-separated skill names; all must match."
    )
    search = SearchQueryFilter()

    class Meta:
        model = User
        fields = ["role", "skills", "search"]
