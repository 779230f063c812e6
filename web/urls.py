from django.urls import path

from web import views

urlpatterns = [
    path("", views.home, name="web-home"),
    path("sign-in/", views.sign_in, name="web-sign-in"),
    path("sign-up/", views.sign_up, name="web-sign-up"),
    path("discover/", views.discover, name="web-discover"),
    path("roles/", views.roles, name="web-roles"),
    path("startups/<int:startup_id>/", views.startup_detail, name="web-startup"),
    path("startups/new/", views.startup_form, name="web-startup-new"),
    path("startups/<int:startup_id>/edit/", views.startup_form, name="web-startup-edit"),
    path(
        "startups/<int:startup_id>/roles/new/", views.opportunity_form, name="web-opportunity-new"
    ),
    path(
        "opportunities/<int:opportunity_id>/edit/",
        views.opportunity_form,
        name="web-opportunity-edit",
    ),
    path("me/startups/", views.my_startups, name="web-my-startups"),
    path("me/saved/", views.saved, name="web-saved"),
    path("traction/", views.traction, name="web-traction"),
    path("opportunities/<int:opportunity_id>/", views.opportunity_detail, name="web-opportunity"),
    path(
        "opportunities/<int:opportunity_id>/applications/",
        views.applications_board,
        name="web-applications-board",
    ),
    path("me/applications/", views.my_applications, name="web-my-applications"),
    path("me/edit/", views.profile_edit, name="web-profile-edit"),
    path("me/password/", views.password_change, name="web-password-change"),
    path("notifications/", views.notifications, name="web-notifications"),
    path("people/", views.people, name="web-people"),
    path("people/<int:user_id>/", views.person, name="web-person"),
    path("network/", views.network, name="web-network"),
    path("messages/", views.conversations, name="web-conversations"),
    path("messages/<int:user_id>/", views.chat, name="web-chat"),
    # Fragments the pages ask for (htmx): the same templates as the first paint.
    path("_/feed/", views.feed_fragment, name="web-feed-fragment"),
    path("_/discover/", views.discover_fragment, name="web-discover-fragment"),
    path("_/roles/", views.roles_fragment, name="web-roles-fragment"),
    path(
        "_/opportunities/<int:opportunity_id>/candidates/",
        views.candidates_fragment,
        name="web-candidates-fragment",
    ),
    path("_/recommendations/", views.recommendations_fragment, name="web-recommendations-fragment"),
]
