from django.urls import path

from analytics import apis

urlpatterns = [
    path("trending/", apis.TrendingApi.as_view(), name="trending"),
    path("analytics/dashboard/", apis.DashboardApi.as_view(), name="analytics-dashboard"),
    path("analytics/insights/", apis.InsightListApi.as_view(), name="analytics-insights"),
    path(
        "analytics/insights/<int:user_id>/",
        apis.UserInsightApi.as_view(),
        name="analytics-user-insights",
    ),
]
