"""Request bodies checked by an input serializer: the one way views validate input."""

from typing import Any

from rest_framework import serializers


def validate_input(
    serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False
) -> dict[str, Any]:
    """Validate a request body with an input serializer; raises the 400 on bad input."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
