"""Signals of the feed, for the apps above it that learn from what happens.

``event_recorded`` is sent inside the recording transaction, right after the event row is
written: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

event_recorded = Signal()  # sender=ActivityEvent, event=<ActivityEvent>

# An event is fanned out: sent inside the fan-out's transaction, once per event (a repeated
# fan-out finds it done), so what a receiver writes (webhooks: their deliveries, an outbox of
# their own) commits with the fan-out exactly once. sender=ActivityEvent, event=<ActivityEvent>.
event_dispatched = Signal()

# A feed page was served to a person (after it was read; nothing is written by the feed):
# experiments record their exposures, analytics count pages. sender=None, user=<User>,
# personal_share=<float>.
feed_served = Signal()
