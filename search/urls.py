from django.urls import path

from search import apis

urlpatterns = [
    path("search/", apis.SearchApi.as_view(), name="search"),
    path("search/backend/", apis.SearchBackendApi.as_view(), name="search-backend"),
]
