from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "bluelamp.dispatch"
    label = "dispatch"
    verbose_name = "Dispatch: vehicle locations, recommendations and pre-planned operations"

    def ready(self) -> None:
        from bluelamp.control import dispatch_link
        from bluelamp.dispatch import avl, receivers  # noqa: F401 - the outbox consumers and live notices they hear
        from bluelamp.dispatch.control_room import ControlRoomEngine

        dispatch_link.register(ControlRoomEngine())  # control's screens ask dispatch through it
