from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The search engine, below every app: apps register their indexes with it."""

    name = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from search import engine

        # Once per migrate (Django sends these for each app): sent with this app as sender.
        pre_migrate.connect(engine.before_migrate, sender=self, dispatch_uid="search-pre")
        post_migrate.connect(engine.after_migrate, sender=self, dispatch_uid="search-post")
