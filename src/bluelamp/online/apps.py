from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "bluelamp.online"
    label = "online"
    verbose_name = "Single Online Home"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from bluelamp.online import delivery  # noqa: F401 - the report status consumer of the outbox
        from bluelamp.online.models import Destination
        from bluelamp.online.routing import forget_destination

        post_save.connect(forget_destination, sender=Destination, dispatch_uid="online_forget_destination_saved")
        post_delete.connect(forget_destination, sender=Destination, dispatch_uid="online_forget_destination_deleted")
