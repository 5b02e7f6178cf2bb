"""PostgreSQL only: the full-text and owner-name indexes of the register.

- A stored generated ``tsvector`` column beside each searched text — ``baulasten_baulast.search_vector``
  from ``search_text``, ``baulasten_scanfile.text_vector`` from the OCR ``text`` — with a GIN index on
  it. The full-text search (``selectors``) filters and ranks on these columns. Stored, not an
  expression index: re-checking a lossy bitmap and ``ts_rank`` then read the vector instead of parsing
  the text again for every matching row, which decides the latency with a million entries.
  The columns are not model fields: PostgreSQL fills them on every insert and update.
- GIN trigram on ``UPPER(obligors)``: the staff's owner-name search is ``icontains``.

``pg_trgm`` is a trusted extension (PostgreSQL 13+); where it cannot be created the trigram index is
left out with a warning and the owner search still works, only slower. On SQLite nothing is created;
the search there falls back to ``LIKE`` per word (fine for a town's register, not for a million).
"""

import warnings

from django.apps.registry import Apps
from django.db import DatabaseError, migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# index name → (table, vector column, source column)
FULLTEXT = {
    "baulasten_entry_fulltext": ("baulasten_baulast", "search_vector", "search_text"),
    "baulasten_scan_fulltext": ("baulasten_scanfile", "text_vector", "text"),
}
TRIGRAM = {"baulasten_entry_obligors_trgm": ("baulasten_baulast", "obligors")}


def index_sql(name: str) -> str:
    """The CREATE INDEX statement of full-text index ``name`` (also used by ``baulasten_seed``)."""
    table, vector, _ = FULLTEXT[name]
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ("{vector}")'


def trigram_sql(name: str) -> str:
    table, column = TRIGRAM[name]
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, vector, source) in FULLTEXT.items():
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "{vector}" tsvector '
            f"GENERATED ALWAYS AS (to_tsvector('german'::regconfig, \"{source}\")) STORED"
        )
        schema_editor.execute(index_sql(name))
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        warnings.warn(f"pg_trgm not available ({exc}); the owner search runs without its index", stacklevel=1)
        return
    for name in TRIGRAM:
        schema_editor.execute(trigram_sql(name))


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*FULLTEXT, *TRIGRAM]:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    for table, vector, _ in FULLTEXT.values():
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "{vector}"')


class Migration(migrations.Migration):
    dependencies = [("baulasten", "0001_initial")]
    operations = [migrations.RunPython(create, remove, elidable=False)]
