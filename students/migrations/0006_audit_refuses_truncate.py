"""On PostgreSQL, the audit trail also refuses TRUNCATE, unless the table's owner (the migration
role) or a superuser runs it: test teardown and an operator's retention purge. The app's role
has no TRUNCATE privilege anyway (``manage.py grant_app_role``); this trigger is the second line.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION students_auditevent_no_truncate() RETURNS trigger AS $$
BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'students_auditevent is append-only (TRUNCATE refused for role %)',
        current_user;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER students_auditevent_no_truncate
    BEFORE TRUNCATE ON students_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION students_auditevent_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS students_auditevent_no_truncate ON students_auditevent;
DROP FUNCTION IF EXISTS students_auditevent_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("students", "0005_rostering")]

    operations = [migrations.RunPython(forwards, backwards)]
