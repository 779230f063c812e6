"""Writes of experiments: define, start, stop, complete; record exposures; the monitor."""

import logging
from collections import OrderedDict
from datetime import datetime
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.services import model_update
from experiments import events, selectors
from experiments.exceptions import (
    ExperimentExists,
    ExperimentFrozen,
    ExperimentRunning,
    InvalidTransition,
    TargetBusy,
)
from experiments.models import Experiment, ExperimentStatus, Exposure
from realtime.messages import ANALYTICS_GROUP, socket_message
from realtime.services import socket_group_push

logger = logging.getLogger("collabhub.experiments")

EDITABLE_FIELDS = (
    "name",
    "hypothesis",
    "target",
    "variants",
    "traffic_allocation",
    "primary_metric",
    "guardrail_metrics",
    "min_sample_size",
    "duration_days",
)
FROZEN_WHEN_STARTED = frozenset({"target", "variants"})

# Where each move may come from.
_TRANSITIONS: dict[str, set[str]] = {
    ExperimentStatus.RUNNING: {ExperimentStatus.DRAFT},
    ExperimentStatus.STOPPED: {ExperimentStatus.RUNNING},
    ExperimentStatus.COMPLETED: {ExperimentStatus.RUNNING},
}


@transaction.atomic
def experiment_create(*, by: User, data: dict[str, Any]) -> Experiment:
    """``data`` is checked by the API's input serializer (targets, variants, metrics)."""
    if Experiment.objects.filter(key=data["key"]).exists():
        raise ExperimentExists()
    experiment = Experiment(created_by=by, key=data["key"])
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(experiment, field, data[field])
    experiment.full_clean(exclude=["key"])
    try:
        with transaction.atomic():
            experiment.save()
    except IntegrityError as exc:  # the same key, created at the same moment
        raise ExperimentExists() from exc
    _shown(experiment)
    return experiment


@transaction.atomic
def experiment_update(*, experiment: Experiment, data: dict[str, Any]) -> Experiment:
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != ExperimentStatus.DRAFT:
        frozen = [f for f in FROZEN_WHEN_STARTED if f in data and data[f] != getattr(experiment, f)]
        # The allocation may grow (everyone in stays on their variant), never shrink.
        if data.get("traffic_allocation", experiment.traffic_allocation) < (
            experiment.traffic_allocation
        ):
            frozen.append("traffic_allocation")
        if frozen:
            raise ExperimentFrozen(fields={field: ["Frozen once started."] for field in frozen})
    if model_update(instance=experiment, fields=EDITABLE_FIELDS, data=data):
        _shown(experiment)
    return experiment


@transaction.atomic
def experiment_delete(*, experiment: Experiment) -> None:
    if experiment.status == ExperimentStatus.RUNNING:
        raise ExperimentRunning()
    key = experiment.key
    experiment.delete()
    transaction.on_commit(partial(_send, {"key": key, "status": "deleted"}), robust=True)


def _move(experiment: Experiment, to: str) -> Experiment:
    locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if locked.status not in _TRANSITIONS[to]:
        raise InvalidTransition(f"A {locked.status} experiment cannot become {to}.")
    locked.status = to
    return locked


@transaction.atomic
def experiment_start(*, experiment: Experiment) -> Experiment:
    experiment = _move(experiment, ExperimentStatus.RUNNING)
    experiment.started_at = timezone.now()
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at", "updated_at"])
    except IntegrityError as exc:  # the database keeps one running experiment per target
        raise TargetBusy() from exc
    _shown(experiment)
    return experiment


@transaction.atomic
def experiment_end(
    *, experiment: Experiment, status: str, reason: str, by: User | None = None
) -> Experiment:
    """Stop (by staff, or a breached guardrail) or complete it: the results are kept as they
    were at its end, and staff are told by an ``experiment_completed`` event."""
    experiment = _move(experiment, status)
    experiment.ended_at = timezone.now()
    experiment.end_reason = reason[:200]
    experiment.results = selectors.experiment_results(experiment=experiment)
    experiment.save(update_fields=["status", "ended_at", "end_reason", "results", "updated_at"])
    events.experiment_completed_record(experiment=experiment, by=by)
    _shown(experiment, experiment.results)
    return experiment


