from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for ``make run`` and the recommendations' offline evaluation."""

    name = "demo"
