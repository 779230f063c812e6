from core.exceptions import ApplicationError, NotFound


class InteractionRecordedByServer(ApplicationError):
    """A save, follow or application posted as an interaction: only its own endpoint records
    it (the real row must exist)."""

    code = "interaction_recorded_by_server"


class ItemNotFound(NotFound):
    """``code`` names the item type: ``startup_not_found``, ``opportunity_not_found``."""
