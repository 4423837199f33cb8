"""The admin site. Leaders and network admins use it alongside the product's own pages."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy


class RocketshipAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Rocketship administration")
    site_title = gettext_lazy("Rocketship")
    index_title = gettext_lazy("School data")

    def has_permission(self, request: HttpRequest) -> bool:
        from students.permissions import can_administer

        return request.user.is_active and can_administer(request.user)
