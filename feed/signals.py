"""Signals of the feed, for the apps above it that learn from what happens.

``event_recorded`` is sent inside the recording transaction, right after the event row is
written: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

event_recorded = Signal()  # sender=ActivityEvent, event=<ActivityEvent>

# A feed page was served to a person (after it was read; nothing is written by the feed):
# experiments record their exposures, analytics count pages. sender=None, user=<User>,
# personal_share=<float>.
feed_served = Signal()
