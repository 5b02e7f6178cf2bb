"""The default status model (Statusmodell) for every service without its own."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from amtsweg.cases.statuses import DEFAULT_STATUSES



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
