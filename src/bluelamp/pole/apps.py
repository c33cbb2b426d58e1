from django.apps import AppConfig


class PoleConfig(AppConfig):
    name = "bluelamp.pole"
    label = "pole"
    verbose_name = "POLE"

    def ready(self) -> None:
        from bluelamp.pole import feed  # noqa: F401 - connects the control room's incidents to POLE
