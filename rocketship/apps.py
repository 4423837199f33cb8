from django.contrib.admin.apps import AdminConfig


class RocketshipAdminConfig(AdminConfig):
    """Replaces the default admin site with one whose door is our roles, not ``is_staff``; as
    the project's own app config, it also connects the project's checks and signals."""

    default_site = "rocketship.admin_site.RocketshipAdminSite"

    def ready(self) -> None:
        super().ready()
        # The deploy check and start-up warning for a Redis that keeps nothing on disk.
        from . import redis_persistence  # noqa: F401

        # Every process (web, workers, commands) gives up on a database that does not answer.
        from .db_timeouts import install_database_deadline

        install_database_deadline()
