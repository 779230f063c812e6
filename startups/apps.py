from django.apps import AppConfig


class StartupsConfig(AppConfig):
    name = "startups"

    def ready(self) -> None:
        from observability.metrics import business_metric_register
        from search.cache import invalidate_on_write
        from startups import search  # noqa: F401 - registers the search indexes
        from startups.models import Application, Opportunity, OpportunityStatus, Startup

        invalidate_on_write(Startup)
        invalidate_on_write(Opportunity)

        business_metric_register("startups", Startup.objects.count, "Startups.")
        business_metric_register("opportunities", Opportunity.objects.count, "Opportunities.")
        business_metric_register("applications", Application.objects.count, "Applications.")

        def active_items() -> int:
            # A startup has no closed state: every one is listed; an opportunity while open.
            open_roles = Opportunity.objects.filter(status=OpportunityStatus.OPEN).count()
            return Startup.objects.count() + open_roles

        business_metric_register(
            "active_items",
            active_items,
            "Items people can act on: startups (all listed) plus open opportunities.",
            prefixed=False,
        )
