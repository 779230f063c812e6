"""Realistic, deterministic demo data (``manage.py seed_demo`` runs ``demo_seed``).

Generates users of every role, startups, opportunities, applications and saves by composing
the hand-written vocabularies of ``demo.vocabulary`` with
``random.Random(--seed)``: the same seed on the same starting database gives the same data.
Rows are written with ``bulk_create`` in batches (one password hash shared by every generated
user), so 100k startups take minutes, not hours. One transaction per run: a failure leaves
nothing half-written.

Idempotent. Generated users have deterministic e-mails (``talent7.s42@demo.collabhub.dev``);
when those of this seed already exist nothing more is generated. The fixed demo accounts
(``admin@``, ``founder@``, ``talent@`` and ``investor@collabhub.dev``) are created whenever
they are missing.

What people save and apply to follows ``Behaviour``: planted tastes, profile-driven choices,
noise and popularity skew, with named settings in ``PRESETS`` (``seed_demo --preset``; the
default, and "strong-skew", where popularity is hard to beat).
"""

import random
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Availability, Industry, Role, Skill, User, skill_normalise
from accounts.services import skills_resolve
from demo import vocabulary as vocab
from experiments.assignment import variant_assign
from experiments.models import Experiment, ExperimentStatus, Exposure
from experiments.services import experiment_create, experiment_start
from feed.models import ActivityEvent, EventAudience
from feed.services import follow_create
from messaging.models import Connection
from messaging.services import connection_accept, connection_request, message_send
from recommendations.events import RECOMMENDATION_VIEWED
from search import cache as search_cache
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

T = TypeVar("T")

BASE_DATE = date(2026, 1, 1)  # generated dates count back from here, never from the clock
ADMIN_PATH = "/admin/"
DEMO_EXPERIMENT = "demo-hybrid-vs-popularity"
OPEN_SHARE = 0.85  # of opportunities
REMOTE_SHARE = 0.55  # of startups
DISCLOSED_SHARE = 0.8  # of traction figures

# Weighted choices, unpacked once.
SENIORITY_WEIGHTS = tuple(seniority.weight for seniority in vocab.SENIORITIES)
# "Founding" describes roles, not people.
TALENT_SENIORITIES = tuple(s for s in vocab.SENIORITIES if s.label != "Founding")
TALENT_SENIORITY_WEIGHTS = tuple(seniority.weight for seniority in TALENT_SENIORITIES)
STAGE_NAMES = tuple(vocab.STAGES)
STAGE_WEIGHTS = tuple(profile.weight for profile in vocab.STAGES.values())
KIND_NAMES = tuple(kind for kind, _ in vocab.OPPORTUNITY_KINDS)
KIND_WEIGHTS = tuple(weight for _, weight in vocab.OPPORTUNITY_KINDS)
SENIOR = next(s for s in vocab.SENIORITIES if s.label == "Senior")
FOUNDING_TEAM_SIZE = 15  # larger teams hire "Senior", not "Founding", people
# Roles whose job posts also ask for a skill of the startup's industry.
TECHNICAL_AREAS = frozenset(
    ("engineering", "data", "machine learning", "infrastructure", "security")
)


@dataclass(frozen=True)
class Behaviour:
    """How generated people choose what they save and apply to: what ``recommendations_evaluate``
    measures recommenders against. Every generated user has one of ``tastes`` hidden tastes,
    each a pool of ``taste_pool`` startups and as many opportunities; people of one taste save
    and apply within their pool ("people who saved X also saved Y": behaviour), otherwise
    within their interests and job family (content), and the rest is noise.

    - ``save_from_taste``, ``save_from_profile``: shares of saves drawn from the taste's pool
      and from the saver's interests (startups) or job family (opportunities); the rest,
      ``noise()``, is any startup or opportunity.
    - ``apply_from_taste``: share of applications to the taste's opportunities; of the rest,
      ``apply_to_own_family`` go to roles of the applicant's job family, the others anywhere.
    - ``skew``: popularity skew. 0 draws the noise uniformly and gives the tastes even sizes;
      above 0 the noise (saves and applications) falls on items with Zipf weights
      ``1 / rank ** skew`` over one shuffled ranking, and tastes have Zipf sizes, so a few
      items and pools collect most engagement and popularity is hard to beat.
    """

    tastes: int = 8
    taste_pool: int = 12
    save_from_taste: float = 0.4
    save_from_profile: float = 0.4
    apply_from_taste: float = 0.25
    apply_to_own_family: float = 0.7
    skew: float = 0.0

    def noise(self) -> float:
        return max(0.0, 1 - self.save_from_taste - self.save_from_profile)

    def validate(self) -> None:
        if self.tastes < 1:
            raise CommandError("--tastes must be at least 1.")
        if self.taste_pool < 0:
            raise CommandError("--taste-pool cannot be negative.")
        for name in ("save_from_taste", "save_from_profile", "apply_from_taste"):
            if not 0 <= getattr(self, name) <= 1:
                raise CommandError(f"--{name.replace('_', '-')} must be between 0 and 1.")
        if self.save_from_taste + self.save_from_profile > 1:
            raise CommandError("--save-from-taste plus --save-from-profile cannot exceed 1.")
        if self.skew < 0:
            raise CommandError("--skew cannot be negative.")


# Named settings of ``seed_demo --preset``. "strong-skew": half of all saves and most
# applications are noise concentrated on a few hit items, and one taste is several times the
# size of another: the dataset on which "what is popular" is hardest to beat.
PRESETS: dict[str, Behaviour] = {
    "default": Behaviour(),
    "strong-skew": Behaviour(save_from_taste=0.25, save_from_profile=0.25, skew=1.1),
}
TALENT_AVAILABILITY = (
    (Availability.LOOKING.value, 3),
    (Availability.OPEN.value, 5),
    (Availability.NOT_LOOKING.value, 2),
)

# Application statuses (status, weight) for open and for since-closed opportunities.
OPEN_APPLICATION_STATUSES: tuple[tuple[str, int], ...] = (
    (ApplicationStatus.PENDING, 55),
    (ApplicationStatus.ACCEPTED, 12),
    (ApplicationStatus.REJECTED, 23),
    (ApplicationStatus.WITHDRAWN, 10),
)
CLOSED_APPLICATION_STATUSES: tuple[tuple[str, int], ...] = (
    (ApplicationStatus.ACCEPTED, 30),
    (ApplicationStatus.REJECTED, 60),
    (ApplicationStatus.WITHDRAWN, 10),
)


