from django.contrib.admin.apps import AdminConfig


class RocketshipAdminConfig(AdminConfig):
    """Replaces the default admin site with one whose door is our roles, not ``is_staff``."""

    default_site = "rocketship.admin_site.RocketshipAdminSite"
