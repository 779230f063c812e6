from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web app: pages people use in a browser. Its views only render (reading through the
    apps' selectors); every action goes through the REST API and ``/ws/`` like any client's.
    Nobody imports it."""

    name = "web"
