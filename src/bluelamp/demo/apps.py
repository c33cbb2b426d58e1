from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "bluelamp.demo"
    label = "demo"
    verbose_name = "Demo scenario and live simulation"
