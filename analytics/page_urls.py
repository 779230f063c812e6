from django.urls import path

from analytics import views

urlpatterns = [path("", views.dashboard_page, name="analytics-page")]
