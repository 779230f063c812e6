from django.urls import path

from recommendations import apis

urlpatterns = [
    path("interactions/", apis.InteractionListApi.as_view(), name="interaction-list"),
    path("recommendations/", apis.RecommendationListApi.as_view(), name="recommendation-list"),
    path("recommendations/rules/", apis.RuleListApi.as_view(), name="recommendation-rules"),
    path("recommendations/refresh/", apis.RefreshApi.as_view(), name="recommendation-refresh"),
]
