"""Forms API: the published form of a service (public) and form management for staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from amtsweg.forms.models import FormDefinition, FormVersion
from amtsweg.forms.xdatenfelder import MAX_FILE_BYTES
from amtsweg.identity.models import User
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World, shared_data

from .test_form_admin import version_of
from .test_xdatenfelder import v3_field, v3_message


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


# --- public -------------------------------------------------------------------------------------------


def test_published_form_of_a_service_prefers_the_authoritys_variant(world: World) -> None:
    leika = world.town_service.leika_key
    response = Client().get(f"/api/v1/services/{leika}/form")
    assert response.status_code == 404 and problem(response)["code"] == "no-form"
    alliance = version_of(world, None, publish=True)
    version_of(world, world.neuss, label="Neusser Feld", publish=True)
    body = Client().get(f"/api/v1/services/{leika}/form").json()
    assert (body["service"], body["authority"], body["version"]) == (leika, None, alliance.number)
    assert body["schema"]["steps"][0]["fields"][0]["key"] == "f1"
    neuss = Client().get(f"/api/v1/services/{leika}/form?authority={world.neuss.ags}").json()
    assert neuss["authority"] == world.neuss.ags
    assert neuss["schema"]["steps"][0]["fields"][0]["label"]["de"] == "Neusser Feld"
    dormagen = Client().get(f"/api/v1/services/{leika}/form?authority={world.dormagen.ags}").json()
    assert dormagen["authority"] is None


def test_published_form_bad_input(world: World) -> None:
    leika = world.town_service.leika_key
    assert problem(Client().get(f"/api/v1/services/{leika}/form?authority=12"))["status"] == 400
    assert problem(Client().get(f"/api/v1/services/{leika}/form?authority=01001000"))["status"] == 404
    assert problem(Client().get("/api/v1/services/00000000000000/form"))["status"] == 404


# --- staff: read --------------------------------------------------------------------------------------


def test_staff_list_is_scoped(world: World) -> None:
    alliance = version_of(world, None)
    neuss = version_of(world, world.neuss)
    dormagen = version_of(world, world.dormagen)

    def ids(user: User, query: str = "") -> set[int]:
        body = client_for(user).get(f"/api/v1/staff/forms{query}").json()
        return {row["id"] for row in body["results"]}

    assert ids(world.caseworker_neuss) == {alliance.definition_id, neuss.definition_id}
    assert ids(world.caseworker_dormagen) == {alliance.definition_id, dormagen.definition_id}
    assert ids(world.kreis_admin) == {alliance.definition_id, neuss.definition_id, dormagen.definition_id}
    assert ids(world.kreis_admin, "?alliance=true") == {alliance.definition_id}
    assert ids(world.kreis_admin, f"?authority={world.dormagen.ags}") == {dormagen.definition_id}
    row = next(
        r
        for r in client_for(world.caseworker_neuss).get("/api/v1/staff/forms").json()["results"]
        if r["authority"]
    )
    assert row["authority"] == world.neuss.ags
    assert row["versions"][0] == {
        "id": neuss.pk,
        "number": 1,
        "status": "draft",
        "source": "test",
        "created_at": row["versions"][0]["created_at"],
        "published_at": None,
        "unsupported_count": 0,
    }
    assert client_for(None).get("/api/v1/staff/forms").status_code in (401, 403)
    assert client_for(world.citizen).get("/api/v1/staff/forms").status_code == 403


def test_staff_list_needs_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(world.kreis_admin)
    for _ in range(3):
        version_of(world, None)
        version_of(world, world.neuss)
        version_of(world, world.dormagen)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/staff/forms").json()["results"]) == 3


def test_staff_detail_and_version_of_other_towns_are_not_found_and_reads_are_audited(world: World) -> None:
    neuss = version_of(world, world.neuss)
    dormagen_client = client_for(world.caseworker_dormagen)
    assert problem(dormagen_client.get(f"/api/v1/staff/forms/{neuss.definition_id}"))["status"] == 404
    assert problem(dormagen_client.get(f"/api/v1/staff/form-versions/{neuss.pk}"))["status"] == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.READ).exists()
    client = client_for(world.caseworker_neuss)
    detail = client.get(f"/api/v1/staff/forms/{neuss.definition_id}").json()
    assert (detail["service"], detail["authority"], len(detail["versions"])) == (
        world.town_service.leika_key,
        world.neuss.ags,
        1,
    )
    version = client.get(f"/api/v1/staff/form-versions/{neuss.pk}").json()
    assert (version["form"], version["status"], version["schema"]["title"]["de"]) == (
        neuss.definition_id,
        "draft",
        "Antrag auf Test",
    )
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, actor=world.caseworker_neuss)
    assert set(reads.values_list("object_type", flat=True)) == {"forms.formdefinition", "forms.formversion"}
    assert {event.authority for event in reads} == {world.neuss}


# --- staff: import and publish ------------------------------------------------------------------------


def post_import(user: User, **data: Any) -> Any:
    return client_for(user).post("/api/v1/staff/forms/import", data)


def xml(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


def test_import_creates_a_variant_then_finds_it_unchanged(world: World) -> None:
    data = v3_message(v3_field("F1"))
    leika, ags = world.town_service.leika_key, world.neuss.ags
    response = post_import(world.admin_neuss, service=leika, authority=ags, file=xml("a.xml", data))
    assert response.status_code == 201
    body = response.json()
    assert (
        body["created"],
        body["version"]["number"],
        body["version"]["status"],
        body["version"]["authority"],
    ) == (
        True,
        1,
        "draft",
        ags,
    )
    again = post_import(
        world.admin_neuss, service=leika, authority=ags, file=xml("a.xml", data), publish="true"
    )
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["version"]["status"]) == (False, "published")
    assert FormVersion.objects.count() == 1


@pytest.mark.fixture_data
def test_import_of_an_invalid_file_is_a_problem_with_every_error(world: World) -> None:
    data = shared_data("xdatenfelder/v3/invalid-freigabestatus.xml").read_bytes()
    response = post_import(
        world.admin_neuss,
        service=world.town_service.leika_key,
        authority=world.neuss.ags,
        file=xml("invalid-freigabestatus.xml", data),
    )
    body = problem(response)
    assert (body["status"], body["code"]) == (400, "xdatenfelder-invalid")
    assert body["errors"] == [
        {
            "file": "invalid-freigabestatus.xml",
            "line": 17,
            "element": "xdf:freigabestatus",
            "detail": "invalid code '10' (allowed: 1, 2, 3, 4, 5, 6, 7, 8).",
            "detail_de": "Der Code „10“ ist ungültig (erlaubt: 1, 2, 3, 4, 5, 6, 7, 8).",
        }
    ]
    assert "line 17, <xdf:freigabestatus>" in body["detail"]
    assert not FormDefinition.objects.exists()


def test_import_permissions(world: World) -> None:
    leika, data = world.town_service.leika_key, v3_message(v3_field("F1"))
    cases = [
        (world.caseworker_neuss, {"authority": world.neuss.ags}, 403),
        (world.caseworker_dormagen, {"authority": world.neuss.ags}, 404),
        (world.admin_neuss, {"authority": world.dormagen.ags}, 404),
        (world.admin_neuss, {}, 403),  # the alliance form
        (world.citizen, {"authority": world.neuss.ags}, 403),
    ]
    for user, target, expected in cases:
        response = post_import(user, service=leika, file=xml("a.xml", data), **target)
        assert problem(response)["status"] == expected, (user, target)
    assert not FormDefinition.objects.exists()
    response = post_import(world.kreis_admin, service=leika, file=xml("a.xml", data))
    assert response.status_code == 201 and response.json()["version"]["authority"] is None


def test_import_input_errors(world: World) -> None:
    leika, ags = world.town_service.leika_key, world.neuss.ags
    assert problem(post_import(world.admin_neuss, service=leika, authority=ags))["errors"] == {
        "file": ["Es wurde keine Datei übermittelt."]
    }
    assert problem(post_import(world.admin_neuss, service="123", authority=ags))["status"] == 400
    unknown = post_import(
        world.admin_neuss, service="00000000000000", authority=ags, file=xml("a.xml", b"<a/>")
    )
    assert problem(unknown)["status"] == 404
    not_offered = post_import(
        world.admin_neuss,
        service=world.kreis_service.leika_key,
        authority=ags,
        file=xml("a.xml", v3_message(v3_field("F1"))),
    )
    assert problem(not_offered)["code"] == "service-not-offered"


def test_import_of_an_oversized_file_is_refused(world: World) -> None:
    response = post_import(
        world.admin_neuss,
        service=world.town_service.leika_key,
        authority=world.neuss.ags,
        file=xml("big.xml", b"<" + b" " * (MAX_FILE_BYTES + 70_000)),
    )
    assert problem(response)["status"] == 413
    assert not FormDefinition.objects.exists()


def test_publish_through_the_api(world: World) -> None:
    first = version_of(world, world.neuss, publish=True)
    second = version_of(world, world.neuss, label="Nachname")
    url = f"/api/v1/staff/form-versions/{second.pk}/publish"
    assert problem(client_for(world.caseworker_neuss).post(url))["status"] == 403
    assert problem(client_for(world.caseworker_dormagen).post(url))["status"] == 404
    response = client_for(world.admin_neuss).post(url)
    assert response.status_code == 200 and response.json()["status"] == "published"
    first.refresh_from_db()
    assert first.status == "retired"
    leika = world.town_service.leika_key
    assert Client().get(f"/api/v1/services/{leika}/form?authority={world.neuss.ags}").json()["version"] == 2


def test_openapi_documents_the_form_schema(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/services/{leika_key}/form",
        "/api/v1/staff/forms",
        "/api/v1/staff/forms/{id}",
        "/api/v1/staff/forms/import",
        "/api/v1/staff/form-versions/{id}",
        "/api/v1/staff/form-versions/{id}/publish",
    ):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/staff/forms/import"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]
    assert components["PublishedForm"]["properties"]["schema"] == {"$ref": "#/components/schemas/FormSchema"}
    assert "FormField" in components and "Condition" in components
    assert components["FormField"]["properties"]["help"]["nullable"] is True
