from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import USER_PROFILE_FIELDS, RevokedSession, Skill, User


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreateForm
    form = UserEditForm
    ordering = ["-date_joined"]
    list_display = ["email", "name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "availability", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "name", "headline"]
    readonly_fields = ["date_joined", "last_login", "updated_at"]
    filter_horizontal = ["skills", "groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": list(USER_PROFILE_FIELDS)}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["date_joined", "last_login", "updated_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "name", "role", "usable_password", "password1", "password2"],
            },
        ),
    ]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(RevokedSession)
class RevokedSessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Signed-out sessions (the tokens' ``sid`` claim), for looking into a refused token. A row
    added here signs that session out like a logout would."""

    list_display = ["sid", "revoked_at", "expires_at"]
    search_fields = ["sid"]
    date_hierarchy = "revoked_at"
