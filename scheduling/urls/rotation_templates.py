"""URLs of the rotation_templates pages."""

urlpatterns: list = []
