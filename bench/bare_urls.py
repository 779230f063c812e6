"""The project's URLs plus bare DRF's views of the same rows under ``/api/v1/_bare/`` (from
``bench/rest.py``), for ``bench/bare_settings.py`` only. The production URLconf is unchanged."""

from django.urls import include, path
from rest import bare_urlpatterns

from collabhub import urls

# Matched first, as in bench/rest.py (the web app's URLs take every other path).
urlpatterns = [path("api/v1/_bare/", include(bare_urlpatterns())), *urls.urlpatterns]

handler400 = urls.handler400
handler403 = urls.handler403
handler404 = urls.handler404
handler500 = urls.handler500
