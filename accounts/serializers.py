from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import (
    USER_PROFILE_FIELDS,
    Availability,
    Industry,
    Role,
    Skill,
    User,
    skill_normalise,
)
from core.api.output import column_formatters, columns_output
from search.serializers import SEARCH_RESULT_FIELDS, SearchResultSerializer

MAX_SKILLS = 50


class SkillNameField(serializers.CharField):
    """A skill name, normalised before its length is checked (lower-casing can lengthen it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", Skill._meta.get_field("name").max_length)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return skill_normalise(super().to_internal_value(data))


def skill_names_field() -> serializers.ListField:
    return serializers.ListField(
        child=SkillNameField(allow_blank=False),
        max_length=MAX_SKILLS,
        required=False,
        help_text="Skill names; case and surrounding spaces do not matter.",
    )


def skill_names_read_field() -> serializers.SlugRelatedField:
    """Skills as a sorted list of names (from the prefetched ``skills``)."""
    return serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "role", "headline"]


class UserSerializer(SearchResultSerializer, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A public profile. ``email`` is shown only to the user themself."""

    skills = skill_names_read_field()
    email = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            *USER_PROFILE_FIELDS,
            "date_joined",
            *SEARCH_RESULT_FIELDS,
        ]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, user: User) -> str | None:
        viewer = self.context.get("viewer")
        if viewer is None and "request" in self.context:
            viewer = self.context["request"].user
        return user.email if viewer is not None and viewer.pk == user.pk else None


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    name = serializers.CharField(max_length=120)
    role = serializers.ChoiceField(choices=Role.choices)


class RegisterOutputSerializer(serializers.Serializer):
    user = UserSerializer()
    tokens = TokenPairSerializer()


class ProfileUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    headline = serializers.CharField(max_length=160, allow_blank=True)
    bio = serializers.CharField(max_length=5000, allow_blank=True)
    location = serializers.CharField(max_length=120, allow_blank=True)
    skills = skill_names_field()
    interests = serializers.ListField(
        child=serializers.ChoiceField(choices=Industry.choices), max_length=len(Industry)
    )

    availability = serializers.ChoiceField(choices=Availability.choices)

    def validate_interests(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class SessionInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class SessionStateSerializer(serializers.Serializer):
    user = UserSerializer(allow_null=True)
    csrf_token = serializers.CharField()


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


# --- Hot path (core/api/rows.py): ``UserSerializer``'s output from ``selectors.user_rows`` ----

_SKILLS_AT = USER_PROFILE_FIELDS.index("skills")
_USER_HEAD = column_formatters(User, USER_PROFILE_FIELDS[:_SKILLS_AT])
_USER_TAIL = column_formatters(User, [*USER_PROFILE_FIELDS[_SKILLS_AT + 1 :], "date_joined"])


def user_output(row: dict[str, Any], *, viewer_id: int | None) -> dict[str, Any]:
    """``email`` only to the person themself, as ``UserSerializer.get_email``."""
    return {
        "id": row["id"],
        "email": row["email"] if viewer_id is not None and viewer_id == row["id"] else None,
        **columns_output(row, _USER_HEAD),
        "skills": row["skills"],
        **columns_output(row, _USER_TAIL),
        "search_score": None,
        "search_snippet": None,
    }
