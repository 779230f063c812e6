"""Demo data: realistic, deterministic users, startups, opportunities, applications and saves
(``manage.py seed_demo``), from hand-written vocabularies (``demo.vocabulary``)."""
