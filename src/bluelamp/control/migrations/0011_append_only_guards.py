"""Refuse UPDATE/DELETE of log entries, THRIVE versions and status history on SQLite too,
TRUNCATE on PostgreSQL, and an incident's log length going backwards or the incident being removed, on both (SQL and reasons:
bluelamp.core.db.append_only)."""

from django.db import migrations

from bluelamp.core.db import append_only

TABLES = ("control_incidentlogentry", "control_thriveassessment", "control_unitstatuschange")
HEAD = ("control_incident", "log_length")


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    append_only.run(
        schema_editor.connection, append_only.append_only(vendor, TABLES) + append_only.forward_only(vendor, *HEAD)
    )


def unguard(apps, schema_editor):
    append_only.run(schema_editor.connection, append_only.dropped(schema_editor.connection.vendor, (*TABLES, HEAD[0])))


class Migration(migrations.Migration):
    dependencies = [("control", "0010_log_key_id")]

    operations = [migrations.RunPython(guard, unguard, elidable=False)]