# --- The fixed demo accounts ----------------------------------------------------------------


@dataclass(frozen=True)
class FixedAccount:
    key: str
    email: str
    name: str
    role: str
    headline: str
    bio: str
    location: str
    interests: tuple[str, ...]
    skills: tuple[str, ...]
    admin: bool = False


FIXED_ACCOUNTS: tuple[FixedAccount, ...] = (
    FixedAccount(
        key="admin",
        email="admin@collabhub.dev",
        name="Demo Admin",
        role=Role.TALENT,
        headline="Keeps the CollabHub demo running",
        bio="The staff account for the admin site.",
        location="Berlin, Germany",
        interests=(),
        skills=(),
        admin=True,
    ),
    FixedAccount(
        key="founder",
        email="founder@collabhub.dev",
        name="Demo Founder",
        role=Role.FOUNDER,
        headline="Founder & CEO | building in developer tools",
        bio="A former platform engineer building tools that make CI fast again. "
        "Hiring the first engineers now.",
        location="Amsterdam, Netherlands",
        interests=(Industry.DEVTOOLS.value, Industry.SAAS.value),
        skills=("product management", "fundraising", "go"),
    ),
    FixedAccount(
        key="talent",
        email="talent@collabhub.dev",
        name="Demo Talent",
        role=Role.TALENT,
        headline="Full-Stack Engineer | 6 years of experience",
        bio="A full-stack engineer who has shipped product at three early-stage startups. "
        "Open to founding-engineer roles.",
        location="Lisbon, Portugal",
        interests=(Industry.DEVTOOLS.value, Industry.CLIMATE.value, Industry.FINTECH.value),
        skills=("python", "django", "typescript", "react", "postgresql"),
    ),
    FixedAccount(
        key="investor",
        email="investor@collabhub.dev",
        name="Demo Investor",
        role=Role.INVESTOR,
        headline="Partner at Harbor Ventures",
        bio="Invests at pre-seed and seed in developer tools, AI and climate tech.",
        location="London, UK",
        interests=(Industry.DEVTOOLS.value, Industry.AI.value, Industry.CLIMATE.value),
        skills=("due diligence", "fundraising"),
    ),
)
DEMO_TALENT_DISCIPLINE = "full-stack engineer"  # how the demo talent's cover letters say it
DEMO_TALENT_FAMILY = "Full-Stack Engineer"


def _ensure_fixed_accounts() -> tuple[dict[str, User], list[str]]:
    """Get or create the fixed accounts; returns them by key and the e-mails just created."""
    accounts: dict[str, User] = {}
    created: list[str] = []
    for spec in FIXED_ACCOUNTS:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            create = User.objects.create_superuser if spec.admin else User.objects.create_user
            user = create(
                spec.email,
                settings.DEMO_PASSWORD,
                name=spec.name,
                role=spec.role,
                headline=spec.headline,
                bio=spec.bio,
                location=spec.location,
                interests=list(spec.interests),
            )
            created.append(spec.email)
        elif not spec.admin and user.role != spec.role:
            raise CommandError(
                f"{spec.email} exists with role {user.role!r}, not {spec.role!r}: "
                "change its role or delete it, then run seed_demo again."
            )
        if spec.skills and not user.skills.exists():
            user.skills.set(skills_resolve(names=spec.skills))
        accounts[spec.key] = user
    return accounts, created


# --- Sizes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    users: int
    startups: int
    opportunities: int
    applications: int
    saves: int

    def roles(self) -> tuple[int, int, int]:
        """(talent, founders, investors) among the generated users: about 55/25/20 %."""
        if self.users == 0:
            return 0, 0, 0
        founders = max(1, round(self.users * 0.25))
        investors = min(self.users - founders, round(self.users * 0.2))
        return self.users - founders - investors, founders, investors

    def validate(self, batch_size: int) -> None:
        for name, value in zip(
            ("users", "startups", "opportunities", "applications", "saves"),
            astuple(self),
            strict=True,
        ):
            if value < 0:
                raise CommandError(f"--{name} cannot be negative.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if self.users == 0 and any(astuple(self)):
            raise CommandError(
                "--users must be at least 1 to generate startups, opportunities, applications "
                "or saves."
            )
        if self.opportunities and not self.startups:
            raise CommandError("--opportunities needs at least one startup (--startups).")
        applicants = self.roles()[0] + 1  # the demo talent applies too
        if self.applications > applicants * self.opportunities:
            raise CommandError(
                f"--applications {self.applications} is more than the "
                f"{applicants * self.opportunities} possible (talent, opportunity) pairs."
            )
        savers = self.users + len(FIXED_ACCOUNTS)
        if self.saves > savers * (self.startups + self.opportunities):
            raise CommandError(
                f"--saves {self.saves} is more than the "
                f"{savers * (self.startups + self.opportunities)} possible (user, target) pairs."
            )


# --- Small helpers ---------------------------------------------------------------------------


def demo_email(role: str, number: int, seed: int) -> str:
    return f"{role}{number}.s{seed}@{settings.DEMO_EMAIL_DOMAIN}"


def _demo_data_present(seed: int) -> bool:
    return User.objects.filter(email__iendswith=f".s{seed}@{settings.DEMO_EMAIL_DOMAIN}").exists()


def _reference_date() -> date:
    """BASE_DATE, unless the clock is behind it: a founding date is never in the future."""
    return min(BASE_DATE, timezone.localdate())


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _money(amount: int | Decimal) -> str:
    """$950, $120k, $2.5M."""
    value = int(amount)
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}".removesuffix(".0") + "M"
    if value >= 1_000:
        return f"${round(value / 1_000)}k"
    return f"${value}"


def _percent(hundredths: int) -> Decimal:
    """1234 -> Decimal('12.34'), exactly."""
    return Decimal(hundredths) / 100


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _require_pks(objects: Sequence[models.Model]) -> None:
    if objects and objects[-1].pk is None:
        raise CommandError("This database backend does not return ids from bulk inserts.")


# --- What later steps need to remember about earlier rows -----------------------------------


class Owner(NamedTuple):
    id: int
    interests: tuple[str, ...]


