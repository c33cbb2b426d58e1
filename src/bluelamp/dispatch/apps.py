from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "bluelamp.dispatch"
    label = "dispatch"
    verbose_name = "Dispatch: vehicle locations, recommendations and pre-planned operations"

    def ready(self) -> None:
        from bluelamp.dispatch import avl, receivers  # noqa: F401 - the outbox consumers and live notices they hear
