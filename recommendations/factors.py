"""Latent factors: people's tastes as vectors, the behaviour source of the strategies that
``RECOMMENDATIONS_BEHAVIOUR`` gives ``"factors"`` (investors' startups: it beat item-to-item
similarity there on held-out data, docs/benchmarks.md).

The nightly rebuild fits implicit-feedback ALS (``implicit``'s; Hu, Koren & Volinsky, 2008) on
the weighted interactions the similarities are computed from and stores the items' vectors
(``FactorModel``, one row). Serving places the person among them from their history as it is
now -- the ALS least-squares step for one person, so today's saves count at once -- scores the
items of the type, and explains each result by the item of the history that contributes most
to its score (the paper's section 5), which the reason names.
"""

import io
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.utils import timezone
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

from recommendations.models import FactorModel, ItemType

logger = logging.getLogger(__name__)

Item = tuple[str, int]  # (item type, id)
TYPES = tuple(ItemType.values)  # an item's type is stored as its index here


def factors_fit(history: Mapping[int, Sequence[tuple[Item, float]]]) -> FactorModel | None:
    """An unsaved ``FactorModel`` fitted on ``history`` (person -> (item, weight) of each item
    they engaged with); None when there is too little to factorise (fewer than two people or
    items), or when ``implicit`` cannot load (its wheels link to the GNU OpenMP runtime,
    ``libgomp1``, which a minimal system may lack; serving then falls back to similar items).
    Deterministic: the same history gives the same vectors."""
    try:
        from implicit.cpu.als import AlternatingLeastSquares
    except ImportError as error:
        logger.error("latent factors not fitted: implicit cannot load (%s)", error)
        return None
    params = settings.RECOMMENDATIONS_FACTORS
    people = sorted(person for person, engaged in history.items() if engaged)
    items = sorted({item for person in people for item, _ in history[person]})
    if len(people) < 2 or len(items) < 2:
        return None
    column = {item: index for index, item in enumerate(items)}
    rows, columns, weights = [], [], []
    for row, person in enumerate(people):
        for item, weight in history[person]:
            rows.append(row)
            columns.append(column[item])
            weights.append(weight)
    matrix = csr_matrix(
        (np.array(weights, dtype=np.float32), (np.array(rows), np.array(columns))),
        shape=(len(people), len(items)),
    )
    # One BLAS thread: ALS solves many small systems; a BLAS thread pool only slows it down.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params["factors"],
            regularization=params["regularization"],
            alpha=params["alpha"],
            iterations=params["iterations"],
            random_state=0,
            num_threads=1,
        )
        model.fit(matrix, show_progress=False)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        types=np.array([TYPES.index(item_type) for item_type, _ in items], dtype=np.uint8),
        ids=np.array([item_id for _, item_id in items], dtype=np.int64),
        vectors=np.asarray(model.item_factors, dtype=np.float32),
    )
    return FactorModel(
        fitted_at=timezone.now(),
        factors=params["factors"],
        regularization=params["regularization"],
        alpha=params["alpha"],
        items=len(items),
        people=len(people),
        vectors=buffer.getvalue(),
    )


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    score: float  # the predicted preference (0 to about 1)
    because: Item  # the history item that contributes most to the score


class Factors:
    """A fitted model, ready to serve (``factors_current()``)."""

    def __init__(self, row: FactorModel) -> None:
        arrays = np.load(io.BytesIO(bytes(row.vectors)), allow_pickle=False)
        self.version: uuid.UUID = row.version
        self.regularization = row.regularization
        self.alpha = row.alpha
        # Rows grouped by type, so that each type's vectors (scored whole on every run) are a
        # contiguous slice of the one float64 copy, not a second one.
        order = np.argsort(arrays["types"], kind="stable")
        types, ids = arrays["types"][order], arrays["ids"][order]
        self.vectors = arrays["vectors"][order].astype(np.float64)
        self.offset: dict[str, int] = {}
        self.of_type: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.position: dict[str, dict[int, int]] = {}  # per type: item id -> place in the slice
        for index, item_type in enumerate(TYPES):
            start, end = (int(bound) for bound in np.searchsorted(types, [index, index + 1]))
            self.offset[item_type] = start
            self.of_type[item_type] = (ids[start:end], self.vectors[start:end])
            self.position[item_type] = {int(item_id): p for p, item_id in enumerate(ids[start:end])}
        self.gram = self.vectors.T @ self.vectors

    def row(self, item: Item) -> int | None:
        """The item's row in ``vectors``; None if it has no vector."""
        place = self.position.get(item[0], {}).get(item[1])
        return None if place is None else self.offset[item[0]] + place

    def person(self, history: Mapping[Item, float]) -> tuple[np.ndarray, np.ndarray] | None:
        """The least-squares system of a person whose history is ``history`` (item -> weight):
        (A, their known items' confidence-weighted vectors); their vector solves A x = sum of
        the rows. None when no item of the history has a vector."""
        known = [
            (row, weight) for item, weight in history.items() if (row := self.row(item)) is not None
        ]
        if not known:
            return None
        rows = np.array([row for row, _ in known])
        confidence = self.alpha * np.array([weight for _, weight in known])
        vectors = self.vectors[rows]
        size = self.vectors.shape[1]
        system = self.gram + self.regularization * np.eye(size)
        system += (vectors.T * (confidence - 1)) @ vectors
        return system, vectors * confidence[:, None]

    def user_vector(self, history: Mapping[Item, float]) -> np.ndarray | None:
        found = self.person(history)
        if found is None:
            return None
        system, weighted = found
        return np.linalg.solve(system, weighted.sum(axis=0))

    def suggest(
        self, history: Mapping[Item, float], item_type: str, limit: int
    ) -> list[Suggestion]:
        """The ``limit`` items of ``item_type`` with the best predicted preference above 0, best
        first, outside the history; each with the history item that contributes most."""
        found = self.person(history)
        ids, vectors = self.of_type[item_type]
        if found is None or not len(ids):
            return []
        system, weighted = found
        scores = vectors @ np.linalg.solve(system, weighted.sum(axis=0))
        places = self.position[item_type]
        for t, item_id in history:
            if t == item_type and item_id in places:
                scores[places[item_id]] = 0.0
        if len(scores) > limit:  # the best ``limit`` (any order), then only those sorted
            best = np.argpartition(-scores, limit - 1)[:limit]
        else:
            best = np.arange(len(scores))
        order = best[np.lexsort((ids[best], -scores[best]))]  # a tie goes to the smaller id
        order = order[scores[order] > 0]
        if not len(order):
            return []
        # Item j's score is the sum over history items i of c_i y_i' A^-1 y_j: its parts.
        parts = weighted @ np.linalg.solve(system, vectors[order].T)
        history_items = [item for item in history if self.row(item) is not None]
        strongest = parts.argmax(axis=0)
        return [
            Suggestion(int(ids[index]), float(scores[index]), history_items[int(source)])
            for index, source in zip(order, strongest, strict=True)
        ]


_loaded: dict[uuid.UUID, Factors] = {}


def factors_current() -> Factors | None:
    """The latest fit, loaded once per process (one indexed query per call to see whether a
    newer one was stored); None before the first rebuild."""
    version = (
        FactorModel.objects.order_by("-fitted_at", "-pk").values_list("version", flat=True).first()
    )
    if version is None:
        return None
    model = _loaded.get(version)
    if model is None:
        model = Factors(FactorModel.objects.get(version=version))
        _loaded.clear()
        _loaded[version] = model
    return model
