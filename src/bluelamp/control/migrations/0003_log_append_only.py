"""Make incident logs and THRIVE versions append-only in the database itself, on PostgreSQL.

A row trigger refuses UPDATE and DELETE on control_incidentlogentry and
control_thriveassessment, whoever sends them. TRUNCATE stays possible because Django's test
flush uses it; production must REVOKE TRUNCATE from the application's role, as for the audit
trail (docs/access-and-audit.md). SQLite gets no trigger: there `bluelamp verify-logs` is the
protection."""

from django.db import migrations

TABLES = ("control_incidentlogentry", "control_thriveassessment")

CREATE = [
    """
    CREATE OR REPLACE FUNCTION control_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% rows are append-only (% refused on row %)', TG_TABLE_NAME, TG_OP, OLD.id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Add a correction or a new version instead of changing or removing one.';
    END;
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION control_append_only()"
        for table in TABLES
    ),
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS control_append_only()",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)  # the SQL has literal %

    return run


class Migration(migrations.Migration):
    dependencies = [("control", "0002_grade_targets")]

    operations = [migrations.RunPython(_run_on_postgresql(CREATE), _run_on_postgresql(DROP), elidable=False)]
