"""``amtsweg import_xdatenfelder``: versions per file, idempotent, all or nothing, errors on stderr."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amtsweg.forms.models import FormDefinition, FormVersion
from amtsweg.forms.selectors import published_form_for
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World, shared_data

from .test_xdatenfelder import v3_field, v3_message

pytestmark = pytest.mark.fixture_data


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_xdatenfelder", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_a_draft_of_the_alliance_form_and_lists_the_unsupported(world: World) -> None:
    path = str(shared_data("xdatenfelder/v3/simple.xml"))
    out, err = run(path, "--service", world.town_service.leika_key)
    definition = FormDefinition.objects.get(service=world.town_service, authority=None)
    version = definition.versions.get()
    assert (version.number, version.status) == (1, FormVersion.Status.DRAFT)
    assert version.source == "XDatenfelder 3.0.0 G60000000088 v1.2.0 (simple.xml)"
    assert version.parsed.steps[0].fields[0].key == "g60000000086"
    assert (
        "simple.xml: XDatenfelder 3.0.0 G60000000088 v1.2.0 → „Meldebescheinigung Ausstellung“ Version 1"
        in out
    )
    assert "Schritte: 1, Eingabefelder: 1." in out
    assert "Nicht unterstützt (3)" in out
    assert "- Relation ERS von G60000000088" in out
    assert "Entwurf" in out and err == ""
    assert published_form_for(service=world.town_service, authority=world.neuss) is None
    event = AuditEvent.objects.get(object_type="forms.formversion", action=AuditEvent.Action.CREATE)
    assert (event.actor, event.authority, event.channel) == (None, None, "cli")


def test_import_again_is_idempotent_and_publish_publishes_the_same_version(world: World) -> None:
    path = str(shared_data("xdatenfelder/v2/simple.xml"))
    run(path, "--service", world.town_service.leika_key)
    out, _err = run(path, "--service", world.town_service.leika_key, "--publish")
    assert "unverändert, gleich Version 1" in out
    version = FormVersion.objects.get()
    assert version.status == FormVersion.Status.PUBLISHED
    assert published_form_for(service=world.town_service, authority=world.neuss) == version


def test_several_files_make_several_versions_and_the_last_published_wins(world: World) -> None:
    first, second = shared_data("xdatenfelder/v2/simple.xml"), shared_data("xdatenfelder/v3/simple.xml")
    run(str(first), str(second), "--service", world.kreis_service.leika_key, "--publish")
    versions = list(FormVersion.objects.order_by("number").values_list("number", "status"))
    assert versions == [(1, FormVersion.Status.RETIRED), (2, FormVersion.Status.PUBLISHED)]


def test_variant_of_an_authority(world: World) -> None:
    path = str(shared_data("xdatenfelder/v2/select.xml"))
    run(path, "--service", world.town_service.leika_key, "--authority", world.neuss.ags, "--publish")
    variant = FormDefinition.objects.get(authority=world.neuss)
    assert variant.name == "Meldebescheinigung Ausstellung – Neuss"
    assert published_form_for(service=world.town_service, authority=world.neuss) is not None
    assert published_form_for(service=world.town_service, authority=world.dormagen) is None


def test_invalid_file_writes_nothing_reports_on_stderr_and_fails(world: World) -> None:
    good = shared_data("xdatenfelder/v2/simple.xml")
    bad = shared_data("xdatenfelder/v2/duplicate-required-value.xml")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 von 2 Dateien nicht importiert"):
        call_command(
            "import_xdatenfelder",
            str(bad),
            str(good),
            "--service",
            world.town_service.leika_key,
            stdout=out,
            stderr=err,
        )
    assert "duplicate-required-value.xml, Zeile 13, <xdf:name>: Das Element ist doppelt" in err.getvalue()
    assert "duplicate-required-value.xml: nicht importiert, nichts geschrieben." in err.getvalue()
    assert FormVersion.objects.count() == 1  # only the good file; the bad one left nothing behind


def test_unknown_service_authority_and_missing_file(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Keine Leistung"):
        run("x.xml", "--service", "00000000000000")
    with pytest.raises(CommandError, match="Keine Behörde"):
        run("x.xml", "--service", world.town_service.leika_key, "--authority", "01001000")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_xdatenfelder",
            str(tmp_path / "missing.xml"),
            "--service",
            world.town_service.leika_key,
            stderr=err,
        )
    assert "missing.xml" in err.getvalue() and "nicht lesbar" in err.getvalue()
    assert not FormDefinition.objects.exists()


def test_variant_for_a_service_the_authority_does_not_offer_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "form.xml"
    path.write_bytes(v3_message(v3_field("F1")))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_xdatenfelder",
            str(path),
            "--service",
            world.kreis_service.leika_key,
            "--authority",
            world.neuss.ags,
            stderr=err,
        )
    assert "bietet die Leistung" in err.getvalue()
    assert not FormDefinition.objects.exists()
