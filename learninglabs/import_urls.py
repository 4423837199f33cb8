"""URLs of the progress import pages; the project's urls include them at the root."""

from django.urls import path

from . import import_views

urlpatterns = [
    path(
        "schools/<int:school_id>/progress/imports/",
        import_views.progress_imports,
        name="progress-imports",
    ),
    path(
        "schools/<int:school_id>/progress/imports/<int:import_id>/",
        import_views.progress_import_status,
        name="progress-import-status",
    ),
]
