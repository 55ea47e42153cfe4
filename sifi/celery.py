"""The Celery app `sifi` (`celery -A sifi worker`, `celery -A sifi beat`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifi.settings")

app = Celery("sifi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
