from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = "Schools and people"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the session and deactivation receivers)
