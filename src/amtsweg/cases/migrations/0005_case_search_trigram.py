"""PostgreSQL only: trigram indexes for the inbox's free-text search on applicant name and subject.

The search is ``UPPER(column) LIKE UPPER('%text%')`` (Django's ``icontains``); a GIN trigram index on
the same expression lets PostgreSQL find rare names without reading every case of the authority.
``pg_trgm`` is a trusted extension (PostgreSQL 13+), so the database owner may create it; where that
is not allowed the indexes are left out with a warning and the search still works, only slower.
"""

import warnings

from django.apps.registry import Apps
from django.db import DatabaseError, migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

INDEXES = {
    "case_applicant_name_trgm": "applicant_name",
    "case_title_trgm": "title",
}


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        warnings.warn(
            f"pg_trgm not available ({exc}); the case search runs without trigram indexes", stacklevel=1
        )
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "cases_case" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_inbox_indexes")]
    operations = [migrations.RunPython(create, remove, elidable=False)]
