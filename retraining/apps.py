from django.apps import AppConfig


class RetrainingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "retraining"
