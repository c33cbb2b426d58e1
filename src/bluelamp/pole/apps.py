from django.apps import AppConfig


class PoleConfig(AppConfig):
    name = "bluelamp.pole"
    label = "pole"
    verbose_name = "POLE"
