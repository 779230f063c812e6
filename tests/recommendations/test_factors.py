"""Latent factors (ALS): fitted nightly, a person placed among them from their history as it is
now, each result explained by the history item that contributes most; checked against
``implicit``'s own least-squares step and explanation."""

import sys
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from implicit.cpu.als import AlternatingLeastSquares
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

from accounts.models import Industry, User
from recommendations import factors, features
from recommendations.models import FactorModel, ItemType
from startups.models import Opportunity, Startup
from tests.accounts.factories import InvestorFactory, UserFactory
from tests.recommendations.factories import FactorModelFactory
from tests.recommendations.helpers import engage
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db

S, OPP = ItemType.STARTUP, ItemType.OPPORTUNITY
# Two tastes: people 1-6 engage with startups 1-6, people 7-12 with startups 11-14 and role 5.
HISTORY = {
    person: [((S, person % 4 + n + 1), 4.0 - n) for n in range(3)]
    if person <= 6
    else [((S, 11 + (person + n) % 4), 4.0) for n in range(3)] + [((OPP, 5), 5.0)]
    for person in range(1, 13)
}


def library_model(model: factors.Factors) -> AlternatingLeastSquares:
    """implicit's own ALS holding the stored item vectors: the oracle for serving."""
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(
            factors=model.vectors.shape[1], regularization=model.regularization, alpha=model.alpha
        )
    als.item_factors = model.vectors.astype(np.float32)
    return als


def rows(model: factors.Factors) -> dict:
    """Each item's row in the model's vectors."""
    return {
        (item_type, int(item_id)): model.offset[item_type] + place
        for item_type, (ids, _) in model.of_type.items()
        for place, item_id in enumerate(ids)
    }


def one_row(model: factors.Factors, history: dict) -> csr_matrix:
    row = np.zeros((1, len(model.vectors)), dtype=np.float32)
    for item, weight in history.items():
        row[0, rows(model)[item]] = weight
    return csr_matrix(row)


def test_a_persons_vector_is_the_als_least_squares_step_on_their_history_now() -> None:
    model = factors.Factors(FactorModelFactory(history=HISTORY))
    # someone the fit never saw, with a history of both tastes
    history = {(S, 1): 4.0, (S, 2): 2.0, (S, 12): 1.0}

    mine = model.user_vector(history)

    expected = library_model(model).recalculate_user(0, one_row(model, history))
    assert mine is not None
    np.testing.assert_allclose(mine, np.ravel(expected), rtol=1e-3, atol=1e-4)
    assert model.user_vector({(S, 999): 4.0}) is None  # nothing the model knows


def test_suggestions_are_the_best_unseen_items_of_the_type_each_with_its_strongest_part() -> None:
    model = factors.Factors(FactorModelFactory(history=HISTORY))
    history = {(S, 1): 4.0, (S, 2): 4.0, (OPP, 5): 1.0}

    found = model.suggest(history, S, limit=5)

    vector = model.user_vector(history)
    startups = {i: model.vectors[row] @ vector for (t, i), row in rows(model).items() if t == S}
    best = sorted(
        (i for i, v in startups.items() if v > 0 and i not in (1, 2)),
        key=lambda i: (-startups[i], i),
    )[:5]
    assert [s.item_id for s in found] == best  # own saves and roles are not suggested
    assert {s.item_id for s in found} <= {3, 4, 5, 6, 11, 12, 13, 14}
    assert found[0].item_id in (3, 4, 5, 6)  # the taste of the two saves, not the role's
    als, row = library_model(model), one_row(model, history)
    for suggestion in found:
        assert suggestion.score == pytest.approx(startups[suggestion.item_id], abs=1e-6)
        _, parts, _ = als.explain(0, row, rows(model)[S, suggestion.item_id], N=3)
        strongest = next(item for item, index in rows(model).items() if index == parts[0][0])
        assert suggestion.because == strongest


def test_the_fit_is_deterministic_and_needs_two_people_and_two_items() -> None:
    first, second = factors.factors_fit(HISTORY), factors.factors_fit(HISTORY)

    assert first is not None and second is not None
    assert bytes(first.vectors) == bytes(second.vectors)
    assert (first.items, first.people, first.factors) == (11, 12, 16)
    assert factors.factors_fit({1: [((S, 1), 4.0)], 2: [((S, 1), 4.0)]}) is None
    assert factors.factors_fit({1: [((S, 1), 4.0), ((S, 2), 4.0)]}) is None


