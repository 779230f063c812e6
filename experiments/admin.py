from typing import Any

from django.contrib import admin

from experiments.models import Experiment, ExperimentStatus, Exposure


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "name", "target", "status", "traffic_allocation", "started_at",
                    "ended_at"]  # fmt: skip
    list_filter = ["status", "target"]
    search_fields = ["key", "name"]
    readonly_fields = ["created_at", "updated_at", "started_at", "ended_at", "results"]

    def get_readonly_fields(self, request: Any, obj: Experiment | None = None) -> Any:
        """Started: its lifecycle and variants move only through the API (start, stop, the
        monitor), which keep the rules, the results and the staff notification."""
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != ExperimentStatus.DRAFT:
            fields += ["key", "target", "variants", "traffic_allocation", "status"]
        return fields


@admin.register(Exposure)
class ExposureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["experiment", "user", "variant", "exposed_at"]
    list_filter = ["experiment", "variant"]
    raw_id_fields = ["user"]
