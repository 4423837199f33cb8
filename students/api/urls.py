from django.urls import path
from rest_framework.routers import DefaultRouter

from . import roster_imports, views

router = DefaultRouter()
router.register("schools", views.SchoolViewSet)
router.register("grades", views.GradeViewSet)
router.register("cohorts", views.CohortViewSet)
router.register("students", views.StudentViewSet)
router.register("service-needs", views.ServiceNeedViewSet)
router.register("staff", views.StaffViewSet)

app_name = "api"
urlpatterns = [
    *router.urls,
    path(
        "networks/<int:network_id>/roster-imports/",
        roster_imports.RosterImportsView.as_view(),
        name="api-roster-imports",
    ),
    path(
        "networks/<int:network_id>/roster-imports/<int:import_id>/",
        roster_imports.RosterImportView.as_view(),
        name="api-roster-import",
    ),
    path(
        "networks/<int:network_id>/roster-imports/<int:import_id>/apply/",
        roster_imports.RosterImportApplyView.as_view(),
        name="api-roster-import-apply",
    ),
]
