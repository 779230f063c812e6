"""Signal receivers of the realtime app (connected in ``apps.py``)."""

from functools import partial
from typing import Any

from django.db import transaction


def close_sockets(sender: Any, user_id: int, sid: str | None, **kwargs: Any) -> None:
    """A signed-out session's sockets close once the sign-out commits."""
    from realtime import services

    transaction.on_commit(partial(services.sessions_close, user_id=user_id, session=sid))
