"""An incident's CAD number is given last in the transaction that makes it (so concurrent calls
queue for the day's counter only while they commit): the column takes NULL for that moment.

On PostgreSQL a deferred constraint trigger checks, at commit, that every incident inserted or
renumbered has its number: NULL is never committed. SQLite has no deferred triggers; there the
service (control.services._make_incidents) is the guarantee."""

from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION control_incident_numbered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Deferred to the commit: read the row as it is then, not as it was when the trigger fired.
    IF EXISTS (SELECT 1 FROM control_incident WHERE id = NEW.id AND cad_number IS NULL) THEN
        RAISE EXCEPTION 'incident % would be committed without a CAD number', NEW.id;
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGER = (
    "CREATE CONSTRAINT TRIGGER control_incident_numbered AFTER INSERT OR UPDATE OF cad_number "
    "ON control_incident DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION control_incident_numbered()"
)
DROP = [
    "DROP TRIGGER IF EXISTS control_incident_numbered ON control_incident",
    "DROP FUNCTION IF EXISTS control_incident_numbered()",
]


def _on_postgresql(*statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("control", "0007_command_view_permission")]

    operations = [
        migrations.AlterField(model_name="incident", name="cad_number", field=models.PositiveIntegerField(null=True)),
        migrations.RunPython(_on_postgresql(FUNCTION, TRIGGER), _on_postgresql(*DROP), elidable=False),
    ]
