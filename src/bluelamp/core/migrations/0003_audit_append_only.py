"""Make the audit trail append-only in the database itself, on PostgreSQL.

A row trigger refuses UPDATE and DELETE on core_auditentry, whoever sends them (the app, the
admin, or someone with a SQL prompt). TRUNCATE is not a row operation and stays possible, because
Django's test flush uses it; production must REVOKE TRUNCATE from the application's role (see
docs/access-and-audit.md). SQLite gets no trigger (its test flush deletes rows): there,
`bluelamp verify-audit` is the protection.

The GIN index lets auditors find every entry about one record (``record_ids @> '["17"]'``)
without reading the whole trail."""

from django.db import migrations

CREATE = [
    """
    CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are append-only (% refused on entry %)', TG_OP, OLD.id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Record a new audit entry instead of changing or removing one.';
    END;
    $$
    """,
    """
    CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()
    """,
    "CREATE INDEX core_auditentry_record_ids_gin ON core_auditentry USING gin (record_ids jsonb_path_ops)",
]

DROP = [
    "DROP INDEX IF EXISTS core_auditentry_record_ids_gin",
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)  # the SQL has literal %

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0002_access_audit_events")]

    operations = [migrations.RunPython(_run_on_postgresql(CREATE), _run_on_postgresql(DROP), elidable=False)]
