from django.apps import AppConfig


class LearningLabsConfig(AppConfig):
    name = "learninglabs"
    verbose_name = "Learning Labs"
