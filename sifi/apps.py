from django.apps import AppConfig


class SifiConfig(AppConfig):
    name = "sifi"
    verbose_name = "SiFi core (tenancy and users)"
