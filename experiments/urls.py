from django.urls import path

from experiments import apis

urlpatterns = [
    path("analytics/experiments/", apis.ExperimentListApi.as_view(), name="experiment-list"),
    path(
        "analytics/experiments/<slug:key>/",
        apis.ExperimentDetailApi.as_view(),
        name="experiment-detail",
    ),
    path(
        "analytics/experiments/<slug:key>/start/",
        apis.ExperimentStartApi.as_view(),
        name="experiment-start",
    ),
    path(
        "analytics/experiments/<slug:key>/stop/",
        apis.ExperimentStopApi.as_view(),
        name="experiment-stop",
    ),
    path(
        "analytics/experiments/<slug:key>/results/",
        apis.ExperimentResultsApi.as_view(),
        name="experiment-results",
    ),
]
