"""Signals of accounts, for the apps above it (which accounts must not import).

``profile_updated`` is sent inside ``user_update``'s transaction, after the change: a receiver
that writes (the feed records ``profile_updated``) commits or rolls back with it.
"""

from django.dispatch import Signal

profile_updated = Signal()  # sender=User, user=<User>, fields=<list of changed field names>
