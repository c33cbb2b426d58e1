from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "bluelamp.control"
    label = "control"
    verbose_name = "Command and Control"

    def ready(self) -> None:
        from bluelamp.control import integrity, live  # noqa: F401  (checkpoints of the logs; the live feed)
