"""URLs of the roster import pages; the project's urls include them at the root."""

from django.urls import path

from . import roster_views

urlpatterns = [
    path(
        "networks/<int:network_id>/roster-imports/",
        roster_views.roster_imports,
        name="roster-imports",
    ),
    path(
        "networks/<int:network_id>/roster-imports/<int:import_id>/",
        roster_views.roster_import,
        name="roster-import",
    ),
    path(
        "networks/<int:network_id>/roster-imports/<int:import_id>/apply/",
        roster_views.roster_import_apply_view,
        name="roster-import-apply",
    ),
    path(
        "networks/<int:network_id>/roster-imports/<int:import_id>/cohorts/",
        roster_views.roster_import_cohorts,
        name="roster-import-cohorts",
    ),
]
