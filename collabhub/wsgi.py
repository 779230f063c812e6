"""WSGI entry point: production HTTP is served by gunicorn workers from here."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")

application = get_wsgi_application()
