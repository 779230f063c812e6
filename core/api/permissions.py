"""Who may read the API's own description (the OpenAPI schema and the Swagger UI)."""

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiDocsVisible(BasePermission):
    """Everyone in DEBUG or with ``PUBLIC_API_DOCS``; otherwise staff only (session or JWT).
    Read per request, so a settings override applies at once."""

    message = "The API documentation is for staff."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if settings.DEBUG or settings.PUBLIC_API_DOCS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
