from django.urls import path

from recommendations import apis

urlpatterns = [
    path("interactions/", apis.InteractionListApi.as_view(), name="interaction-list"),
]
