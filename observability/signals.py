"""Signals of observability, for the apps above that keep their own figures (analytics).

``request_measured`` is sent once per request after the response is made: sender=None,
route=<template or None>, method=<str>, status=<int>, seconds=<float>, user_id=<int or None>.
A receiver must be quick and must not raise: it runs on every request.
"""

from django.dispatch import Signal

request_measured = Signal()
