"""Signals any app may send, for the apps above that learn from them (analytics counts views
for trending). Sending one costs nothing when nobody listens; nobody below is told who does.
"""

from django.dispatch import Signal

# Someone opened one item's detail (the API's retrieve, a web page), after it was found and
# shown: sender=<the item's model>, instance=<the item>, viewer=<User | AnonymousUser>. Not
# an event (nothing is stored by the sender) and never sent for a 404.
object_viewed = Signal()