def experiments_monitor(*, now: datetime | None = None) -> list[str]:
    """Every running experiment: stopped when a guardrail is breached, completed at its end
    date, or early when its primary metric is significant with ``min_sample_size`` reached
    in every variant. Returns what it did, one line each."""
    now = now or timezone.now()
    done = []
    for experiment in Experiment.objects.filter(status=ExperimentStatus.RUNNING):
        try:
            results = selectors.experiment_results(experiment=experiment)
            decision = _monitor_decision(experiment, now, results)
            if decision is None:
                _shown(experiment, results, only_if_moved=True)
                continue
            status, reason = decision
            experiment_end(experiment=experiment, status=status, reason=reason)
        except Exception:  # one experiment (stopped meanwhile, a bad row) holds up no other
            logger.exception("experiment not monitored", extra={"experiment": experiment.key})
            continue
        logger.info("experiment ended", extra={"experiment": experiment.key, "reason": reason})
        done.append(f"{experiment.key}: {status} ({reason})")
    return done


def _monitor_decision(
    experiment: Experiment, now: datetime, results: dict[str, Any]
) -> tuple[str, str] | None:
    """Stop on a guardrail, complete at the end date or when significant; with a sample
    ratio mismatch the results are not trusted: it only ends at its date (and says why)."""
    ends_at = experiment.ends_at
    trusted = not results["sample_ratio_mismatch"]["flagged"]
    enough = results["min_sample_size_reached"]
    if trusted and enough and results["guardrail_breached"]:
        breached = ", ".join(results["guardrails_breached"])
        return ExperimentStatus.STOPPED, f"guardrail breached: {breached}"
    if ends_at is not None and now >= ends_at:
        reason = "reached its end date" + ("" if trusted else " (sample ratio mismatch)")
        return ExperimentStatus.COMPLETED, reason
    if trusted and enough and results["significant"]:
        return ExperimentStatus.COMPLETED, "significant early"
    if not trusted:
        logger.warning("experiment has a sample ratio mismatch", extra={"key": experiment.key})
    return None


# --- the live dashboard -------------------------------------------------------------------
SHOWN_KEY = "experiments:shown:{key}"  # the summary staff were last shown


def _send(summary: dict[str, Any]) -> None:
    message = socket_message(type="experiment_update", id=None, data=summary)
    socket_group_push(group=ANALYTICS_GROUP, message=message)


def _shown(
    experiment: Experiment, results: dict[str, Any] | None = None, *, only_if_moved: bool = False
) -> None:
    """Staff watching the live dashboard get the experiment's row once the change commits
    (computed then: outside the write's transaction and its row lock). With
    ``only_if_moved``, only if it differs from the last row pushed: the monitor looks every
    10 minutes, and says something only when the results moved."""

    def pushed() -> None:
        summary = selectors.experiment_summary(
            experiment=experiment,
            results=results or selectors.experiment_results(experiment=experiment),
        )
        key = SHOWN_KEY.format(key=experiment.key)
        if only_if_moved and cache.get(key) == summary:
            return
        cache.set(key, summary, timeout=7 * 24 * 3600)
        _send(summary)

    transaction.on_commit(pushed, robust=True)


# --- exposures ---------------------------------------------------------------------------
SEEN_MAX = 100_000  # (experiment, user) pairs this process knows are recorded
_seen: "OrderedDict[tuple[int, int], None]" = OrderedDict()


def exposures_seen_clear() -> None:
    _seen.clear()


def exposure_record(*, target: str, user: User) -> Exposure | None:
    """The person was just served by ``target``: if they are in its running experiment,
    record their first exposure (once: the database enforces it; this process skips the
    write for people it has recorded). A failed write is logged, never the request's error."""
    assigned = selectors.variant_get(target=target, user=user)
    if assigned is None:
        return None
    running, variant = assigned
    pair = (running.id, user.pk)
    if pair in _seen:
        return None
    try:
        exposure, _ = Exposure.objects.get_or_create(
            experiment_id=running.id, user=user, defaults={"variant": variant["key"]}
        )
    except (DatabaseError, IntegrityError):
        logger.warning("exposure not recorded", extra={"experiment": running.key}, exc_info=True)
        return None
    transaction.on_commit(partial(_remember, pair))  # not if the caller's transaction fails
    return exposure


def _remember(pair: tuple[int, int]) -> None:
    _seen[pair] = None
    if len(_seen) > SEEN_MAX:
        _seen.popitem(last=False)
