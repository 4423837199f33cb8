"""URLs of the config pages."""

urlpatterns: list = []
