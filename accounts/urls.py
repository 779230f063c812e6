from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import apis

router = SimpleRouter()
router.register("users", apis.UserViewSet, basename="user")

urlpatterns = [
    path("auth/register/", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/login/", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("auth/session/", apis.SessionApi.as_view(), name="auth-session"),
    path("auth/me/", apis.MeApi.as_view(), name="auth-me"),
    path("auth/password/", apis.PasswordChangeApi.as_view(), name="auth-password"),
    *router.urls,
]
