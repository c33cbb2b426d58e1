"""Refuse UPDATE/DELETE of audit entries on SQLite too, TRUNCATE on PostgreSQL, and the chain
head moving backwards or being removed on both (SQL and reasons: bluelamp.core.db.append_only)."""

from django.db import migrations

from bluelamp.core.db import append_only

ENTRIES = ("core_auditentry",)
HEAD = ("core_auditchainhead", "last_entry_id")


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    append_only.run(
        schema_editor.connection, append_only.append_only(vendor, ENTRIES) + append_only.forward_only(vendor, *HEAD)
    )


def unguard(apps, schema_editor):
    append_only.run(schema_editor.connection, append_only.dropped(schema_editor.connection.vendor, (*ENTRIES, HEAD[0])))


class Migration(migrations.Migration):
    dependencies = [("core", "0007_audit_key_id")]

    operations = [migrations.RunPython(guard, unguard, elidable=False)]
