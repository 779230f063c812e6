from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Industry, Skill

EARLIEST_FOUNDING_YEAR = 1900


class Stage(models.TextChoices):
    IDEA = "idea", "Idea"
    PRE_SEED = "pre-seed", "Pre-seed"
    SEED = "seed", "Seed"
    SERIES_A = "series-a", "Series A"
    SERIES_B_PLUS = "series-b+", "Series B+"


class OpportunityKind(models.TextChoices):
    FULL_TIME = "full-time", "Full-time"
    PART_TIME = "part-time", "Part-time"
    CONTRACT = "contract", "Contract"
    INTERNSHIP = "internship", "Internship"
    COFOUNDER = "cofounder", "Co-founder"
    ADVISOR = "advisor", "Advisor"


class OpportunityStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Startup(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="startups"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    tagline = models.CharField(max_length=200, blank=True)
    description = models.TextField(max_length=10000, blank=True)
    industry = models.CharField(max_length=20, choices=Industry.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEA)
    location = models.CharField(max_length=120, blank=True)
    remote_friendly = models.BooleanField(default=False)
    website = models.URLField(max_length=300, blank=True)
    founded_on = models.DateField(null=True, blank=True)
    team_size = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(1_000_000)]
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="startups")
    funding_raised = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Total raised, in USD.",
    )
    monthly_active_users = models.PositiveBigIntegerField(null=True, blank=True)
    monthly_revenue = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="In USD.",
    )
    growth_rate = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(-100), MaxValueValidator(10000)],
        help_text="Month-over-month growth, in percent.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["industry", "-created_at"]),
            models.Index(fields=["stage", "-created_at"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(team_size__gte=1), name="startup_team_size_positive"
            ),
            models.CheckConstraint(
                condition=Q(funding_raised__gte=0), name="startup_funding_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.founded_on and self.founded_on > timezone.localdate():
            raise ValidationError({"founded_on": "The founding date cannot be in the future."})
        if self.founded_on and self.founded_on.year < EARLIEST_FOUNDING_YEAR:
            raise ValidationError(
                {"founded_on": f"The founding date cannot be before {EARLIEST_FOUNDING_YEAR}."}
            )


# A startup's own fields, in the API's order: the serializer shows them all, the services write
# all but ``slug`` (derived from the name) and ``skills`` (set by ``skills_replace``).
STARTUP_PROFILE_FIELDS = (
    "name",
    "slug",
    "tagline",
    "description",
    "industry",
    "stage",
    "location",
    "remote_friendly",
    "website",
    "founded_on",
    "team_size",
    "skills",
    "funding_raised",
    "monthly_active_users",
    "monthly_revenue",
    "growth_rate",
)


class Opportunity(models.Model):
    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(max_length=160)
    description = models.TextField(max_length=10000, blank=True)
    kind = models.CharField(max_length=20, choices=OpportunityKind.choices)
    skills = models.ManyToManyField(Skill, blank=True, related_name="opportunities")
    location = models.CharField(max_length=120, blank=True)
    remote = models.BooleanField(default=False)
    compensation_min = models.PositiveIntegerField(null=True, blank=True, help_text="Yearly, USD.")
    compensation_max = models.PositiveIntegerField(null=True, blank=True, help_text="Yearly, USD.")
    equity_min = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent.",
    )
    equity_max = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent.",
    )
    status = models.CharField(
        max_length=10, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["kind", "status"]),
            # A page's open-role counts (startups.selectors.startup_rows): by startup first,
            # or a planner without statistics scans every open role.
            models.Index(fields=["startup", "status"]),
            # "Is this role open, and whose?" for a walk of a skill's newest roles
            # (recommendation candidates): a merge join along the ids, no row read.
            models.Index(
                fields=["id"],
                include=["startup"],
                condition=Q(status=OpportunityStatus.OPEN),
                name="opportunity_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(compensation_min__isnull=True)
                | Q(compensation_max__isnull=True)
                | Q(compensation_min__lte=models.F("compensation_max")),
                name="opportunity_compensation_range",
            ),
            models.CheckConstraint(
                condition=Q(equity_min__isnull=True)
                | Q(equity_max__isnull=True)
                | Q(equity_min__lte=models.F("equity_max")),
                name="opportunity_equity_range",
            ),
            models.CheckConstraint(
                condition=(Q(equity_min__isnull=True) | Q(equity_min__gte=0, equity_min__lte=100))
                & (Q(equity_max__isnull=True) | Q(equity_max__gte=0, equity_max__lte=100)),
                name="opportunity_equity_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} at {self.startup}"

    @property
    def is_open(self) -> bool:
        return self.status == OpportunityStatus.OPEN

    def clean(self) -> None:
        errors = {}
        if (
            self.compensation_min is not None
            and self.compensation_max is not None
            and self.compensation_min > self.compensation_max
        ):
            errors["compensation_max"] = "Must be at least compensation_min."
        if (
            self.equity_min is not None
            and self.equity_max is not None
            and self.equity_min > self.equity_max
        ):
            errors["equity_max"] = "Must be at least equity_min."
        if errors:
            raise ValidationError(errors)


# An opportunity's own fields, in the API's order: the services write all but ``skills``.
OPPORTUNITY_DETAIL_FIELDS = (
    "title",
    "description",
    "kind",
    "skills",
    "location",
    "remote",
    "compensation_min",
    "compensation_max",
    "equity_min",
    "equity_max",
    "status",
)


class Application(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    cover_letter = models.TextField(max_length=5000, blank=True)
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "applicant"], name="application_one_per_applicant"
            ),
        ]
        indexes = [models.Index(fields=["applicant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.applicant} → {self.opportunity}"


class Save(models.Model):
    """A user's bookmark of a startup or an opportunity (exactly one of the two)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saves"
    )
    startup = models.ForeignKey(
        Startup, null=True, blank=True, on_delete=models.CASCADE, related_name="saves"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="saves"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(startup__isnull=False) & Q(opportunity__isnull=True))
                | (Q(startup__isnull=True) & Q(opportunity__isnull=False)),
                name="save_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "startup"],
                condition=Q(startup__isnull=False),
                name="save_startup_once",
            ),
            models.UniqueConstraint(
                fields=["user", "opportunity"],
                condition=Q(opportunity__isnull=False),
                name="save_opportunity_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} saved {self.startup or self.opportunity}"
