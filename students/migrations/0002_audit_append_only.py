"""On PostgreSQL, the database itself refuses to update or delete audit events.

TRUNCATE stays possible: it is what test teardown and an operator's retention purge use.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION students_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'students_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER students_auditevent_append_only
    BEFORE UPDATE OR DELETE ON students_auditevent
    FOR EACH ROW EXECUTE FUNCTION students_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS students_auditevent_append_only ON students_auditevent;
DROP FUNCTION IF EXISTS students_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("students", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