def test_the_rebuild_stores_one_fit_and_serving_loads_the_newest() -> None:
    startups = StartupFactory.create_batch(3)
    for person in UserFactory.create_batch(3):
        for startup in startups[:2]:
            engage(person, "save", startup)

    features.features_rebuild()
    first = factors.factors_current()
    engage(UserFactory(), "save", startups[2])
    engage(User.objects.last(), "save", startups[0])
    features.features_rebuild()
    second = factors.factors_current()

    assert FactorModel.objects.count() == 1
    assert first is not None and second is not None and first.version != second.version
    assert second.row((S, startups[2].pk)) is not None and first.row((S, startups[2].pk)) is None
    assert factors.factors_current() is second  # loaded once, then reused


def test_without_a_fit_or_similar_items_there_is_no_behaviour() -> None:
    investor = InvestorFactory(interests=[])
    engage(investor, "save", StartupFactory())

    from recommendations import engine

    strategy = engine.strategy_for(investor, "startups")
    ctx = engine.Context(user=investor, type="startups", algorithm="hybrid")
    assert strategy.behaviour(ctx) == {}


def tastes() -> tuple[list[Startup], list[Startup], Opportunity]:
    """Two groups of investors, each saving its own four fintech startups; the second's also
    save one role. All a month old (the new-items boost stays out of the way)."""
    first = StartupFactory.create_batch(4, industry=Industry.FINTECH)
    second = StartupFactory.create_batch(4, industry=Industry.FINTECH)
    role = OpportunityFactory(startup=second[0], title="Quant")
    for group, saved in ((first, None), (second, role)):
        for index in range(6):
            person = InvestorFactory(interests=[])
            for startup in (group[index % 4], group[(index + 1) % 4], group[(index + 2) % 4]):
                engage(person, "save", startup)
            if saved is not None:
                engage(person, "save", saved)
    month_ago = timezone.now() - timedelta(days=30)
    Startup.objects.update(created_at=month_ago)
    Opportunity.objects.update(created_at=month_ago)
    User.objects.update(date_joined=month_ago)
    return first, second, role


def test_investors_get_startups_by_their_tastes_with_the_reason_and_at_once(
    client_for, committed
) -> None:
    first, second, role = tastes()
    features.features_rebuild()
    me = InvestorFactory(interests=[])
    me.date_joined = timezone.now() - timedelta(days=30)
    me.save(update_fields=["date_joined"])
    engage(me, "save", first[0])  # after the fit: my vector is solved from my history now

    body = client_for(me).get("/api/v1/recommendations/").json()

    top = [item["id"] for item in body["recommendations"]][:3]
    assert set(top) == {s.pk for s in first[1:]}  # the rest of my taste, first
    item = body["recommendations"][0]
    assert (
        f"People who engage with {first[0].name} (you saved it) tend to engage with this too"
        in item["reasons"]
    )

    with committed():  # a role of the other taste, saved: it counts without a rebuild
        engage(me, "save", role)
        engage(me, "save", second[1])
    body = client_for(me).get("/api/v1/recommendations/").json()
    explained = {
        item["id"]: item["reasons"]
        for item in body["recommendations"]
        if item["id"] in {s.pk for s in second}
    }
    assert set(explained) == {second[0].pk, second[2].pk, second[3].pk}
    assert any(
        f"People who engage with {second[1].name} (you saved it)" in reason
        or f"People who engage with Quant at {second[0].name} (you saved it)" in reason
        for reasons in explained.values()
        for reason in reasons
    )


def test_the_strategy_setting_chooses_the_source(client_for, settings) -> None:
    first, _, _ = tastes()
    features.features_rebuild()
    me = InvestorFactory(interests=[])
    engage(me, "save", first[0])
    settings.RECOMMENDATIONS_BEHAVIOUR = {"startups_traction": "similar-items"}

    body = client_for(me).get("/api/v1/recommendations/").json()

    reasons = [r for item in body["recommendations"] for r in item["reasons"]]
    assert any(
        r.endswith(f"engaged with {first[0].name} (you saved it) engaged with this too")
        for r in reasons
    )
    assert not any("tend to engage" in r for r in reasons)


def test_without_implicit_the_rebuild_stores_no_fit_and_investors_use_similar_items(
    client_for, monkeypatch, caplog
) -> None:
    first, _, _ = tastes()
    # implicit's wheels need the GNU OpenMP runtime: a system without it cannot import them
    monkeypatch.setitem(sys.modules, "implicit.cpu.als", None)
    me = InvestorFactory(interests=[])
    engage(me, "save", first[0])

    counts = features.features_rebuild()

    assert counts["factor_items"] == 0 and not FactorModel.objects.exists()
    assert "latent factors not fitted: implicit cannot load" in caplog.text
    body = client_for(me).get("/api/v1/recommendations/").json()
    reasons = [r for item in body["recommendations"] for r in item["reasons"]]
    assert any(
        r.endswith(f"engaged with {first[0].name} (you saved it) engaged with this too")
        for r in reasons
    )
