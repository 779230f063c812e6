from django.urls import path
from rest_framework.routers import SimpleRouter

from startups import apis

router = SimpleRouter()
router.register("startups", apis.StartupViewSet, basename="startup")
router.register("opportunities", apis.OpportunityViewSet, basename="opportunity")
router.register("applications", apis.ApplicationViewSet, basename="application")

urlpatterns = [
    path("saved/", apis.SavedListApi.as_view(), name="saved-list"),
    *router.urls,
]
