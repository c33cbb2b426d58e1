"""Make units' status history append-only in the database itself, on PostgreSQL, with the
trigger function of migration 0003. SQLite gets no trigger: the model refuses changes there."""

from django.db import migrations

TABLE = "control_unitstatuschange"


def _run_on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement, params=None)

    return run


CREATE = (
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION control_append_only()"
)
DROP = f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}"


class Migration(migrations.Migration):
    dependencies = [("control", "0005_unit_types")]

    operations = [migrations.RunPython(_run_on_postgresql(CREATE), _run_on_postgresql(DROP), elidable=False)]
