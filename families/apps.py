from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    name = "families"
    verbose_name = _("Families")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to publishes and roster imports)
