"""Form management in the back office (list, preview, upload, publish) and in the Django admin."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from amtsweg.forms.models import FormDefinition, FormVersion
from amtsweg.forms.schema import FormSchema
from amtsweg.forms.services import form_definition_get_or_create, form_version_create, form_version_publish
from amtsweg.forms.xdatenfelder import MAX_FILE_BYTES, parse_xdatenfelder
from amtsweg.identity.models import User
from amtsweg.tenancy.models import AuditEvent, Authority
from amtsweg.testing import World, shared_data

from .test_xdatenfelder import v3_field, v3_message

NEUSS = "/backoffice/05162024"
DORMAGEN = "/backoffice/05162004"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def version_of(
    world: World, authority: Authority | None, *, label: str = "Vorname", publish: bool = False
) -> FormVersion:
    definition = form_definition_get_or_create(service=world.town_service, authority=authority)
    schema: FormSchema = parse_xdatenfelder(v3_message(v3_field("F1", label=label))).schema
    version = form_version_create(definition=definition, schema=schema, source="test", actor=None)
    return form_version_publish(version=version, actor=None) if publish else version


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/xml")


def text_of(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


# --- list ---------------------------------------------------------------------------------------------


def test_list_shows_alliance_form_and_own_variant_with_what_citizens_get(world: World) -> None:
    alliance = version_of(world, None, publish=True)
    variant = version_of(world, world.neuss)
    dormagen_variant = version_of(world, world.dormagen)
    response = client_for(world.caseworker_neuss).get(f"{NEUSS}/formulare/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Meldebescheinigung Ausstellung" in page
    assert f"{NEUSS}/formulare/versionen/{alliance.pk}/" in page
    assert f"{NEUSS}/formulare/versionen/{variant.pk}/" in page
    assert f"/versionen/{dormagen_variant.pk}/" not in page
    assert "Verbund, Version 1" in text_of(response.content)  # the variant is only a draft
    assert "importieren" not in page  # caseworkers do not import
    assert "importieren" in client_for(world.admin_neuss).get(f"{NEUSS}/formulare/").content.decode()


def test_list_needs_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(world.caseworker_neuss)
    client.get(f"{NEUSS}/formulare/")
    for _ in range(3):
        version_of(world, None, publish=True)
        version_of(world, world.neuss)
    with django_assert_max_num_queries(10):
        assert client.get(f"{NEUSS}/formulare/").status_code == 200


# --- preview ------------------------------------------------------------------------------------------


@pytest.mark.fixture_data
def test_preview_shows_steps_fields_constraints_and_the_unsupported(world: World) -> None:
    client = client_for(world.admin_neuss)
    client.post(
        f"{NEUSS}/formulare/import/",
        {
            "service": world.town_service.leika_key,
            "target": "variant",
            "file": upload("simple.xml", shared_data("xdatenfelder/v3/simple.xml").read_bytes()),
        },
    )
    version = FormVersion.objects.get()
    response = client.get(f"{NEUSS}/formulare/versionen/{version.pk}/")
    text = text_of(response.content)
    assert "Straßenanschrift" in text and "Straße" in text
    assert "mindestens 1 Zeichen · höchstens 55 Zeichen" in text
    assert "0 bis 1 Mal" in text
    assert "FIM F60000000243 v1.1.0" in text
    assert "3 Bestandteile der Quelle werden nicht ausgeführt" in text
    assert "some script content" in text
    assert "Version 1 veröffentlichen" in text
    event = AuditEvent.objects.filter(action=AuditEvent.Action.READ, object_id=str(version.pk)).get()
    assert (event.actor, event.authority, event.channel) == (world.admin_neuss, world.neuss, "web")


def test_preview_of_other_towns_variant_is_not_found_and_alliance_forms_need_the_offering(
    world: World,
) -> None:
    neuss_variant = version_of(world, world.neuss)
    assert (
        client_for(world.caseworker_dormagen)
        .get(f"{DORMAGEN}/formulare/versionen/{neuss_variant.pk}/")
        .status_code
        == 404
    )
    # Through the Neuss URL the Dormagen caseworker does not get in at all.
    assert (
        client_for(world.caseworker_dormagen)
        .get(f"{NEUSS}/formulare/versionen/{neuss_variant.pk}/")
        .status_code
        == 404
    )
    kreis_form = form_definition_get_or_create(service=world.kreis_service, authority=None)
    kreis_version = form_version_create(
        definition=kreis_form, schema=neuss_variant.parsed, source="t", actor=None
    )
    assert (
        client_for(world.admin_neuss).get(f"{NEUSS}/formulare/versionen/{kreis_version.pk}/").status_code
        == 404
    )
    assert (
        client_for(world.kreis_admin)
        .get(f"/backoffice/05162000/formulare/versionen/{kreis_version.pk}/")
        .status_code
        == 200
    )


def test_caseworkers_see_no_publish_button(world: World) -> None:
    variant = version_of(world, world.neuss)
    page = (
        client_for(world.caseworker_neuss).get(f"{NEUSS}/formulare/versionen/{variant.pk}/").content.decode()
    )
    assert "/veroeffentlichen/" not in page
    assert "Nur die Administration der Behörde darf diese Variante veröffentlichen." in page
    alliance = version_of(world, None)
    page = client_for(world.admin_neuss).get(f"{NEUSS}/formulare/versionen/{alliance.pk}/").content.decode()
    assert "/veroeffentlichen/" not in page
    assert "Nur die Verbundadministration darf das Formular des Verbunds veröffentlichen." in page
    page = client_for(world.kreis_admin).get(f"{NEUSS}/formulare/versionen/{alliance.pk}/").content.decode()
    assert f"/formulare/versionen/{alliance.pk}/veroeffentlichen/" in page


# --- upload -------------------------------------------------------------------------------------------


def test_admin_uploads_a_variant_then_the_same_file_again(world: World) -> None:
    client = client_for(world.admin_neuss)
    data = v3_message(v3_field("F1", label="Vorname"))
    form = {"service": world.town_service.leika_key, "target": "variant"}
    response = client.post(f"{NEUSS}/formulare/import/", {**form, "file": upload("antrag.xml", data)})
    version = FormVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{NEUSS}/formulare/versionen/{version.pk}/"
    assert (version.definition.authority, version.status, version.number) == (world.neuss, "draft", 1)
    page = client.get(response["Location"]).content.decode()
    assert "Version 1 wurde als Entwurf angelegt" in page
    response = client.post(
        f"{NEUSS}/formulare/import/", {**form, "file": upload("antrag.xml", data)}, follow=True
    )
    assert "entspricht Version 1. Es wurde keine neue Version angelegt." in response.content.decode()
    assert FormVersion.objects.count() == 1


@pytest.mark.fixture_data
def test_invalid_upload_lists_every_error_and_writes_nothing(world: World) -> None:
    response = client_for(world.admin_neuss).post(
        f"{NEUSS}/formulare/import/",
        {
            "service": world.town_service.leika_key,
            "target": "variant",
            "file": upload(
                "duplicate-required-value.xml",
                shared_data("xdatenfelder/v2/duplicate-required-value.xml").read_bytes(),
            ),
        },
    )
    assert response.status_code == 400
    text = text_of(response.content)
    assert "Die Datei wurde nicht importiert" in text
    assert (
        "duplicate-required-value.xml, Zeile 13, <xdf:name>: Das Element ist doppelt"
        in response.content.decode().replace("&lt;", "<").replace("&gt;", ">")
    )
    assert 'role="alert"' in response.content.decode()
    assert not FormDefinition.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("antrag.pdf", b"%PDF-1.7", "Bitte eine XML-Datei (Endung .xml) hochladen."),
        ("antrag.xml", b"MZ\x90\x00 an exe in disguise", "Die Datei ist keine XML-Datei."),
        ("antrag.xml", b"<a/>", "keine XDatenfelder-Nachricht"),
    ],
)
def test_wrong_files_get_a_clear_message(world: World, name: str, data: bytes, message: str) -> None:
    response = client_for(world.admin_neuss).post(
        f"{NEUSS}/formulare/import/",
        {"service": world.town_service.leika_key, "target": "variant", "file": upload(name, data)},
    )
    assert response.status_code == 400
    assert message in text_of(response.content)
    assert not FormDefinition.objects.exists()


def test_oversized_upload_is_refused(world: World) -> None:
    response = client_for(world.admin_neuss).post(
        f"{NEUSS}/formulare/import/",
        {
            "service": world.town_service.leika_key,
            "target": "variant",
            "file": upload("gross.xml", b"<" + b" " * MAX_FILE_BYTES),
        },
    )
    assert response.status_code in (400, 413)
    assert "zu groß" in text_of(response.content)
    assert not FormDefinition.objects.exists()


def test_only_alliance_admins_may_import_the_alliance_form(world: World) -> None:
    data = v3_message(v3_field("F1"))
    page = client_for(world.admin_neuss).get(f"{NEUSS}/formulare/import/").content.decode()
    assert 'value="alliance"' not in page
    response = client_for(world.admin_neuss).post(
        f"{NEUSS}/formulare/import/",
        {"service": world.town_service.leika_key, "target": "alliance", "file": upload("a.xml", data)},
    )
    assert response.status_code == 400 and not FormDefinition.objects.exists()
    response = client_for(world.kreis_admin).post(
        f"{NEUSS}/formulare/import/",
        {"service": world.town_service.leika_key, "target": "alliance", "file": upload("a.xml", data)},
    )
    assert response.status_code == 302
    assert FormDefinition.objects.get().authority is None


def test_caseworkers_and_other_towns_cannot_reach_the_upload(world: World) -> None:
    assert client_for(world.caseworker_neuss).get(f"{NEUSS}/formulare/import/").status_code == 404
    assert client_for(world.admin_neuss).get(f"{DORMAGEN}/formulare/import/").status_code == 404
    assert client_for(world.citizen).get(f"{NEUSS}/formulare/import/").status_code == 403


def test_services_not_offered_cannot_be_chosen(world: World) -> None:
    response = client_for(world.admin_neuss).post(
        f"{NEUSS}/formulare/import/",
        {
            "service": world.kreis_service.leika_key,
            "target": "variant",
            "file": upload("a.xml", v3_message(v3_field("F1"))),
        },
    )
    assert response.status_code == 400
    assert not FormDefinition.objects.exists()


# --- publish ------------------------------------------------------------------------------------------


def test_admin_publishes_a_variant_and_the_previous_one_is_retired(world: World) -> None:
    first = version_of(world, world.neuss, publish=True)
    second = version_of(world, world.neuss, label="Nachname")
    client = client_for(world.admin_neuss)
    response = client.post(f"{NEUSS}/formulare/versionen/{second.pk}/veroeffentlichen/", follow=True)
    assert "Version 2 ist veröffentlicht" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("retired", "published")


def test_publish_is_post_only_and_needs_the_role(world: World) -> None:
    variant = version_of(world, world.neuss)
    url = f"{NEUSS}/formulare/versionen/{variant.pk}/veroeffentlichen/"
    assert client_for(world.admin_neuss).get(url).status_code == 405
    response = client_for(world.caseworker_neuss).post(url)
    assert response.status_code == 403
    assert "Nur die Administration der Behörde" in response.content.decode()
    assert client_for(world.caseworker_dormagen).post(url).status_code == 404
    alliance = version_of(world, None)
    assert (
        client_for(world.admin_neuss)
        .post(f"{NEUSS}/formulare/versionen/{alliance.pk}/veroeffentlichen/")
        .status_code
        == 403
    )
    assert FormVersion.objects.filter(status="published").count() == 0
    assert (
        client_for(world.kreis_admin)
        .post(f"{NEUSS}/formulare/versionen/{alliance.pk}/veroeffentlichen/")
        .status_code
        == 302
    )


def test_publish_checks_csrf(world: World) -> None:
    variant = version_of(world, world.neuss)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin_neuss)
    assert client.post(f"{NEUSS}/formulare/versionen/{variant.pk}/veroeffentlichen/").status_code == 403
    variant.refresh_from_db()
    assert variant.status == "draft"


# --- Django admin -------------------------------------------------------------------------------------


def test_django_admin_lists_forms_and_versions_read_only_and_publishes(world: World) -> None:
    version = version_of(world, world.neuss)
    root = User.objects.create_superuser(email="root@example.org", password="x-very-long-password")
    client = client_for(root)
    assert client.get("/admin/forms/formdefinition/").status_code == 200
    assert client.get(f"/admin/forms/formdefinition/{version.definition_id}/change/").status_code == 200
    assert client.get(f"/admin/forms/formversion/{version.pk}/change/").status_code == 200
    assert client.get("/admin/forms/formversion/add/").status_code == 403
    response = client.post(
        "/admin/forms/formversion/",
        {"action": "publish", "_selected_action": [version.pk]},
        follow=True,
    )
    assert response.status_code == 200
    version.refresh_from_db()
    assert version.status == "published"
    event = AuditEvent.objects.get(object_id=str(version.pk), action=AuditEvent.Action.UPDATE)
    assert event.channel == "admin"
