"""URLs of the builds pages."""

urlpatterns: list = []
