"""URLs of the family pages, their sign-in and their JSON endpoints."""

from django.urls import path

from . import language_views, notice_views
from .views import api as family_api
from .views import leader as family_leader
from .views import pages as family_pages
from .views import signin as family_signin

urlpatterns: list = [
    # Joining and signing in (issue 21 item 1; families.views.signin).
    path("family/join/", family_signin.join_by_code, name="family-join-code"),
    path("family/join/continue/", family_signin.join_continue, name="family-join-continue"),
    path("family/join/<str:token>/", family_signin.join_by_token, name="family-join"),
    path("family/sign-in/", family_signin.sign_in, name="family-sign-in"),
    path("family/sign-in/<str:token>/", family_signin.sign_in_by_link, name="family-sign-in-link"),
    path("family/sign-out/", family_signin.sign_out, name="family-sign-out"),
    # A leader's invitations (families.views.leader): not family-* names, staff pages.
    path(
        "schools/<int:school_id>/families/",
        family_leader.school_families,
        name="school-families",
    ),
    path(
        "schools/<int:school_id>/families/invite/",
        family_leader.school_families_invite_all,
        name="school-families-invite-all",
    ),
    path(
        "schools/<int:school_id>/families/<int:guardian_id>/invite/",
        family_leader.school_family_invite,
        name="school-family-invite",
    ),
    path("family/language/", language_views.choose_language, name="family-language"),
    # Messages about changes (issue 21 item 4): settings, and the emails' unsubscribe link.
    path("family/settings/", notice_views.family_settings, name="family-settings"),
    path(
        "family/unsubscribe/<str:token>/",
        notice_views.family_unsubscribe,
        name="family-unsubscribe",
    ),
    # The family page (issue 21): a guardian's children, one child's day and week.
    path("family/", family_pages.family_home, name="family-home"),
    path("family/children/<int:student_id>/", family_pages.family_child, name="family-child"),
    path(
        "family/children/<int:student_id>/week/",
        family_pages.family_child_week,
        name="family-child-week",
    ),
    path("family/api/children/", family_api.children_list, name="family-api-children"),
    path(
        "family/api/children/<int:student_id>/day/",
        family_api.child_day_json,
        name="family-api-child-day",
    ),
    path(
        "family/api/children/<int:student_id>/progress/",
        family_api.child_progress_json,
        name="family-api-child-progress",
    ),
]
