"""Signals of recommendations, for the apps above it that measure what it serves.

``recommendations_served`` is sent when a list is served to a person (the API), never by a
precompute or an evaluation run: experiments record their exposures on it, analytics count
lists served. sender=None, user=<User>, type=<str>, algorithm=<str>, count=<int>.
"""

from django.dispatch import Signal

recommendations_served = Signal()
