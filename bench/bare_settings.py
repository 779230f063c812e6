"""Settings of the bench's "ours vs bare DRF" server (``bench/run.py --cases bare``): the
project's, with ``bench/bare_urls.py`` as the URLconf. Selected by the server's environment
(``DJANGO_SETTINGS_MODULE=bare_settings``, ``bench/`` on ``PYTHONPATH``); nothing else uses it.
"""

from collabhub.settings import *  # noqa: F403

ROOT_URLCONF = "bare_urls"
