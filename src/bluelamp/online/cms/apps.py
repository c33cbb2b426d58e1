from django.apps import AppConfig


class OnlineCmsConfig(AppConfig):
    name = "bluelamp.online.cms"
    label = "online_cms"
    verbose_name = "Force websites"

    def ready(self) -> None:
        from bluelamp.online.cms import signals

        signals.connect()
