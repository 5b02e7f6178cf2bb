"""The default status model (Statusmodell) for every service without its own."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

DEFAULT_STATUSES = [
    # key, German, English, phase, order, next keys
    ("eingegangen", "Eingegangen", "Received", "new", 10, ["in_bearbeitung", "rueckfrage", "entschieden"]),
    ("in_bearbeitung", "In Bearbeitung", "In progress", "in_progress", 20, ["rueckfrage", "entschieden"]),
    ("rueckfrage", "Unterlagen nachgefordert", "Information requested", "waiting", 30, ["in_bearbeitung"]),
    ("entschieden", "Entschieden", "Decided", "decided", 40, ["abgeschlossen"]),
    ("abgeschlossen", "Abgeschlossen", "Closed", "closed", 50, []),
]


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    status_definition = apps.get_model("cases", "StatusDefinition")
    for key, de, en, phase, order, next_keys in DEFAULT_STATUSES:
        status_definition.objects.get_or_create(
            service=None,
            key=key,
            defaults={"label_de": de, "label_en": en, "phase": phase, "order": order, "next_keys": next_keys},
        )


def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("cases", "StatusDefinition").objects.filter(service=None).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(create, remove)]
