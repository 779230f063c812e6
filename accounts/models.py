import re
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    TALENT = "talent", "Talent"
    FOUNDER = "founder", "Founder"
    INVESTOR = "investor", "Investor"


class Availability(models.TextChoices):
    """Whether a person wants to hear about roles (founders are recommended those who do)."""

    LOOKING = "looking", "Actively looking"
    OPEN = "open", "Open to offers"
    NOT_LOOKING = "not_looking", "Not looking"


class Industry(models.TextChoices):
    """The industries startups belong to and users are interested in (one shared list)."""

    AI = "ai", "AI & machine learning"
    FINTECH = "fintech", "Fintech"
    HEALTH = "health", "Health"
    CLIMATE = "climate", "Climate & energy"
    EDTECH = "edtech", "Education"
    ECOMMERCE = "ecommerce", "E-commerce & retail"
    SAAS = "saas", "B2B SaaS"
    DEVTOOLS = "devtools", "Developer tools"
    MOBILITY = "mobility", "Mobility & logistics"
    FOOD = "food", "Food & agriculture"
    MEDIA = "media", "Media & entertainment"
    SECURITY = "security", "Security"
    PROPTECH = "proptech", "Real estate"
    GAMING = "gaming", "Gaming"
    BIOTECH = "biotech", "Biotech"
    OTHER = "other", "Other"


_WHITESPACE = re.compile(r"\s+")


def skill_normalise(name: str) -> str:
    """'  Python ', 'PYTHON' and 'python' are one skill: trimmed, single-spaced, lower case."""
    return _WHITESPACE.sub(" ", name).strip().lower()


class Skill(models.Model):
    name = models.CharField(max_length=50, unique=True, help_text="Normalised: lower case.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name = skill_normalise(self.name)
        super().save(*args, **kwargs)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Email is the login and is case-insensitive.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


def validate_industries(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Must be a list of industries.")
    unknown = sorted(set(value) - set(Industry.values))
    if unknown:
        raise ValidationError(f"Unknown industries: {', '.join(unknown)}.")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.TALENT)
    headline = models.CharField(max_length=160, blank=True)
    bio = models.TextField(max_length=5000, blank=True)
    location = models.CharField(max_length=120, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="users")
    interests = models.JSONField(
        default=list, blank=True, validators=[validate_industries], help_text="Industries."
    )
    availability = models.CharField(
        max_length=12, choices=Availability.choices, default=Availability.OPEN
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["-date_joined", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["role", "-date_joined"]),
            # Active talent by id, for a walk of a skill's people (recommendation candidates):
            # a merge join along the ids instead of a scan of every (wide) user row.
            models.Index(
                fields=["id"], condition=Q(is_active=True, role=Role.TALENT), name="user_talent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


# A person's profile, in the order the API and the admin show it; the profile update writes all
# but ``role`` (chosen at sign-up) and ``skills`` (set by ``skills_replace``).
USER_PROFILE_FIELDS = (
    "name",
    "role",
    "headline",
    "bio",
    "location",
    "skills",
    "interests",
    "availability",
)


class RevokedSession(models.Model):
    """A signed-out session: every token carrying this ``sid`` claim is refused.

    Kept in the database (not the cache) so a sign-out survives restarts and Redis outages;
    a row is needed only until the last token of its session would have expired anyway
    (``expires_at``), and is purged after that.
    """

    sid = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session {self.sid} (revoked until {self.expires_at:%Y-%m-%d %H:%M})"
