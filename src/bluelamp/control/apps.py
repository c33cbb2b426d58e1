from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "bluelamp.control"
    label = "control"
    verbose_name = "Command and Control"
