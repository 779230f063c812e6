"""Signals of accounts, for the apps above it (which accounts must not import).

``profile_updated`` is sent inside ``user_update``'s transaction, after the change: a receiver
that writes (the feed records ``profile_updated``) commits or rolls back with it.
"""

from django.dispatch import Signal

profile_updated = Signal()  # sender=User, user=<User>, fields=<list of changed field names>
# A sign-in session ended: ``sid`` signed out, or None for every session of the person (a
# password change). Sent inside the transaction that ends it; the feed closes those sockets.
sessions_ended = Signal()  # sender=User, user_id=<int>, sid=<str | None>
