from django.contrib import admin

from experiments.models import Experiment, Exposure


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "name", "target", "status", "traffic_allocation", "started_at",
                    "ended_at"]  # fmt: skip
    list_filter = ["status", "target"]
    search_fields = ["key", "name"]
    readonly_fields = ["created_at", "updated_at", "started_at", "ended_at", "results"]


@admin.register(Exposure)
class ExposureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["experiment", "user", "variant", "exposed_at"]
    list_filter = ["experiment", "variant"]
    raw_id_fields = ["user"]
