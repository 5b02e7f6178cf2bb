"""PostgreSQL only: the full-text and owner-name indexes of the register.

- GIN on ``to_tsvector('german'::regconfig, search_text)`` of the entries and on the OCR text of the
  scans: the full-text search filters on exactly this expression (``selectors``), so PostgreSQL
  answers from the index even with a million entries.
- GIN trigram on ``UPPER(obligors)``: the staff's owner-name search is ``icontains``.

``pg_trgm`` is a trusted extension (PostgreSQL 13+); where it cannot be created the trigram index is
left out with a warning and the owner search still works, only slower. On SQLite nothing is created;
the search there falls back to ``LIKE`` per word (fine for a town's register, not for a million).
"""

import warnings

from django.apps.registry import Apps
from django.db import DatabaseError, migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

FULLTEXT = {
    "baulasten_entry_fulltext": ("baulasten_baulast", "search_text"),
    "baulasten_scan_fulltext": ("baulasten_scanfile", "text"),
}
TRIGRAM = {"baulasten_entry_obligors_trgm": ("baulasten_baulast", "obligors")}


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in FULLTEXT.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f"USING gin (to_tsvector('german'::regconfig, \"{column}\"))"
        )
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        warnings.warn(f"pg_trgm not available ({exc}); the owner search runs without its index", stacklevel=1)
        return
    for name, (table, column) in TRIGRAM.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*FULLTEXT, *TRIGRAM]:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("baulasten", "0001_initial")]
    operations = [migrations.RunPython(create, remove, elidable=False)]
