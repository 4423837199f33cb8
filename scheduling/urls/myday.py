"""URLs of the myday pages."""

urlpatterns: list = []
