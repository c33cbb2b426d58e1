"""An incident's CAD number is given when the incident is made, in the same transaction, so the
column is NOT NULL again and the deferred trigger of migration 0008 goes.

An incident left without a number (possible only on SQLite, where nothing but the service
guarded it) is given the next number of its force and day before the column is tightened, so no
row is lost or changed otherwise."""

from django.db import migrations, models

# Raw SQL because the ORM has no operation for triggers: the one migration 0008 made.
DROP = [
    "DROP TRIGGER IF EXISTS control_incident_numbered ON control_incident",
    "DROP FUNCTION IF EXISTS control_incident_numbered()",
]
FUNCTION = """
CREATE OR REPLACE FUNCTION control_incident_numbered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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


def _on_postgresql(*statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


def number_the_unnumbered(apps, schema_editor):
    Incident = apps.get_model("control", "Incident")
    CadCounter = apps.get_model("control", "CadCounter")
    for incident in Incident.objects.filter(cad_number__isnull=True).order_by("pk"):
        counter, _ = CadCounter.objects.get_or_create(force_id=incident.force_id, day=incident.cad_day)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        Incident.objects.filter(pk=incident.pk).update(cad_number=counter.last_number)


class Migration(migrations.Migration):
    dependencies = [("control", "0008_cad_number_given_last")]

    operations = [
        migrations.RunPython(_on_postgresql(*DROP), _on_postgresql(FUNCTION, TRIGGER), elidable=False),
        migrations.RunPython(number_the_unnumbered, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(model_name="incident", name="cad_number", field=models.PositiveIntegerField()),
    ]
