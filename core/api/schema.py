"""OpenAPI: every operation documents the error envelope for the errors it can return."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. `startup_not_found`."
    )
    message = serializers.CharField(help_text="Human-readable message.")
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages for validation errors (400).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
    request_id = serializers.CharField(allow_null=True)


def conflict_response(description: str = "Not allowed in the current state.") -> dict[int, Any]:
    """``responses={**conflict_response()}`` documents a 409 on an operation."""
    return {409: OpenApiResponse(ErrorSerializer, description=description)}


_WRITE_METHODS = {"POST", "PUT", "PATCH"}
_DESCRIPTIONS = {
    "400": "Invalid input: per-field messages in `error.fields`.",
    "401": "Not authenticated, or the token is invalid or expired.",
    "403": "Authenticated but not allowed (wrong role or not the owner).",
    "404": "The object does not exist or is not visible to you.",
    "413": "The request body is too large.",
    "415": "Unsupported media type: send JSON.",
    "429": "Too many requests: retry after `Retry-After` seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _error_statuses(self) -> list[str]:
        statuses = ["401", "429"]
        if self.method in _WRITE_METHODS or self._is_list_view():
            statuses.append("400")
        if self.method != "GET":
            statuses.append("403")
        if "{" in self.path:
            statuses.append("404")
        if self.method in _WRITE_METHODS:
            statuses += ["413", "415"]
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code in self._error_statuses():
            if status_code not in responses:
                response = self._get_response_for_code(ErrorSerializer, status_code)
                response["description"] = _DESCRIPTIONS[status_code]
                responses[status_code] = response
        return responses
