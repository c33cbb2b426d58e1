from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "bluelamp.control"
    label = "control"
    verbose_name = "Command and Control"

    def ready(self) -> None:
        from bluelamp.control import live  # noqa: F401  (connects the live feed to the outbox)
