from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "bluelamp.online"
    label = "online"
    verbose_name = "Single Online Home"
