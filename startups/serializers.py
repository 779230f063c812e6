from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Industry
from accounts.serializers import UserSummarySerializer, skill_names_field, skill_names_read_field
from core.api.output import column_formatters, columns_output
from search.serializers import SEARCH_RESULT_FIELDS, SearchResultSerializer
from startups.models import (
    OPPORTUNITY_DETAIL_FIELDS,
    STARTUP_PROFILE_FIELDS,
    Application,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Save,
    Stage,
    Startup,
)

# --- Startups ---------------------------------------------------------------------------


class StartupSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Startup
        fields = ["id", "name", "slug", "tagline", "industry", "stage"]


class StartupSerializer(SearchResultSerializer, serializers.ModelSerializer):  # type: ignore[type-arg]
    owner = UserSummarySerializer(read_only=True)
    skills = skill_names_read_field()
    open_opportunities_count = serializers.IntegerField(read_only=True)
    is_saved = serializers.BooleanField(read_only=True)
    followers_count = serializers.IntegerField(read_only=True)
    is_following = serializers.BooleanField(read_only=True)

    class Meta:
        model = Startup
        fields = [
            "id",
            "owner",
            *STARTUP_PROFILE_FIELDS,
            "open_opportunities_count",
            "is_saved",
            "followers_count",
            "is_following",
            "created_at",
            "updated_at",
            *SEARCH_RESULT_FIELDS,
        ]


class StartupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    tagline = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    industry = serializers.ChoiceField(choices=Industry.choices)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    location = serializers.CharField(max_length=120, required=False, allow_blank=True)
    remote_friendly = serializers.BooleanField(required=False)
    website = serializers.URLField(max_length=300, required=False, allow_blank=True)
    founded_on = serializers.DateField(required=False, allow_null=True)
    team_size = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    skills = skill_names_field()
    funding_raised = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    monthly_active_users = serializers.IntegerField(
        min_value=0, max_value=10**12, required=False, allow_null=True
    )
    monthly_revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    growth_rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal(-100),
        max_value=Decimal(10000),
        required=False,
        allow_null=True,
        help_text="Month-over-month growth in percent.",
    )


# --- Opportunities ------------------------------------------------------------------------


class OpportunitySerializer(SearchResultSerializer, serializers.ModelSerializer):  # type: ignore[type-arg]
    startup = StartupSummarySerializer(read_only=True)
    skills = skill_names_read_field()
    is_saved = serializers.BooleanField(read_only=True)
    has_applied = serializers.BooleanField(read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "startup",
            *OPPORTUNITY_DETAIL_FIELDS,
            "is_saved",
            "has_applied",
            "created_at",
            "updated_at",
            *SEARCH_RESULT_FIELDS,
        ]


class OpportunityUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=OpportunityKind.choices)
    skills = skill_names_field()
    location = serializers.CharField(max_length=120, required=False, allow_blank=True)
    remote = serializers.BooleanField(required=False)
    compensation_min = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    compensation_max = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    equity_min = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        allow_null=True,
    )
    equity_max = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        allow_null=True,
    )
    status = serializers.ChoiceField(choices=OpportunityStatus.choices, required=False)


class OpportunityCreateInputSerializer(OpportunityUpdateInputSerializer):
    startup = serializers.IntegerField(min_value=1, help_text="Id of a startup you own.")


# --- Applications ------------------------------------------------------------------------


class OpportunitySummarySerializer(serializers.ModelSerializer):
    startup = StartupSummarySerializer(read_only=True)

    class Meta:
        model = Opportunity
        fields = ["id", "title", "kind", "status", "startup"]


class ApplicationSerializer(serializers.ModelSerializer):
    opportunity = OpportunitySummarySerializer(read_only=True)
    applicant = UserSummarySerializer(read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "opportunity",
            "applicant",
            "cover_letter",
            "status",
            "decided_at",
            "created_at",
            "updated_at",
        ]


class ApplicationInputSerializer(serializers.Serializer):
    cover_letter = serializers.CharField(max_length=5000, required=False, allow_blank=True)


# --- Saves ---------------------------------------------------------------------------------


