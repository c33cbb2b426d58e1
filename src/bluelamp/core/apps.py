from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bluelamp.core"
    label = "core"
    verbose_name = "Forces and geography"

    def ready(self) -> None:
        from bluelamp.core import checks  # noqa: F401  (registers the system checks)
