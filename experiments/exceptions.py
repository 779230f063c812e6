from core.exceptions import Conflict, NotFound


class ExperimentExists(Conflict):
    code = "experiment_exists"
    message = "An experiment with this key exists."


class ExperimentNotFound(NotFound):
    code = "experiment_not_found"
    message = "No experiment with this key."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "The experiment cannot move to that status from its current one."


class ExperimentFrozen(Conflict):
    code = "experiment_frozen"
    message = (
        "A started experiment's target, variants and weights cannot change, and its "
        "allocation can only grow."
    )


class TargetBusy(Conflict):
    code = "target_busy"
    message = "Another experiment is already running on this target."


class ExperimentRunning(Conflict):
    code = "experiment_running"
    message = "Stop the experiment before deleting it."
