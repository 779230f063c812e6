from typing import Any

from rest_framework import exceptions, serializers
from rest_framework.request import Request

from accounts.models import User


def validate_input(
    serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False
) -> dict[str, Any]:
    """Validate a request body with an input serializer; raises the 400 on bad input."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def request_user(request: Request) -> User:
    """The signed-in user of a view that requires one (typed for the services)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
