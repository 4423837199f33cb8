"""URLs of the rotation_templates pages: the school's templates, and one template's editor with
the endpoint its live checks post to."""

from django.urls import path

from ..views import rotation_templates as views

urlpatterns = [
    path("schools/<int:school_id>/templates/", views.template_list, name="templates"),
    path(
        "schools/<int:school_id>/templates/<int:template_id>/",
        views.template_edit,
        name="template-edit",
    ),
    path(
        "schools/<int:school_id>/templates/<int:template_id>/validate/",
        views.template_validate,
        name="template-validate",
    ),
]
