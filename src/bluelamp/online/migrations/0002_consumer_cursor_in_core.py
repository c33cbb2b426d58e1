"""The report status sync became a consumer of the outbox: its position moves to core's cursor."""

from typing import Any

from django.db import migrations

NAME = "online.control-status"


def move_cursor(apps: Any, schema_editor: Any) -> None:
    old = apps.get_model("online", "EventCursor").objects.filter(name=NAME).first()
    if old is not None:
        apps.get_model("core", "ConsumerCursor").objects.update_or_create(
            name=NAME, defaults={"position": old.last_event_id}
        )


def move_back(apps: Any, schema_editor: Any) -> None:
    new = apps.get_model("core", "ConsumerCursor").objects.filter(name=NAME).first()
    if new is not None:
        apps.get_model("online", "EventCursor").objects.update_or_create(
            name=NAME, defaults={"last_event_id": new.position}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("online", "0001_reports_delivery_and_tracking"),
        ("core", "0006_consumer_cursor"),
    ]

    operations = [
        migrations.RunPython(move_cursor, move_back),
        migrations.DeleteModel(name="EventCursor"),
    ]
