"""Reads of experiments: the running one of each target (cached in the process: the hooks
run on every feed page and recommendations list), assignment, and the results."""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from experiments import statistics
from experiments.assignment import variant_assign
from experiments.metrics import METRICS
from experiments.models import Experiment, ExperimentStatus, Exposure
from feed.models import ActivityEvent

logger = logging.getLogger("collabhub.experiments")

RUNNING_TTL = 15.0  # seconds another process may serve an experiment after it stopped
ALPHA = 0.05


def experiment_list() -> QuerySet[Experiment]:
    return Experiment.objects.select_related("created_by")


@dataclass(frozen=True)
class Running:
    """What assignment needs of a running experiment: no query per request."""

    id: int
    key: str
    variants: list[dict[str, Any]]
    traffic_allocation: int


_running: dict[str, Running] = {}
_running_at = float("-inf")
_lock = threading.Lock()


def running_cache_clear() -> None:
    global _running_at
    with _lock:
        _running_at = float("-inf")


def running_experiment_get(*, target: str) -> Running | None:
    """The running experiment on ``target``, from a list read at most every ``RUNNING_TTL``
    seconds per process (this process forgets it at once when it changes one)."""
    global _running, _running_at
    if time.monotonic() - _running_at > RUNNING_TTL:  # read outside the lock: no thread waits
        try:
            rows = list(
                Experiment.objects.filter(status=ExperimentStatus.RUNNING).values_list(
                    "pk", "key", "target", "variants", "traffic_allocation"
                )
            )
        except DatabaseError:  # the default for everyone rather than a failed feed page
            logger.warning("running experiments not read; serving defaults", exc_info=True)
            rows = []
        fresh = {
            t: Running(pk, key, variants, allocation) for pk, key, t, variants, allocation in rows
        }
        with _lock:
            _running, _running_at = fresh, time.monotonic()
    return _running.get(target)


def variant_get(*, target: str, user: User) -> tuple[Running, dict[str, Any]] | None:
    """The running experiment on ``target`` and the variant this person sees in it; None
    when none runs or they are outside its allocation (they get the default)."""
    running = running_experiment_get(target=target)
    if running is None or not getattr(user, "pk", None):
        return None
    variant = variant_assign(
        key=running.key,
        variants=running.variants,
        traffic_allocation=running.traffic_allocation,
        user_id=user.pk,
    )
    return (running, variant) if variant is not None else None


# --- results ---------------------------------------------------------------------------------
def _conversions(experiment: Experiment, metric: str, until: datetime | None) -> dict[str, int]:
    """Per variant, how many exposed people did one of the metric's actions after exposure."""
    acted = ActivityEvent.objects.filter(
        actor_id=OuterRef("user_id"),
        action_type__in=METRICS[metric].actions,
        created_at__gte=OuterRef("exposed_at"),
    )
    if until is not None:
        acted = acted.filter(created_at__lte=until)
    rows = (
        Exposure.objects.filter(experiment=experiment)
        .annotate(converted=Exists(acted))
        .filter(converted=True)
        .values("variant")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["variant"]: row["n"] for row in rows}


def _control(variants: list[dict[str, Any]]) -> dict[str, Any]:
    return next((v for v in variants if v["key"] == "control"), variants[0])


def _metric_results(
    experiment: Experiment, metric: str, exposures: dict[str, int], until: datetime | None
) -> dict[str, Any]:
    converted = _conversions(experiment, metric, until)
    variants = experiment.variants
    control = _control(variants)
    c_key = control["key"]
    rows = []
    for variant in variants:
        key = variant["key"]
        n, k = exposures.get(key, 0), converted.get(key, 0)
        row: dict[str, Any] = {
            "key": key,
            "weight": variant["weight"],
            "exposures": n,
            "converted": k,
            "conversion_rate": k / n if n else 0.0,
            "is_control": key == c_key,
            "absolute_lift": None,
            "absolute_lift_ci": None,
            "relative_lift": None,
            "relative_lift_ci": None,
            "p_value": None,
        }
        if key != c_key:
            comparison = statistics.proportion_difference(
                conversions=k,
                exposures=n,
                control_conversions=converted.get(c_key, 0),
                control_exposures=exposures.get(c_key, 0),
            )
            row.update(
                absolute_lift=comparison.absolute_lift,
                absolute_lift_ci=list(comparison.absolute_ci),
                relative_lift=comparison.relative_lift,
                relative_lift_ci=(
                    list(comparison.relative_ci) if comparison.relative_ci is not None else None
                ),
                p_value=comparison.p_value,
            )
        rows.append(row)
    if len(rows) == 2:
        test = "two-proportion z-test"
        p_value = next(r["p_value"] for r in rows if r["p_value"] is not None)
    else:
        table = [(r["converted"], r["exposures"] - r["converted"]) for r in rows]
        test = "chi-square"
        p_value = statistics.chi_square_independence(table=table).p_value
    return {"metric": metric, "test": test, "p_value": p_value, "variants": rows}


