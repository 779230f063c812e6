import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from accounts.filters import SkillsFilter
from accounts.models import Industry
from core.api.filters import IdFilter
from feed.models import Follow
from search.filters import SearchQueryFilter
from startups.models import (
    Application,
    ApplicationStatus,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Save,
    Stage,
    Startup,
)


class StartupFilter(django_filters.FilterSet):
    industry = django_filters.MultipleChoiceFilter(choices=Industry.choices)
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices)
    skills = SkillsFilter(field_name="skills", help_text="Comma-separated; all must match.")
    location = django_filters.CharFilter(lookup_expr="icontains", max_length=120)
    remote = django_filters.BooleanFilter(field_name="remote_friendly")
    owner = IdFilter(field_name="owner_id")
    followed_by = IdFilter(method="filter_followed_by", help_text="Startups this user follows.")
    search = SearchQueryFilter()

    class Meta:
        model = Startup
        fields = [
            "industry",
            "stage",
            "skills",
            "location",
            "remote",
            "owner",
            "followed_by",
            "search",
        ]

    def filter_followed_by(self, qs: QuerySet, name: str, value: int) -> QuerySet:  # type: ignore[type-arg]
        follows = Follow.objects.filter(
            follower_id=value, target_type=ContentType.objects.get_for_model(Startup)
        )
        return qs.filter(pk__in=follows.values("target_id"))


class OpportunityFilter(django_filters.FilterSet):
    skills = SkillsFilter(field_name="skills", help_text="Comma-separated; all must match.")
    kind = django_filters.MultipleChoiceFilter(choices=OpportunityKind.choices)
    remote = django_filters.BooleanFilter()
    startup = IdFilter(field_name="startup_id")
    status = django_filters.ChoiceFilter(
        choices=[*OpportunityStatus.choices, ("any", "Any")],
        method="filter_status",
        help_text="Defaults to `open`; `any` lists closed ones too.",
    )
    search = SearchQueryFilter()

    class Meta:
        model = Opportunity
        fields = ["skills", "kind", "remote", "startup", "status", "search"]

    @classmethod
    def unfiltered(cls, queryset: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        """The list when no status is asked for: the open ones."""
        return queryset.filter(status=OpportunityStatus.OPEN)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        if not self.form.cleaned_data.get("status"):
            queryset = self.unfiltered(queryset)
        return super().filter_queryset(queryset)

    def filter_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:  # type: ignore[type-arg]
        return qs if value == "any" else qs.filter(status=value)


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    opportunity = IdFilter(field_name="opportunity_id")
    role = django_filters.ChoiceFilter(
        choices=[("applicant", "Mine as applicant"), ("owner", "To my startups")],
        method="filter_role",
        help_text="`applicant`: applications I made; `owner`: applications to my startups.",
    )

    class Meta:
        model = Application
        fields = ["status", "opportunity", "role"]

    def filter_role(self, qs: QuerySet, name: str, value: str) -> QuerySet:  # type: ignore[type-arg]
        user = self.request.user if self.request else None
        if value == "applicant":
            return qs.filter(applicant=user)
        return qs.filter(opportunity__startup__owner=user)


class SaveFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        choices=[("startup", "Startups"), ("opportunity", "Opportunities")],
        method="filter_type",
    )

    class Meta:
        model = Save
        fields = ["type"]

    def filter_type(self, qs: QuerySet, name: str, value: str) -> QuerySet:  # type: ignore[type-arg]
        return qs.filter(startup__isnull=value != "startup")
