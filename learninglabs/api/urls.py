"""Learning Lab endpoints of API v1, included under ``/api/v1/``.

No app namespace of its own (as ``scheduling.api.urls``): the names carry an ``api-`` prefix so
they stay unique beside the pages' names.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("progress/", views.ProgressPushView.as_view(), name="api-progress"),
]
