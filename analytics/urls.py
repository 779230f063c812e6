from django.urls import path

from analytics import apis

urlpatterns = [
    path("analytics/dashboard/", apis.DashboardApi.as_view(), name="analytics-dashboard"),
]
