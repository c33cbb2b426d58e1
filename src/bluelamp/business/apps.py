from django.apps import AppConfig


class BusinessConfig(AppConfig):
    name = "bluelamp.business"
    label = "business"
    verbose_name = "Met Business Services"
