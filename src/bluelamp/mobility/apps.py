from django.apps import AppConfig


class MobilityConfig(AppConfig):
    name = "bluelamp.mobility"
    label = "mobility"
    verbose_name = "Smarter Working"
