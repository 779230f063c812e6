from django.contrib import admin

from analytics.models import Rollup


@admin.register(Rollup)
class RollupAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["metric", "granularity", "bucket", "dimension", "count"]
    list_filter = ["granularity", "metric"]
    date_hierarchy = "bucket"