def _verdict(experiment: Experiment, primary: dict[str, Any], results: dict[str, Any]) -> str:
    if results["sample_ratio_mismatch"]["flagged"]:
        return (
            "Sample ratio mismatch: the split does not match the weights; do not trust the results."
        )
    if results["guardrail_breached"]:
        return f"A guardrail metric ({', '.join(results['guardrails_breached'])}) got worse."
    if not results["min_sample_size_reached"]:
        return "Not enough data yet: keep it running."
    if not results["significant"]:
        return f"No significant difference in {primary['metric']} (p = {primary['p_value']:.3f})."
    others = [row for row in primary["variants"] if not row["is_control"]]
    best = max(others, key=lambda row: row["absolute_lift"] or 0.0)
    # With more than two variants the overall test says only that they differ: a variant is
    # named only if it beats control on its own, at a level corrected for the comparisons.
    corrected = ALPHA / len(others)
    if len(others) > 1 and not (best["p_value"] is not None and best["p_value"] < corrected):
        return (
            f"The variants differ on {primary['metric']} (p = {primary['p_value']:.3g}), but "
            f"none differs from control alone at p < {corrected:.3g}."
        )
    lift = best["relative_lift"]
    change = f"{lift:+.1%}" if lift is not None else f"{best['absolute_lift']:+.3f}"
    direction = "beats" if (best["absolute_lift"] or 0) > 0 else "loses to"
    p_value, metric = primary["p_value"], primary["metric"]
    return f"{best['key']} {direction} control on {metric} ({change}, p = {p_value:.3g})."


def experiment_results(*, experiment: Experiment) -> dict[str, Any]:
    """Exposures and conversions per variant, lift vs control with a 95 % interval, the
    p-value (z-test for two variants, chi-square for more), the sample-ratio check, the
    guardrails and a one-line verdict."""
    until = experiment.ended_at
    exposures = {
        row["variant"]: row["n"]
        for row in Exposure.objects.filter(experiment=experiment)
        .values("variant")
        .annotate(n=Count("pk"))
        .order_by()
    }
    primary = _metric_results(experiment, experiment.primary_metric, exposures, until)
    srm = statistics.sample_ratio_mismatch(
        observed=[exposures.get(v["key"], 0) for v in experiment.variants],
        weights=[v["weight"] for v in experiment.variants],
    )
    guardrails = [
        _metric_results(experiment, metric, exposures, until)
        for metric in experiment.guardrail_metrics
    ]
    breached = [
        guardrail["metric"]
        for guardrail in guardrails
        if any(
            row["p_value"] is not None and row["p_value"] < ALPHA and row["absolute_lift"] < 0
            for row in guardrail["variants"]
        )
    ]
    results: dict[str, Any] = {
        "key": experiment.key,
        "status": experiment.status,
        "computed_at": timezone.now().isoformat(),
        "primary_metric": experiment.primary_metric,
        "alpha": ALPHA,
        "exposures": sum(exposures.values()),
        "test": primary["test"],
        "p_value": primary["p_value"],
        "significant": primary["p_value"] < ALPHA,
        "variants": primary["variants"],
        "min_sample_size_reached": all(
            exposures.get(v["key"], 0) >= experiment.min_sample_size for v in experiment.variants
        ),
        "sample_ratio_mismatch": {
            "statistic": srm.statistic,
            "p_value": srm.p_value,
            "flagged": srm.p_value < statistics.SRM_ALPHA,
        },
        "guardrails": guardrails,
        "guardrails_breached": breached,
        "guardrail_breached": bool(breached),
    }
    results["verdict"] = _verdict(experiment, primary, results)
    return results


def experiment_summary(*, experiment: Experiment, results: dict[str, Any]) -> dict[str, Any]:
    """One row of the live dashboard's experiments table (an ``experiment_update``): its
    status, and the primary metric's best lift against control, p-value and verdict."""
    others = [row for row in results["variants"] if not row["is_control"]]
    best = max(others, key=lambda row: row["absolute_lift"] or 0.0) if others else None
    return {
        "key": experiment.key,
        "name": experiment.name,
        "target": experiment.target,
        "status": experiment.status,
        "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
        "ended_at": experiment.ended_at.isoformat() if experiment.ended_at else None,
        "end_reason": experiment.end_reason,
        "primary_metric": experiment.primary_metric,
        "exposures": results["exposures"],
        "leader": best["key"] if best else None,
        "relative_lift": best["relative_lift"] if best else None,
        "p_value": results["p_value"],
        "significant": results["significant"],
        "guardrail_breached": results["guardrail_breached"],
        "sample_ratio_mismatch": results["sample_ratio_mismatch"]["flagged"],
        "verdict": results["verdict"],
    }
