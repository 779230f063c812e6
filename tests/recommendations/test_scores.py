"""Scores are the same whatever order the database returns rows in: a skill share is a sum of
skill weights, and floating-point sums depend on their order unless taken exactly."""

import pytest

from accounts.models import Skill
from recommendations import engine, features
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_every_required_skill_is_a_share_of_exactly_one(monkeypatch) -> None:
    # Given weights whose sum depends on its order (0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1), on
    # skill ids that collide in a set's table (so two sets of them can iterate differently)
    skills = [
        Skill.objects.create(pk=pk, name=name) for pk, name in [(9, "a"), (17, "b"), (1, "c")]
    ]
    weights = {skills[0].pk: 0.2, skills[1].pk: 0.3, skills[2].pk: 0.1}
    monkeypatch.setattr(features, "skill_weights", lambda: weights)
    assert (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1
    ada = UserFactory(skills=[])
    ada.skills.set(list(reversed(skills)))
    first = OpportunityFactory(skills=[])
    first.skills.set(skills)
    second = OpportunityFactory(skills=[])
    second.skills.set(list(reversed(skills)))
    strategy = engine.OpportunityMatch()
    ctx = engine.Context(user=ada, type="opportunities", algorithm="content")
    candidates = [engine.Candidate(o.pk) for o in (first, second)]
    rows = strategy.hydrate(ctx, [c.id for c in candidates])
    for candidate in candidates:
        candidate.row = rows[candidate.id]

    # When both are scored
    strategy.score_content(ctx, candidates)

    # Then each has all the skills it asks for: a share of exactly 1, so they tie exactly
    # (and the ranking settles the tie by popularity, then id -- not by rounding noise)
    assert candidates[0].content == candidates[1].content
    assert [s for c in candidates for s, r in c.reasons if r.startswith("You have")] == [4.0] * 2
    assert [r for c in candidates for _, r in c.reasons if r.startswith("You have")] == [
        "You have 3 of the 3 skills it asks for: b, a, c"
    ] * 2
