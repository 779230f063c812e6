from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], AbstractContextManager[Any]]:
    """``with committed(): ...`` runs what would run after commit (the fan-out), as a real
    commit would; the test itself stays inside its rolled-back transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
