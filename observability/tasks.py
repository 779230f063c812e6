"""Celery: the request ID travels with every task published during a request.

``before_task_publish`` puts the current ID in the message headers; the worker sets it in the
context variable for the task's run, so every log line of the task carries it.
"""

from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from observability.context import request_id_get, request_id_var

HEADER = "request_id"
_tokens: dict[str, Any] = {}


@before_task_publish.connect
def _add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_get()
    if headers is not None and request_id and not headers.get(HEADER):
        headers[HEADER] = request_id


@task_prerun.connect
def _enter_request_id(task_id: str, task: Any, **kwargs: Any) -> None:
    request_id = getattr(task.request, HEADER, None) or (task.request.headers or {}).get(HEADER)
    if request_id:
        _tokens[task_id] = request_id_var.set(request_id)


@task_postrun.connect
def _leave_request_id(task_id: str, **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
