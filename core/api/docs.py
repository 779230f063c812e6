"""The OpenAPI schema and Swagger UI views, with errors in the API's JSON envelope."""

from typing import Any

from django.http import HttpRequest
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response


class _JSONErrors:
    """An error (401/403 from ApiDocsVisible) is rendered as JSON, whatever the view's own
    renderer (the Swagger UI's is HTML, the schema's YAML)."""

    def finalize_response(
        self, request: HttpRequest, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if getattr(response, "exception", False) and isinstance(request, Request):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class SchemaView(_JSONErrors, SpectacularAPIView):
    pass


class SwaggerView(_JSONErrors, SpectacularSwaggerSplitView):
    """The Swagger UI as a page plus its own script (``?script``): no inline script, so it
    runs under the Content-Security-Policy."""
