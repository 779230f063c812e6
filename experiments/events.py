"""The event of experiments: one ended (completed, or stopped by a guardrail), with its
verdict; private to staff, who are notified."""

from accounts.models import User
from core.events import EventType
from experiments.models import Experiment
from feed.services import event_record

EXPERIMENT_COMPLETED = "experiment_completed"

EVENT_TYPES = [EventType(EXPERIMENT_COMPLETED, "Experiment {name} ended: {verdict}")]


def experiment_completed_record(*, experiment: Experiment, by: User | None = None) -> None:
    staff = list(User.objects.filter(is_staff=True, is_active=True))
    results = experiment.results or {}
    event_record(
        action_type=EXPERIMENT_COMPLETED,
        actor=by,
        target=experiment,
        snapshot={
            "type": "experiment",
            "name": experiment.name,
            "key": experiment.key,
            "status": experiment.status,
            "reason": experiment.end_reason,
            "verdict": results.get("verdict", ""),
            "significant": results.get("significant", False),
            "guardrail_breached": results.get("guardrail_breached", False),
        },
        is_public=False,
        audience=staff,
        recipients=[user.pk for user in staff],
    )
