from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The search engine, below every app: apps register their indexes and search groups."""

    name = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from observability.cache import cache_name_register
        from search import schema

        # Ranked results; the version number every search reads first is bookkeeping.
        cache_name_register("search:", "search")
        cache_name_register("search:version", "search_meta")

        # Once per migrate (Django sends these for each app): sent with this app as sender.
        pre_migrate.connect(schema.before_migrate, sender=self, dispatch_uid="search-pre")
        post_migrate.connect(schema.after_migrate, sender=self, dispatch_uid="search-post")