class Applicant(NamedTuple):
    id: int
    first_name: str
    discipline: str  # "senior backend engineer"
    family: str  # "Backend Engineer": most applications go to roles of the same family
    taste: int


class Saver(NamedTuple):
    id: int
    interests: tuple[str, ...]
    family: str  # talent only
    taste: int


class StartupRef(NamedTuple):
    id: int
    name: str
    owner_id: int
    industry: str
    stage: str
    team_size: int
    location: str
    remote: bool


class OpportunityRef(NamedTuple):
    id: int
    startup: StartupRef
    title: str
    family: str
    is_open: bool


class Profile(NamedTuple):
    headline: str
    bio: str
    interests: list[str]
    skills: list[str]
    discipline: str  # talent only: "senior backend engineer"
    family: str  # talent only: "Backend Engineer"
    taste: int = 0  # which planted taste (see Behaviour)


# --- The generator ---------------------------------------------------------------------------


def _connected_either_way(a: User, b: User) -> bool:
    """Whether the two have any connection (asked, accepted or declined, either way round):
    the demo then leaves them as they are (another seed's run, or people using the demo)."""
    return Connection.objects.filter(
        Q(requester=a, addressee=b) | Q(requester=b, addressee=a)
    ).exists()


class DemoDataBuilder:
    """Generates and bulk-inserts one seed's data; call ``build()`` inside a transaction."""

    def __init__(
        self,
        *,
        seed: int,
        sizes: Sizes,
        batch_size: int,
        accounts: dict[str, User],
        log: Callable[[str], None],
        behaviour: Behaviour | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.behaviour = behaviour or PRESETS["default"]
        self.rankings: dict[str, tuple[list[int], list[float]]] = {}  # see _zipf_draw
        self.seed = seed
        self.accounts = accounts
        self.sizes = sizes
        self.batch_size = batch_size
        self.log = log
        self.today = _reference_date()
        founder_spec = next(spec for spec in FIXED_ACCOUNTS if spec.key == "founder")
        # The spec's interests, not the row's, so the data never depends on what is stored.
        self.demo_founder = Owner(accounts["founder"].pk, founder_spec.interests)
        self.founders: list[Owner] = []
        self.applicants = [
            Applicant(accounts["talent"].pk, "Demo", DEMO_TALENT_DISCIPLINE, DEMO_TALENT_FAMILY, 0)
        ]
        self.savers: list[Saver] = [
            Saver(
                accounts[spec.key].pk,
                spec.interests,
                DEMO_TALENT_FAMILY if spec.key == "talent" else "",
                0,
            )
            for spec in FIXED_ACCOUNTS
        ]
        self.taste_startups: list[list[int]] = []  # indexes into self.startups, per taste
        self.taste_opportunities: list[list[int]] = []
        self.startups: list[StartupRef] = []
        self.opportunities: list[OpportunityRef] = []
        self.skill_ids: dict[str, int] = {}
        self.taken_slugs: set[str] = set()
        self.slug_counters: dict[str, int] = {}
        self.created: dict[str, int] = {}

    def build(self, *, activity: bool = True) -> dict[str, int]:
        self.skill_ids = {skill.name: skill.pk for skill in skills_resolve(names=_all_skills())}
        for step, create in (
            ("users", self._create_users),
            ("startups", self._create_startups),
            ("opportunities", self._create_opportunities),
            ("applications", self._create_applications),
            ("saves", self._create_saves),
            ("events", self._create_activity if activity else lambda: 0),
            ("experiment exposures", self._create_experiment if activity else lambda: 0),
        ):
            started = time.monotonic()
            self.created[step] = create()
            self.log(f"  {step}: {self.created[step]} in {time.monotonic() - started:.1f}s")
        return self.created

    # Activity, through the services.

    def _create_activity(self) -> int:
        """Follows, connections and messages around the demo accounts, made through the
        services as real ones are: they record events and notify, so the demo founder's feed
        and notifications are not empty at the first sign-in. Returns the events recorded.
        Its own random stream: the rows generated before do not depend on it."""
        rng = random.Random(self.seed * 7919 + 1)
        founder, talent, investor = (
            self.accounts["founder"],
            self.accounts["talent"],
            self.accounts["investor"],
        )
        before = ActivityEvent.objects.count()
        generated = User.objects.filter(
            email__endswith=f".s{self.seed}@{settings.DEMO_EMAIL_DOMAIN}"
        )
        people = list(generated.filter(role=Role.TALENT).order_by("pk")[:50])
        theirs = Startup.objects.filter(owner=founder).order_by("pk").first()
        others = list(Startup.objects.exclude(owner=founder).order_by("pk")[:50])

        # The founder follows a few people and startups: what they do next is their feed.
        followed = rng.sample(people, min(3, len(people)))
        for person in followed:
            follow_create(follower=founder, target=person)
        for startup in rng.sample(others, min(2, len(others))):
            follow_create(follower=founder, target=startup)
        # ...and they act: follow the demo startup and others.
        for person in followed:
            for startup in ([theirs] if theirs else []) + rng.sample(others, min(2, len(others))):
                follow_create(follower=person, target=startup)
        for person in (talent, investor):
            if theirs is not None:
                follow_create(follower=person, target=theirs)
        # The investor and the founder are connected and talking; the talent asks to connect
        # (a request waiting for the founder). Left alone when a run for another seed did it.
        if not _connected_either_way(investor, founder):
            request, _ = connection_request(requester=investor, addressee=founder)
            connection_accept(connection=request, by=founder)
            message_send(
                sender=investor, recipient=founder, body="Loved the demo. Free for a call?"
            )
            message_send(sender=founder, recipient=investor, body="Thursday at 10 works.")
        if not _connected_either_way(talent, founder):
            connection_request(requester=talent, addressee=founder)
        return ActivityEvent.objects.count() - before

    # An experiment with simulated traffic, so its results (and the dashboard) show something.

    def _create_experiment(self) -> int:
        """``demo-hybrid-vs-popularity``, running: the hybrid recommender against popularity on
        click-through. Simulated: generated people exposed over the last three days by the real
        assignment, and a share of them (22 % hybrid, 14 % popularity) opening a recommended
        startup after it -- ``recommendation_viewed`` events written as the service writes
        them, already dispatched (nobody is notified of a simulation). Left alone when it
        exists (another seed's run made it). Returns the exposures."""
        if Experiment.objects.filter(key=DEMO_EXPERIMENT).exists():
            return 0
        rng = random.Random(self.seed * 7919 + 2)
        experiment = experiment_create(
            by=self.accounts["admin"],
            data={
                "key": DEMO_EXPERIMENT,
                "name": "Hybrid recommendations vs popularity",
                "hypothesis": "People open more of what the hybrid recommends them than of "
                "what is merely popular.",
                "target": "recommendations_algorithm",
                "variants": [
                    {"key": "control", "weight": 50, "config": {"algorithm": "popularity"}},
                    {"key": "hybrid", "weight": 50, "config": {"algorithm": "hybrid"}},
                ],
                "traffic_allocation": 100,
                "primary_metric": "recommendation_click_through",
                "guardrail_metrics": ["application_rate"],
                "min_sample_size": 100,
                "duration_days": 14,
            },
        )
        if Experiment.objects.filter(
            target=experiment.target, status=ExperimentStatus.RUNNING
        ).exists():
            return 0  # another experiment holds the target: this one stays a draft
        experiment = experiment_start(experiment=experiment)
        now = timezone.now()
        # Started before the simulated traffic it has (three days of it).
        experiment.started_at = now - timedelta(days=3, hours=1)
        experiment.save(update_fields=["started_at"])
        people = list(
            User.objects.filter(
                email__endswith=f".s{self.seed}@{settings.DEMO_EMAIL_DOMAIN}",
                role__in=[Role.TALENT, Role.INVESTOR],
            ).order_by("pk")[:600]
        )
        startups = list(Startup.objects.order_by("pk").values_list("pk", "name")[:200])
        startup_type = ContentType.objects.get_for_model(Startup)
        exposures, events = [], []
        for person in people:
            variant = variant_assign(
                key=experiment.key,
                variants=experiment.variants,
                traffic_allocation=experiment.traffic_allocation,
                user_id=person.pk,
            )
            if variant is None or not startups:
                continue
            exposed_at = now - timedelta(minutes=rng.randint(60, 3 * 24 * 60))
            exposures.append(
                Exposure(
                    experiment=experiment,
                    user=person,
                    variant=variant["key"],
                    exposed_at=exposed_at,
                )
            )
            if rng.random() < (0.22 if variant["key"] == "hybrid" else 0.14):
                startup_id, name = rng.choice(startups)
                viewed_at = exposed_at + timedelta(minutes=rng.randint(1, 50))
                events.append(
                    ActivityEvent(
                        actor=person,
                        action_type=RECOMMENDATION_VIEWED,
                        target_type=startup_type,
                        target_id=startup_id,
                        startup_id=startup_id,
                        snapshot={"type": "startup", "name": name},
                        is_public=False,
                        created_at=viewed_at,
                        dispatched_at=viewed_at,
                    )
                )
        Exposure.objects.bulk_create(exposures, batch_size=self.batch_size)
        ActivityEvent.objects.bulk_create(events, batch_size=self.batch_size)
        _require_pks(events)
        EventAudience.objects.bulk_create(
            [EventAudience(event=event, user=event.actor) for event in events],
            batch_size=self.batch_size,
        )
        return len(exposures)

    # Shared bits.

    def _moment_before(self, max_days: int) -> datetime:
        day = self.today - timedelta(days=self.rng.randint(0, max_days))
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return midnight + timedelta(seconds=self.rng.randint(0, 86_399))

    def _sample(self, items: Sequence[str], low: int, high: int) -> list[str]:
        return self.rng.sample(items, self.rng.randint(low, min(high, len(items))))

    def _link_skills(
        self, through: type[models.Model], column: str, rows: Iterable[tuple[int, list[str]]]
    ) -> None:
        links = [
            through(**{column: pk, "skill_id": self.skill_ids[skill_normalise(name)]})
            for pk, names in rows
            for name in names
        ]
        through._default_manager.bulk_create(links, batch_size=self.batch_size)

    # Users.

    def _user_slots(self) -> Iterator[tuple[str, int]]:
        for role, count in zip(
            (Role.TALENT, Role.FOUNDER, Role.INVESTOR), self.sizes.roles(), strict=True
        ):
            for number in range(1, count + 1):
                yield role, number

    def _create_users(self) -> int:
        password = make_password(settings.DEMO_PASSWORD)  # hashed once, shared by every row
        count = 0
        for slots in _batched(self._user_slots(), self.batch_size):
            rows = [self._make_user(role, number, password) for role, number in slots]
            users = [user for user, _ in rows]
            User.objects.bulk_create(users, batch_size=self.batch_size)
            _require_pks(users)
            self._link_skills(User.skills.through, "user_id", ((u.pk, p.skills) for u, p in rows))
            for user, profile in rows:
                taste = profile.taste
                self.savers.append(Saver(user.pk, tuple(profile.interests), profile.family, taste))
                if user.role == Role.TALENT:
                    first_name = user.name.split(" ")[0]
                    self.applicants.append(
                        Applicant(user.pk, first_name, profile.discipline, profile.family, taste)
                    )
                elif user.role == Role.FOUNDER:
                    self.founders.append(Owner(user.pk, tuple(profile.interests)))
            count += len(users)
        return count

    def _make_user(self, role: str, number: int, password: str) -> tuple[User, Profile]:
        first_name = self.rng.choice(vocab.FIRST_NAMES)
        name = f"{first_name} {self.rng.choice(vocab.LAST_NAMES)}"
        if role == Role.FOUNDER:
            profile = self._founder_profile(first_name)
        elif role == Role.INVESTOR:
            profile = self._investor_profile(first_name)
        else:
            profile = self._talent_profile(first_name)
        user = User(
            email=demo_email(role, number, self.seed),
            password=password,
            name=name,
            role=role,
            headline=profile.headline[:160],
            bio=profile.bio,
            location=self.rng.choice(vocab.CITIES),
            interests=profile.interests,
            date_joined=self._moment_before(900),
        )
        profile = profile._replace(taste=self._taste())
        if role == Role.TALENT:
            user.availability = self.rng.choices(
                [a for a, _ in TALENT_AVAILABILITY], weights=[w for _, w in TALENT_AVAILABILITY]
            )[0]
        return user, profile

    def _talent_profile(self, first_name: str) -> Profile:
        rng = self.rng
        family = rng.choice(vocab.JOB_FAMILIES)
        seniority = rng.choices(TALENT_SENIORITIES, weights=TALENT_SENIORITY_WEIGHTS)[0]
        title = f"{seniority.label} {family.title}".strip()
        years = rng.randint(1, 3) if seniority.label == "Junior" else rng.randint(3, 15)
        interests = rng.sample(vocab.INDUSTRIES, rng.randint(1, 3))
        field = vocab.VOCABULARY[interests[0]].field
        headline = rng.choice(vocab.TALENT_HEADLINES).format(
            title=title, years=years, a_field=f"{_article(field)} {field}"
        )
        bio = " ".join(
            (
                f"{first_name} is {_article(title)} {title.lower()} with {years} years of "
                f"experience {family.craft}.",
                rng.choice(vocab.TALENT_BACKGROUNDS).format(a_field=f"{_article(field)} {field}"),
                f"Currently open to {rng.choice(vocab.TALENT_PREFERENCES)}.",
            )
        )
        skills = self._sample(family.skills, 3, 5)
        if rng.random() < 0.3:
            skills.append(rng.choice(vocab.GENERAL_SKILLS))
        return Profile(headline, bio, interests, _unique(skills), title.lower(), family.title)

    def _founder_profile(self, first_name: str) -> Profile:
        rng = self.rng
        interests = rng.sample(vocab.INDUSTRIES, rng.randint(1, 2))
        words = vocab.VOCABULARY[interests[0]]
        headline = f"{rng.choice(vocab.FOUNDER_TITLES)} | building in {words.field}"
        bio = " ".join(
            (
                f"{first_name} is {rng.choice(vocab.FOUNDER_BACKSTORIES)}.",
                f"Now building for {rng.choice(words.customers)} in {words.field}.",
                f"Cares about {rng.choice(vocab.FOUNDER_VALUES)}.",
            )
        )
        skills = self._sample(vocab.FOUNDER_SKILLS, 2, 3)
        skills += self._sample(rng.choice(vocab.JOB_FAMILIES).skills, 1, 2)
        return Profile(headline, bio, interests, _unique(skills), "", "")

    def _investor_profile(self, first_name: str) -> Profile:
        rng = self.rng
        fund = f"{rng.choice(vocab.FUND_NAMES)} {rng.choice(vocab.FUND_KINDS)}"
        if rng.random() < 0.15:
            headline = "Angel investor | former founder"
        else:
            headline = f"{rng.choice(vocab.INVESTOR_TITLES)} at {fund}"
        interests = rng.sample(vocab.INDUSTRIES, rng.randint(2, 4))
        fields = [vocab.VOCABULARY[industry].field for industry in interests]
        low, high = rng.choice(vocab.INVESTOR_CHEQUES)
        bio = " ".join(
            (
                f"{first_name} invests at {rng.choice(vocab.INVESTOR_STAGES)} in {_join(fields)}.",
                f"Typical first cheque: {_money(low)} to {_money(high)}.",
                rng.choice(vocab.INVESTOR_THESES),
            )
        )
        skills = self._sample(vocab.INVESTOR_SKILLS, 2, 4)
        return Profile(headline, bio, interests, skills, "", "")

    # Startups.

    def _create_startups(self) -> int:
        if not self.sizes.startups:
            return 0
        self.taken_slugs = set(Startup.objects.values_list("slug", flat=True))
        for indexes in _batched(range(self.sizes.startups), self.batch_size):
            rows = [self._make_startup(index) for index in indexes]
            startups = [startup for startup, _ in rows]
            Startup.objects.bulk_create(startups, batch_size=self.batch_size)
            _require_pks(startups)
            self._link_skills(
                Startup.skills.through, "startup_id", ((s.pk, skills) for s, skills in rows)
            )
            self.startups.extend(
                StartupRef(
                    s.pk,
                    s.name,
                    s.owner_id,
                    s.industry,
                    s.stage,
                    s.team_size,
                    s.location,
                    s.remote_friendly,
                )
                for s in startups
            )
        return len(self.startups)

    def _make_startup(self, index: int) -> tuple[Startup, list[str]]:
        rng = self.rng
        # The demo founder owns the first startup, so signing in as them shows real data.
        owner = self.demo_founder if index == 0 or not self.founders else rng.choice(self.founders)
        if index == 0 and owner.interests:
            industry = owner.interests[0]
        elif owner.interests and rng.random() < 0.7:
            industry = rng.choice(owner.interests)
        else:
            industry = rng.choice(vocab.INDUSTRIES)
        words = vocab.VOCABULARY[industry]
        name = self._startup_name(words)
        slug = self._unique_slug(name)
        stage = rng.choices(STAGE_NAMES, weights=STAGE_WEIGHTS)[0]
        profile = vocab.STAGES[stage]
        startup = Startup(
            owner_id=owner.id,
            name=name,
            slug=slug,
            industry=industry,
            stage=stage,
            location=rng.choice(vocab.CITIES),
            remote_friendly=rng.random() < REMOTE_SHARE,
            website=f"https://{slug}.example.com",
            founded_on=self.today - timedelta(days=rng.randint(*profile.age_days)),
            team_size=rng.randint(*profile.team),
            funding_raised=self._funding(profile),
            monthly_active_users=self._figure(profile.mau),
            monthly_revenue=self._revenue(profile),
            growth_rate=self._growth(profile),
        )
        self._describe_startup(startup, words, profile)
        return startup, self._sample(words.skills, 3, 5)

    def _startup_name(self, words: vocab.IndustryVocabulary) -> str:
        rng = self.rng
        pattern = rng.randrange(4)
        if pattern == 0:  # Ledgerly
            return rng.choice(words.roots) + rng.choice(vocab.NAME_SUFFIXES)
        if pattern == 1:  # Tidal Pay
            return f"{rng.choice(vocab.NAME_PREFIXES)} {rng.choice(words.nouns)}"
        if pattern == 2:  # Northledger
            return rng.choice(vocab.NAME_PREFIXES) + rng.choice(words.roots).lower()
        return (
            f"{rng.choice(words.roots)}{rng.choice(vocab.NAME_SUFFIXES)} {rng.choice(words.nouns)}"
        )

    def _unique_slug(self, name: str) -> str:
        """slugify(name), or name-2, name-3... when taken (in the database or this run)."""
        base = slugify(name)[:120] or "startup"
        slug = base
        number = self.slug_counters.get(base, 1)
        while slug in self.taken_slugs:
            number += 1
            slug = f"{base}-{number}"
        self.slug_counters[base] = number
        self.taken_slugs.add(slug)
        return slug

    def _figure(self, bounds: tuple[int, int] | None) -> int | None:
        if bounds is None or self.rng.random() >= DISCLOSED_SHARE:
            return None
        return self.rng.randint(*bounds)

    def _funding(self, profile: vocab.StageProfile) -> Decimal:
        if self.rng.random() >= profile.funded_share:
            return Decimal(0)
        return Decimal(self.rng.randint(*profile.funding_k) * 1_000)

    def _revenue(self, profile: vocab.StageProfile) -> Decimal | None:
        revenue = self._figure(profile.revenue)
        return None if revenue is None else Decimal(revenue)

    def _growth(self, profile: vocab.StageProfile) -> Decimal | None:
        if profile.growth is None or self.rng.random() >= DISCLOSED_SHARE:
            return None
        low, high = profile.growth
        return _percent(self.rng.randint(low * 100, high * 100))

    def _describe_startup(
        self, startup: Startup, words: vocab.IndustryVocabulary, profile: vocab.StageProfile
    ) -> None:
        rng = self.rng
        product, outcome = rng.choice(words.products)
        customers = rng.choice(words.customers)
        startup.tagline = rng.choice(vocab.TAGLINES).format(
            product=product,
            Product=_capitalise(product),
            customers=customers,
            outcome=outcome,
            Outcome=_capitalise(outcome),
        )[:200]
        city = startup.location.split(",")[0]
        if startup.team_size == 1:
            team = f"Founded in {startup.founded_on:%Y}, it is a one-person company in {city}"
        else:
            team = (
                f"Founded in {startup.founded_on:%Y}, the team of {startup.team_size} "
                f"works from {city}"
            )
        team += " and hires remotely." if startup.remote_friendly else "."
        facts = []
        if startup.monthly_active_users:
            facts.append(f"{startup.monthly_active_users:,} monthly active users")
        if startup.monthly_revenue:
            facts.append(f"{_money(startup.monthly_revenue)} in monthly revenue")
        traction = f"Today we have {_join(facts)}" if facts else ""
        if traction and startup.growth_rate and startup.growth_rate > 0:
            traction += f", growing {startup.growth_rate}% month over month"
        funding = (
            profile.funding_line.format(funding=_money(startup.funding_raised))
            if startup.funding_raised
            else vocab.STAGES[Stage.IDEA].funding_line
        )
        sentences = [
            f"{startup.name} builds {_article(product)} {product} that helps {customers} "
            f"{outcome}.",
            rng.choice(words.problems),
            rng.choice(vocab.PITCH_LINES).format(customers=customers),
            f"{traction}." if traction else "",
            funding,
            team,
        ]
        startup.description = " ".join(sentence for sentence in sentences if sentence)

    # Opportunities.

    def _create_opportunities(self) -> int:
        count = 0
        for indexes in _batched(range(self.sizes.opportunities), self.batch_size):
            rows = [self._make_opportunity(index) for index in indexes]
            opportunities = [opportunity for opportunity, *_ in rows]
            Opportunity.objects.bulk_create(opportunities, batch_size=self.batch_size)
            _require_pks(opportunities)
            self._link_skills(
                Opportunity.skills.through,
                "opportunity_id",
                ((o.pk, skills) for o, skills, *_ in rows),
            )
            self.opportunities.extend(
                OpportunityRef(
                    o.pk, startup, o.title, family.title, o.status == OpportunityStatus.OPEN
                )
                for o, _, startup, family in rows
            )
            count += len(opportunities)
        return count

    def _make_opportunity(
        self, index: int
    ) -> tuple[Opportunity, list[str], StartupRef, vocab.JobFamily]:
        rng = self.rng
        family = rng.choice(vocab.JOB_FAMILIES)
        seniority = rng.choices(vocab.SENIORITIES, weights=SENIORITY_WEIGHTS)[0]
        kind: str
        if index == 0:  # the demo founder's startup is hiring: a full-time, open role
            startup, kind = self.startups[0], OpportunityKind.FULL_TIME
        else:
            startup = rng.choice(self.startups)
            kind = rng.choices(KIND_NAMES, weights=KIND_WEIGHTS)[0]
        if seniority.label == "Founding" and startup.team_size > FOUNDING_TEAM_SIZE:
            seniority = SENIOR
        compensation_min, compensation_max = self._compensation(kind, seniority)
        equity_min, equity_max = self._equity(kind, seniority, startup.stage)
        is_open = index == 0 or rng.random() < OPEN_SHARE
        skills = self._sample(family.skills, 2, 4)
        if family.area in TECHNICAL_AREAS:
            skills.append(rng.choice(vocab.VOCABULARY[startup.industry].skills))
        opportunity = Opportunity(
            startup_id=startup.id,
            title=_opportunity_title(kind, family, seniority),
            kind=kind,
            location=startup.location,
            remote=startup.remote and rng.random() < 0.8,
            compensation_min=compensation_min,
            compensation_max=compensation_max,
            equity_min=equity_min,
            equity_max=equity_max,
            status=OpportunityStatus.OPEN if is_open else OpportunityStatus.CLOSED,
        )
        skills = _unique(skills)
        opportunity.description = self._describe_opportunity(opportunity, startup, family, skills)
        return opportunity, skills, startup, family

    def _compensation(self, kind: str, seniority: vocab.Seniority) -> tuple[int | None, int | None]:
        """A yearly range in USD (min <= max), or (None, None) when undisclosed."""
        rng = self.rng
        if kind == OpportunityKind.ADVISOR:
            return None, None
        if kind == OpportunityKind.COFOUNDER:
            if rng.random() < 0.6:
                return None, None
            low = rng.randint(0, 6) * 10_000
            return low, low + rng.randint(1, 4) * 10_000
        if kind == OpportunityKind.INTERNSHIP:
            low = rng.randint(20, 40) * 1_000
            return low, low + rng.randint(0, 10) * 1_000
        if rng.random() < 0.12:
            return None, None
        low = rng.randint(*seniority.salary) // 5_000 * 5_000
        high = low + rng.randint(1, 8) * 5_000
        if kind == OpportunityKind.PART_TIME:
            return low // 2, high // 2
        return low, high

    def _equity(
        self, kind: str, seniority: vocab.Seniority, stage: str
    ) -> tuple[Decimal | None, Decimal | None]:
        """A percent range (min <= max), or (None, None)."""
        rng = self.rng
        if kind == OpportunityKind.COFOUNDER:
            low = rng.randint(500, 1_500)
            return _percent(low), _percent(low + rng.randint(0, 1_000))
        if kind == OpportunityKind.ADVISOR:
            low = rng.randint(10, 50)
            return _percent(low), _percent(low + rng.randint(0, 75))
        early = stage in (Stage.IDEA, Stage.PRE_SEED, Stage.SEED, Stage.SERIES_A)
        if kind != OpportunityKind.FULL_TIME or not early or rng.random() >= 0.8:
            return None, None
        if seniority.label == "Founding":
            low = rng.randint(50, 150)
            return _percent(low), _percent(low + rng.randint(25, 150))
        low = rng.randint(5, 40)
        return _percent(low), _percent(low + rng.randint(5, 60))

    def _describe_opportunity(
        self,
        opportunity: Opportunity,
        startup: StartupRef,
        family: vocab.JobFamily,
        skills: list[str],
    ) -> str:
        rng = self.rng
        title = opportunity.title
        city = startup.location.split(",")[0]
        paragraphs = [
            f"{startup.name} is hiring {_article(title)} {title} to join a team of "
            f"{startup.team_size}. {vocab.KIND_LINES[opportunity.kind]}",
            f"You will {_join(rng.sample(family.duties, 3))}.",
            f"You have hands-on experience with {_join(skills)}, and you enjoy working in a "
            "small team that ships often.",
        ]
        if opportunity.remote:
            where = f"Work from anywhere within a few hours of {city}; we meet up every quarter."
        else:
            where = f"This role is based in our {city} office."
        pay = ""
        if opportunity.compensation_min is not None and opportunity.compensation_max is not None:
            pay = (
                f" Pay: {_money(opportunity.compensation_min)} to "
                f"{_money(opportunity.compensation_max)} a year"
            )
            if opportunity.equity_min is not None:
                pay += f", plus {opportunity.equity_min}% to {opportunity.equity_max}% equity"
            pay += "."
        elif opportunity.equity_min is not None:
            pay = f" Equity: {opportunity.equity_min}% to {opportunity.equity_max}%."
        perks = f" We offer {_join(rng.sample(vocab.PERKS, 2))}."
        paragraphs.append(where + pay + perks)
        return "\n\n".join(paragraphs)

    # Applications and saves.

    def _plant_tastes(self) -> None:
        """Each taste's pool: a few startups and opportunities its people gravitate to."""
        pool = self.behaviour.taste_pool
        for _ in range(self.behaviour.tastes):
            self.taste_startups.append(
                self.rng.sample(range(len(self.startups)), min(pool, len(self.startups)))
            )
            self.taste_opportunities.append(
                self.rng.sample(range(len(self.opportunities)), min(pool, len(self.opportunities)))
            )

    def _taste(self) -> int:
        behaviour = self.behaviour
        if not behaviour.skew:
            return self.rng.randrange(behaviour.tastes)
        return self._zipf_draw(behaviour.tastes, "tastes")

    def _zipf_draw(self, count: int, ranking: str) -> int:
        """One of ``range(count)`` with weight ``1 / rank ** skew``, the ranks a shuffle of
        them made once per ``ranking`` (which items are the hits is itself random)."""
        if ranking not in self.rankings:
            order = list(range(count))
            self.rng.shuffle(order)
            weights = [1 / (rank + 1) ** self.behaviour.skew for rank in range(count)]
            self.rankings[ranking] = (order, list(accumulate(weights)))
        order, cumulative = self.rankings[ranking]
        return order[bisect(cumulative, self.rng.random() * cumulative[-1])]

    def _noise_target(self, count: int, ranking: str) -> int:
        """Any of ``range(count)``: uniform, or popular ones more often under skew."""
        if not self.behaviour.skew:
            return self.rng.randrange(count)
        return self._zipf_draw(count, ranking)

    def _create_applications(self) -> int:
        self._plant_tastes()  # applications and saves draw from them
        pairs = self._application_pairs()
        for batch in _batched(pairs, self.batch_size):
            applications = [
                self._make_application(self.applicants[a], self.opportunities[o]) for a, o in batch
            ]
            Application.objects.bulk_create(applications, batch_size=self.batch_size)
            _require_pks(applications)
            # A decision is recorded when it is made: here, the moment the row was written.
            decided = [a.pk for a in applications if a.status != ApplicationStatus.PENDING]
            for ids in _batched(decided, 500):
                Application.objects.filter(pk__in=ids).update(decided_at=F("created_at"))
        return len(pairs)

    def _application_pairs(self) -> list[tuple[int, int]]:
        """Distinct (applicant, opportunity) index pairs, mostly within the applicant's family.

        Only founders own startups and only talent applies, so nobody applies to their own.
        """
        rng, wanted = self.rng, self.sizes.applications
        by_family: dict[str, list[int]] = {}
        for index, opportunity in enumerate(self.opportunities):
            by_family.setdefault(opportunity.family, []).append(index)
        pairs: dict[tuple[int, int], None] = {}  # ordered, for determinism
        for _ in range(wanted * 20):
            if len(pairs) == wanted:
                break
            applicant = rng.randrange(len(self.applicants))
            same_family = by_family.get(self.applicants[applicant].family)
            pool = self.taste_opportunities[self.applicants[applicant].taste]
            if pool and rng.random() < self.behaviour.apply_from_taste:
                pairs[applicant, rng.choice(pool)] = None
            elif same_family and rng.random() < self.behaviour.apply_to_own_family:
                pairs[applicant, rng.choice(same_family)] = None
            else:
                opportunities = len(self.opportunities)
                pairs[applicant, self._noise_target(opportunities, "opportunities")] = None
        if len(pairs) < wanted:  # almost every pair is taken: draw the rest from what is left
            per_applicant = len(self.opportunities)
            left = [
                divmod(i, per_applicant)
                for i in range(len(self.applicants) * per_applicant)
                if divmod(i, per_applicant) not in pairs
            ]
            pairs.update(dict.fromkeys(rng.sample(left, wanted - len(pairs))))
        return list(pairs)

    def _make_application(self, applicant: Applicant, opportunity: OpportunityRef) -> Application:
        rng = self.rng
        choices = OPEN_APPLICATION_STATUSES if opportunity.is_open else CLOSED_APPLICATION_STATUSES
        status = rng.choices([s for s, _ in choices], weights=[w for _, w in choices])[0]
        cover_letter = ""
        if rng.random() < 0.8:
            startup = opportunity.startup.name
            cover_letter = "\n\n".join(
                (
                    rng.choice(vocab.COVER_LETTER_OPENERS).format(startup=startup),
                    f"I'm {applicant.first_name}, {_article(applicant.discipline)} "
                    f"{applicant.discipline}, and I'm applying for the {opportunity.title} role. "
                    + rng.choice(vocab.COVER_LETTER_REASONS).format(startup=startup),
                    f"{rng.choice(vocab.COVER_LETTER_CLOSERS)}\n{applicant.first_name}",
                )
            )
        return Application(
            opportunity_id=opportunity.id,
            applicant_id=applicant.id,
            cover_letter=cover_letter,
            status=status,
        )

    def _create_saves(self) -> int:
        """Distinct (user, target) pairs; a target is a startup or an opportunity."""
        startups = len(self.startups)
        picks = self._save_picks()
        for batch in _batched(picks, self.batch_size):
            saves = []
            for saver, target in batch:
                user_id = self.savers[saver].id
                if target < startups:
                    saves.append(Save(user_id=user_id, startup_id=self.startups[target].id))
                else:
                    opportunity = self.opportunities[target - startups]
                    saves.append(Save(user_id=user_id, opportunity_id=opportunity.id))
            Save.objects.bulk_create(saves, batch_size=self.batch_size)
        return len(picks)

    def _save_picks(self) -> list[tuple[int, int]]:
        """Distinct (saver, target) index pairs, a target being a startup index or the number
        of startups plus an opportunity index: mostly from the saver's taste and profile."""
        rng, wanted = self.rng, self.sizes.saves
        startups, per_user = len(self.startups), len(self.startups) + len(self.opportunities)
        by_industry: dict[str, list[int]] = {}
        for index, startup in enumerate(self.startups):
            by_industry.setdefault(startup.industry, []).append(index)
        by_family: dict[str, list[int]] = {}
        for index, opportunity in enumerate(self.opportunities):
            by_family.setdefault(opportunity.family, []).append(startups + index)
        from_taste, from_profile = self.behaviour.save_from_taste, self.behaviour.save_from_profile
        pairs: dict[tuple[int, int], None] = {}  # ordered, for determinism
        for _ in range(wanted * 20):
            if len(pairs) == wanted:
                break
            index = rng.randrange(len(self.savers))
            saver, draw = self.savers[index], rng.random()
            pool = self.taste_startups[saver.taste] + [
                startups + o for o in self.taste_opportunities[saver.taste]
            ]
            if draw < from_taste and pool:
                pairs[index, rng.choice(pool)] = None
                continue
            liked = [by_industry.get(industry, []) for industry in saver.interests]
            choices = [targets for targets in liked if targets]
            if saver.family and by_family.get(saver.family):
                choices.append(by_family[saver.family])
            if draw < from_taste + from_profile and choices:
                pairs[index, rng.choice(rng.choice(choices))] = None
            else:
                pairs[index, self._noise_target(per_user, "saves")] = None
        if len(pairs) < wanted:  # almost every pair is taken: draw the rest from what is left
            left = [
                divmod(i, per_user)
                for i in range(len(self.savers) * per_user)
                if divmod(i, per_user) not in pairs
            ]
            pairs.update(dict.fromkeys(rng.sample(left, wanted - len(pairs))))
        return list(pairs)


def _all_skills() -> set[str]:
    """Every skill name the generator may use, normalised."""
    names: list[str] = [*vocab.GENERAL_SKILLS, *vocab.FOUNDER_SKILLS, *vocab.INVESTOR_SKILLS]
    for words in vocab.VOCABULARY.values():
        names.extend(words.skills)
    for family in vocab.JOB_FAMILIES:
        names.extend(family.skills)
    return {skill_normalise(name) for name in names}


def _opportunity_title(kind: str, family: vocab.JobFamily, seniority: vocab.Seniority) -> str:
    if kind == OpportunityKind.INTERNSHIP:
        return f"{family.title} Intern"
    if kind == OpportunityKind.COFOUNDER:
        return f"Co-founder & {family.executive}"
    if kind == OpportunityKind.ADVISOR:
        return f"{family.area.title()} Advisor"
    return f"{seniority.label} {family.title}".strip()


# --- The command -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    present: bool  # this seed's data was there already: nothing generated
    created: dict[str, int]
    new_accounts: list[str]


def demo_seed(
    *,
    seed: int,
    sizes: Sizes,
    batch_size: int,
    activity: bool = True,
    behaviour: Behaviour | None = None,
    log: Callable[[str], Any] = lambda _: None,
) -> SeedReport:
    """Make sure the demo accounts exist and, unless this seed's data is there already,
    generate it (people choosing as ``behaviour`` says: default ``PRESETS["default"]``): one
    transaction, so a failure leaves nothing half-written."""
    sizes.validate(batch_size)
    behaviour = behaviour or PRESETS["default"]
    behaviour.validate()
    if not settings.DEBUG and settings.DEMO_PASSWORD == settings.PUBLIC_DEMO_PASSWORD:
        # Demo accounts include a superuser: never with a published password outside DEBUG.
        raise CommandError(
            "Refusing to create demo accounts with the public demo password while DEBUG is "
            "off. Set DEMO_PASSWORD to a secret value (or DEBUG=1 on a development machine)."
        )
    with transaction.atomic():
        skills_before = Skill.objects.count()
        accounts, new_accounts = _ensure_fixed_accounts()
        present = _demo_data_present(seed)
        created: dict[str, int] = {}
        if not present:
            created = DemoDataBuilder(
                seed=seed,
                sizes=sizes,
                batch_size=batch_size,
                accounts=accounts,
                log=log,
                behaviour=behaviour,
            ).build(activity=activity)
        created["skills"] = Skill.objects.count() - skills_before
        # bulk_create sends no signals: tell cached searches the data changed.
        search_cache.invalidate()
    return SeedReport(present, created, new_accounts)
