"""The Celery application. Without a broker (the embedded default) tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")

app = Celery("collabhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
