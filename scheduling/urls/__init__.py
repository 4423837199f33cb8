"""The scheduling pages, one module per area; each module owns its ``urlpatterns``."""

from . import (
    builds,
    config,
    exports,
    feeds,
    myday,
    nights,
    pictures,
    rotation_templates,
    school_home,
)

urlpatterns = [
    *school_home.urlpatterns,
    *config.urlpatterns,
    *rotation_templates.urlpatterns,
    *builds.urlpatterns,
    *nights.urlpatterns,
    *pictures.urlpatterns,
    *exports.urlpatterns,
    *myday.urlpatterns,
    *feeds.urlpatterns,
]
