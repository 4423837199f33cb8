from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import health
from .login_guard import LimitedPasswordResetView

# The API first: its clients poll, and Django tries patterns in order, so an API request no
# longer walks every page's pattern first (about 60, a tenth of a millisecond). No page path
# starts with api/, so the order changes no match.
urlpatterns = [
    path("api/v1/", include("students.api.urls")),
    path("api/v1/", include("scheduling.api.urls")),
    path("api/v1/", include("scheduling.api.feed_urls")),
    path("api/v1/", include("learninglabs.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script from its own URL (?script), not inline: the CSP allows none.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("students.urls")),
    path("", include("students.roster_urls")),
    path("", include("scheduling.urls")),
    path("", include("learninglabs.urls")),
    path("", include("learninglabs.import_urls")),
    path("", include("families.urls")),
    path("", include("families.visit_urls")),  # home visits (issue 22)
    # Before Django's auth URLs: the same form, limited per address and email (login_guard).
    path("accounts/password_reset/", LimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]

# Problem JSON under /api/, the HTML pages elsewhere (rocketship.api_errors).
handler400 = "rocketship.api_errors.handler400"
handler403 = "rocketship.api_errors.handler403"
handler404 = "rocketship.api_errors.handler404"
handler500 = "rocketship.api_errors.handler500"
