"""URLs of the pictures pages."""

urlpatterns: list = []
