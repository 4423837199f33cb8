"""The admin site. Leaders and network admins use it alongside the product's own pages."""

from django.contrib import admin
from django.http import HttpRequest


class RocketshipAdminSite(admin.AdminSite):
    site_header = "Rocketship administration"
    site_title = "Rocketship"
    index_title = "School data"

    def has_permission(self, request: HttpRequest) -> bool:
        from students.permissions import can_administer

        return request.user.is_active and can_administer(request.user)
