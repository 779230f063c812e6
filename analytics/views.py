"""The live dashboard page for staff (session sign-in, as in the admin). It only renders: its
script reads the same staff API as any client (``/api/v1/analytics/...``) and listens on the
same socket (``/ws/``), where staff's sockets get ``metric_update``, ``experiment_update`` and
``system_alert`` (``analytics.live``)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from analytics.selectors import RANGES


@require_GET
@staff_member_required(login_url="admin:login")
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Signed-out people and people who are not staff are sent to the admin's sign-in."""
    return render(request, "analytics/dashboard.html", {"ranges": list(RANGES)})