class SaveSerializer(serializers.ModelSerializer):
    type = serializers.SerializerMethodField()
    startup = StartupSummarySerializer(read_only=True, allow_null=True)
    opportunity = OpportunitySummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Save
        fields = ["id", "type", "startup", "opportunity", "created_at"]

    @extend_schema_field(serializers.ChoiceField(choices=["startup", "opportunity"]))
    def get_type(self, save: Save) -> str:
        return "startup" if save.startup_id else "opportunity"


# --- Hot paths: rows from the selectors, shaped as the serializers above shape them ----------
# (``tests/platform/test_output_identity.py`` holds them equal, field by field.)

_SKILLS_AT = STARTUP_PROFILE_FIELDS.index("skills")
_STARTUP_PROFILE = column_formatters(Startup, STARTUP_PROFILE_FIELDS[:_SKILLS_AT])
_STARTUP_FIGURES = column_formatters(Startup, STARTUP_PROFILE_FIELDS[_SKILLS_AT + 1 :])
_TIMES = ["created_at", "updated_at"]
_STARTUP_TIMES = column_formatters(Startup, _TIMES)


def startup_output(row: dict[str, Any]) -> dict[str, Any]:
    """``StartupSerializer``'s output from a ``selectors.startup_rows`` row."""
    return {
        "id": row["id"],
        "owner": {
            "id": row["owner_id"],
            "name": row["owner__name"],
            "role": row["owner__role"],
            "headline": row["owner__headline"],
        },
        **columns_output(row, _STARTUP_PROFILE),
        "skills": row["skills"],
        **columns_output(row, _STARTUP_FIGURES),
        "open_opportunities_count": row["open_opportunities_count"],
        "is_saved": row["is_saved"],
        "followers_count": row["followers_count"],
        "is_following": row["is_following"],
        **columns_output(row, _STARTUP_TIMES),
        "search_score": None,
        "search_snippet": None,
    }


_OPPORTUNITY_SKILLS_AT = OPPORTUNITY_DETAIL_FIELDS.index("skills")
_OPPORTUNITY_HEAD = column_formatters(
    Opportunity, OPPORTUNITY_DETAIL_FIELDS[:_OPPORTUNITY_SKILLS_AT]
)
_OPPORTUNITY_REST = column_formatters(
    Opportunity, OPPORTUNITY_DETAIL_FIELDS[_OPPORTUNITY_SKILLS_AT + 1 :]
)
_OPPORTUNITY_TIMES = column_formatters(Opportunity, _TIMES)


def _startup_summary(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``StartupSummarySerializer``'s output from a row's ``<prefix>__<field>`` columns."""
    return {
        "id": row[f"{prefix}__id"],
        "name": row[f"{prefix}__name"],
        "slug": row[f"{prefix}__slug"],
        "tagline": row[f"{prefix}__tagline"],
        "industry": row[f"{prefix}__industry"],
        "stage": row[f"{prefix}__stage"],
    }


def opportunity_output(row: dict[str, Any]) -> dict[str, Any]:
    """``OpportunitySerializer``'s output from a ``selectors.opportunity_rows`` row."""
    return {
        "id": row["id"],
        "startup": _startup_summary(row, "startup"),
        **columns_output(row, _OPPORTUNITY_HEAD),
        "skills": row["skills"],
        **columns_output(row, _OPPORTUNITY_REST),
        "is_saved": row["is_saved"],
        "has_applied": row["has_applied"],
        **columns_output(row, _OPPORTUNITY_TIMES),
        "search_score": None,
        "search_snippet": None,
    }


_APPLICATION_TAIL = column_formatters(
    Application, ["cover_letter", "status", "decided_at", "created_at", "updated_at"]
)


def application_output(row: dict[str, Any]) -> dict[str, Any]:
    """``ApplicationSerializer``'s output from a ``selectors.application_rows`` row."""
    return {
        "id": row["id"],
        "opportunity": {
            "id": row["opportunity_id"],
            "title": row["opportunity__title"],
            "kind": row["opportunity__kind"],
            "status": row["opportunity__status"],
            "startup": _startup_summary(row, "opportunity__startup"),
        },
        "applicant": {
            "id": row["applicant_id"],
            "name": row["applicant__name"],
            "role": row["applicant__role"],
            "headline": row["applicant__headline"],
        },
        **columns_output(row, _APPLICATION_TAIL),
    }
