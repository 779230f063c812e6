"""No models: the search indexes are columns, triggers and virtual tables that migrations of
the apps owning the rows build (``search.schema.SearchIndexOperation``). This module exists so
Django sends this app the migrate signals (it skips apps without one)."""
