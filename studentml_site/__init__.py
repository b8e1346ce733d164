"""The studentml Django project: settings, URLs, the Celery app and the Mongo connection."""

from studentml_site.celery import app as celery_app

__all__ = ["celery_app"]
